"""The on-disk notification spool: one fsync'd JSON file per notification.

Why: a monitor must never lose an observed failure, whether the API is down, the network is
slow or the monitor itself is killed. A notification is durable once :meth:`Spool.put`
returns (temp file written and fsync'd, renamed into place, directory fsync'd); it is removed
only by :meth:`Spool.remove` after the API answered for good. File names start with a
zero-padded sequence number, so replay after a restart follows observation order.
"""

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger(__name__)

_SUFFIX = ".json"
_TMP_PREFIX = ".tmp-"


class SpoolFull(Exception):
    """The spool holds max_entries notifications or max_bytes bytes already."""


@dataclass(frozen=True)
class SpoolEntry:
    """A spooled notification: its file name (ordering key), id and request body."""

    name: str
    entry_id: str
    body: dict[str, Any]
    size: int


class Spool:
    """A directory of pending notifications, ordered by sequence number."""

    def __init__(self, directory: str, max_entries: int = 10000, max_bytes: int = 64 << 20):
        self.directory = directory
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self.refused = 0
        os.makedirs(directory, exist_ok=True)
        self._cleanup_partial_writes()
        self._sizes = {n: os.path.getsize(os.path.join(directory, n)) for n in self._names()}
        self._total = sum(self._sizes.values())
        self._next_seq = max((self._seq(n) for n in self._sizes), default=0) + 1

    # -- internals -------------------------------------------------------------------------
    def _names(self) -> list[str]:
        return sorted(n for n in os.listdir(self.directory)
                      if n.endswith(_SUFFIX) and not n.startswith("."))

    @staticmethod
    def _seq(name: str) -> int:
        try:
            return int(name.split("-", 1)[0])
        except ValueError:
            return 0

    def _cleanup_partial_writes(self) -> None:
        """Delete temp files of writes interrupted by a crash (never renamed = never durable)."""
        for name in os.listdir(self.directory):
            if name.startswith(_TMP_PREFIX):
                LOG.warning("spool: removing partial write %s left by a crash", name)
                os.unlink(os.path.join(self.directory, name))

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- public API ------------------------------------------------------------------------
    def put(self, body: dict[str, Any]) -> SpoolEntry:
        """Durably add ``body``; raises :class:`SpoolFull` when a bound would be exceeded."""
        entry_id = uuid.uuid4().hex
        data = json.dumps({"id": entry_id, "body": body}, sort_keys=True).encode()
        with self._lock:
            if len(self._sizes) >= self.max_entries or self._total + len(data) > self.max_bytes:
                self.refused += 1
                raise SpoolFull(f"spool {self.directory} full ({len(self._sizes)} entries, "
                                f"{self._total} bytes)")
            name = f"{self._next_seq:020d}-{entry_id}{_SUFFIX}"
            self._next_seq += 1
            tmp = os.path.join(self.directory, _TMP_PREFIX + name)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, os.path.join(self.directory, name))
            self._fsync_dir()
            self._sizes[name] = len(data)
            self._total += len(data)
        return SpoolEntry(name, entry_id, body, len(data))

    def peek(self) -> SpoolEntry | None:
        """The oldest pending notification, or None. Unreadable files are quarantined."""
        while True:
            with self._lock:
                names = sorted(self._sizes)
            if not names:
                return None
            name = names[0]
            path = os.path.join(self.directory, name)
            try:
                with open(path, "rb") as f:
                    raw = f.read()
                doc = json.loads(raw)
                return SpoolEntry(name, doc["id"], doc["body"], len(raw))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                error = str(exc)
            LOG.error("spool: entry %s is unreadable (%s); moving it aside as .bad", name, error)
            with self._lock:
                self._total -= self._sizes.pop(name, 0)
                try:
                    os.rename(path, os.path.join(self.directory, "." + name + ".bad"))
                except OSError:
                    pass

    def remove(self, entry: SpoolEntry) -> None:
        """Forget a delivered (or finally refused) notification."""
        with self._lock:
            try:
                os.unlink(os.path.join(self.directory, entry.name))
            except FileNotFoundError:
                pass
            self._total -= self._sizes.pop(entry.name, 0)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sizes)

    def pending(self) -> list[SpoolEntry]:
        """All pending entries, oldest first (for tests and ``--once`` output)."""
        out = []
        for name in sorted(self._sizes):
            with open(os.path.join(self.directory, name), "rb") as f:
                raw = f.read()
            doc = json.loads(raw)
            out.append(SpoolEntry(name, doc["id"], doc["body"], len(raw)))
        return out
