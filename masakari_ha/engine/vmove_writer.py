"""Recording the vmoves of one host recovery with group commit.

Each evacuation thread used to write its vmove (``ongoing`` before the evacuate call, the
outcome afterwards) in its own transaction. On a host with a hundred guests that is two
hundred write transactions, serialised by the database (SQLite takes one write lock per
transaction), sitting between guests and their evacuate calls. Here the threads only queue
their updates; one writer thread commits whatever is queued in a single transaction, so
a burst of a hundred updates costs a few commits.

Nothing about recovery safety depends on the timing of these rows: whether a guest was
already evacuated is always read from Nova (migration records and the guest's host), so
a vmove still ``pending`` after a crash is only confirmed by the next owner, never
evacuated twice. The task calls :meth:`VmoveWriter.close` before it reads the outcomes
back or reports, so every outcome is stored before the task counts as done.
"""

from __future__ import annotations

import logging

from masakari_ha.db import recovery_records
from masakari_ha.engine.group_commit import GroupCommitWriter

LOG = logging.getLogger(__name__)


class VmoveWriteError(Exception):
    """Queued vmove updates could not be stored; the task fails and is retried."""


class VmoveWriter(GroupCommitWriter):
    """Queue of vmove updates of one notification, committed in batches by one thread."""

    def __init__(self, notification_uuid: str):
        self.notification_uuid = notification_uuid
        self._failed: list[tuple[str, str, dict]] = []
        super().__init__(f"vmoves-{notification_uuid[:8]}")

    def update(self, instance_uuid: str, status: str, **fields) -> None:
        """Queue one update (same meaning as :func:`recovery_records.update_vmove`)."""
        self._put((instance_uuid, status, fields))

    def close(self) -> None:
        """Commit everything queued, stop the writer; raise if something could not be stored."""
        self._stop()
        if self._failed:
            batch, self._failed = self._failed, []
            try:
                self._write(batch)
            except Exception as error:
                raise VmoveWriteError(f"Could not record {len(batch)} vmove update(s) of notification "
                                      f"{self.notification_uuid}: {error}") from error

    def _commit(self, updates: list[tuple[str, str, dict]]) -> None:
        try:
            self._write(self._failed + updates)
            self._failed = []
        except Exception:
            # Kept for the next batch or close(), which raises if it still fails.
            LOG.exception("Notification %s: could not record %d vmove update(s); retrying later",
                          self.notification_uuid, len(updates))
            self._failed += updates

    def _write(self, updates: list[tuple[str, str, dict]]) -> None:
        for message in recovery_records.update_vmoves(self.notification_uuid, updates):
            LOG.warning("Notification %s: vmove update skipped: %s", self.notification_uuid, message)
