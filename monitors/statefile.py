"""Small JSON state files of the monitors, written atomically.

Every monitor keeps what it must not forget across a crash in one JSON file below
``state_path/<monitor>/`` (the host monitor's last reported node states, the instance
monitor's running domains, the process monitor's processes reported STOPPED) and rewrites
its health file every cycle. All of them go through :func:`write_json`: temp file, fsync,
rename over the old file, fsync of the directory, so a reader (or the next start) sees
either the old or the new document, never a torn one. :class:`RateLimitedSaver` lets a
monitor whose state changes in bursts (libvirt events) persist promptly without one fsync
per event.
"""

import json
import logging
import os
import threading
import time
from typing import Any, Callable

LOG = logging.getLogger(__name__)


def write_json(path: str, doc: Any, *, durable: bool = True) -> None:
    """Replace ``path`` with ``doc`` as JSON, atomically.

    ``durable`` also fsyncs the data and the directory, so the new content survives a power
    cut once this returns; the health file, rewritten every cycle and worthless after a
    reboot, passes False.
    """
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, sort_keys=True, default=str)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if durable:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_json(path: str, default: Any) -> Any:
    """The document in ``path``; ``default`` if it does not exist or cannot be parsed (the
    latter logged, since state was lost)."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        error = str(exc)
    LOG.warning("ignoring unreadable monitor state %s: %s", path, error)
    return default


class RateLimitedSaver:
    """Writes ``snapshot()`` to ``path`` after changes, at most once per ``min_interval``.

    :meth:`changed` writes at once when the last write is older than ``min_interval``;
    otherwise a timer thread writes once when the interval is over, so a burst of changes
    costs one write and the file is never more than ``min_interval`` behind. :meth:`flush`
    writes pending changes now (shutdown). Thread-safe: changes may come from any thread.
    """

    def __init__(self, path: str, snapshot: Callable[[], Any], min_interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic):
        self.path = path
        self.snapshot = snapshot
        self.min_interval = min_interval
        self.clock = clock
        self.writes = 0
        self._lock = threading.Lock()
        self._dirty = False
        self._last: float | None = None
        self._timer: threading.Timer | None = None

    def changed(self) -> None:
        """Note a change; persist it now or within ``min_interval``."""
        with self._lock:
            self._dirty = True
            if self._timer is not None:
                return        # a write is already scheduled; it will include this change
            wait = 0.0 if self._last is None else self._last + self.min_interval - self.clock()
            if wait > 0:
                self._timer = threading.Timer(wait, self._timer_fired)
                self._timer.daemon = True
                self._timer.start()
                return
            self._write_locked()

    def flush(self, force: bool = False) -> None:
        """Write pending changes (with ``force``: the snapshot in any case) now and cancel a
        scheduled write."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._dirty or force:
                self._write_locked()

    def _timer_fired(self) -> None:
        with self._lock:
            self._timer = None
            if self._dirty:
                self._write_locked()

    def _write_locked(self) -> None:
        try:
            write_json(self.path, self.snapshot())
        except OSError as exc:
            # Keep running (detection matters more); the next change or flush tries again.
            LOG.error("cannot save monitor state %s: %s", self.path, exc)
            return
        self._dirty = False
        self._last = self.clock()
        self.writes += 1
