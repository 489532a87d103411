"""Recording a notification's task progress (``recovery_workflow_details``) off the task path.

Every progress message used to be its own write transaction, made by the task thread
before it went on: a host recovery writes a few dozen of them, and with dozens of host
recoveries at once (or an API and several engines on one SQLite file) each waited its
turn for the database's write lock before the next Nova call. Here the task only queues
the message with the time it happened; one writer thread per notification commits what
is queued in a single transaction. Progress is informative (the recovery never depends
on it), but it is complete before the notification's final status is recorded: the
processor closes the writer first.
"""

from __future__ import annotations

import datetime
import logging

from masakari_ha.db import recovery_records
from masakari_ha.engine.group_commit import GroupCommitWriter

LOG = logging.getLogger(__name__)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class ProgressWriter(GroupCommitWriter):
    """Queue of one notification's progress updates, committed in batches by one thread."""

    def __init__(self, notification_uuid: str):
        self.notification_uuid = notification_uuid
        self._pending: list[dict] = []
        self._closed = False
        super().__init__(f"progress-{notification_uuid[:8]}")

    def record(self, name: str, message: str | None = None, progress: float | None = None,
               state: str | None = None, order=None) -> None:
        """Queue one update (arguments of :func:`recovery_records.record_progress`)."""
        self._put({"notification_uuid": self.notification_uuid, "name": name, "message": message,
                   "progress": progress, "state": state, "order": tuple(order or ()),
                   "timestamp": _now()})

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far is committed (or given up); False on timeout."""
        return True if self._closed else self._wait_committed(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Commit everything queued and stop the writer (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stop(timeout)

    def _commit(self, entries: list[dict]) -> None:
        self._pending += entries
        try:
            recovery_records.record_progress_batch(self._pending)
        except Exception:
            # Progress is informative: keep it for one more try with the next batch, then drop.
            if len(self._pending) > len(entries):
                LOG.exception("Notification %s: dropping %d progress update(s) that could not be "
                              "recorded", self.notification_uuid, len(self._pending))
                self._pending = []
            else:
                LOG.warning("Notification %s: could not record %d progress update(s); retrying "
                            "with the next ones", self.notification_uuid, len(entries), exc_info=True)
            return
        self._pending = []


def record(control, name: str, **fields) -> None:
    """Record progress of ``control``'s notification: queued when the run has a writer,
    written at once otherwise (a task or gate used on its own)."""
    writer = getattr(control, "progress", None) if control is not None else None
    if writer is not None:
        writer.record(name, **fields)
    elif control is not None and control.notification_uuid:
        recovery_records.record_progress(control.notification_uuid, name, **fields)
