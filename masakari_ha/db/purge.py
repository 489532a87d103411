"""``masakari-ha-manage db purge``: hard-delete old rows nobody needs any more.

What goes (all older than the cut-off):

* soft-deleted segments, hosts and vmoves (by ``deleted_at``);
* notifications in a terminal status (finished, failed, ignored) by ``updated_at``
  (``created_at`` when never updated), with their vmoves and recovery progress rows.

Hosts go before segments and a segment only once no host row refers to it, so the
foreign key always holds. ``max_rows`` bounds the rows deleted per table (-1 = no bound).
"""

import datetime
import logging

import sqlalchemy as sa

from masakari_ha.db import session as db_session
from masakari_ha.db.models import FailoverSegment, Host, Notification, RecoveryTaskProgress, VMove, utcnow

LOG = logging.getLogger(__name__)

TERMINAL_STATUSES = ("finished", "failed", "ignored")


def _bounded_ids(session, stmt, max_rows: int) -> list[int]:
    if max_rows >= 0:
        stmt = stmt.limit(max_rows)
    return list(session.scalars(stmt))


def _delete_ids(session, model, ids: list[int]) -> int:
    deleted = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        deleted += session.execute(sa.delete(model).where(model.id.in_(chunk))).rowcount
    return deleted


@db_session.retry_on_deadlock
def purge(age_in_days: int, max_rows: int = -1) -> dict[str, int]:
    """Delete rows older than ``age_in_days``; returns ``{table: rows deleted}``."""
    if age_in_days < 0:
        raise ValueError("age_in_days must be 0 or more")
    cutoff = utcnow() - datetime.timedelta(days=age_in_days)
    counts: dict[str, int] = {}
    with db_session.transaction(write=True) as session:
        # Terminal notifications and what hangs off them.
        last_change = sa.func.coalesce(Notification.updated_at, Notification.created_at)
        notif_rows = session.execute(
            sa.select(Notification.id, Notification.notification_uuid)
            .where(Notification.status.in_(TERMINAL_STATUSES), last_change < cutoff)
            .order_by(Notification.id)
            .limit(None if max_rows < 0 else max_rows)
        ).all()
        notif_uuids = [row.notification_uuid for row in notif_rows]
        progress = vmoves = 0
        for start in range(0, len(notif_uuids), 500):
            chunk = notif_uuids[start:start + 500]
            progress += session.execute(
                sa.delete(RecoveryTaskProgress).where(RecoveryTaskProgress.notification_uuid.in_(chunk))
            ).rowcount
            vmoves += session.execute(sa.delete(VMove).where(VMove.notification_uuid.in_(chunk))).rowcount
        counts["notifications"] = _delete_ids(session, Notification, [row.id for row in notif_rows])
        counts["recovery_task_progress"] = progress

        # Soft-deleted vmoves of notifications that stay.
        vmove_ids = _bounded_ids(
            session,
            sa.select(VMove.id).where(VMove.deleted != 0, VMove.deleted_at < cutoff).order_by(VMove.id),
            max_rows,
        )
        counts["vmoves"] = vmoves + _delete_ids(session, VMove, vmove_ids)

        host_ids = _bounded_ids(
            session,
            sa.select(Host.id).where(Host.deleted != 0, Host.deleted_at < cutoff).order_by(Host.id),
            max_rows,
        )
        counts["hosts"] = _delete_ids(session, Host, host_ids)

        still_referenced = sa.select(Host.id).where(Host.failover_segment_id == FailoverSegment.uuid)
        segment_ids = _bounded_ids(
            session,
            sa.select(FailoverSegment.id)
            .where(
                FailoverSegment.deleted != 0,
                FailoverSegment.deleted_at < cutoff,
                ~still_referenced.exists(),
            )
            .order_by(FailoverSegment.id),
            max_rows,
        )
        counts["failover_segments"] = _delete_ids(session, FailoverSegment, segment_ids)
    LOG.info("Purged rows older than %d days: %s", age_in_days, counts)
    return counts
