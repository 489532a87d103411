"""What the engine records while it works: vmoves (microversion 1.3) and per-task progress
(``recovery_workflow_details``, 1.1). The API reads these rows directly, so showing a
notification never needs a live engine."""

import datetime
import json
import threading
import uuid as uuidlib
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from masakari_ha.db import models
from masakari_ha.db import session as db_session

_V = models.VMove.__table__
_P = models.RecoveryTaskProgress.__table__
_H = models.Host.__table__

#: vmove statuses and their allowed transitions (upstream's values). ``failed -> pending``
#: is a retry of the notification re-trying the guests that failed before.
VMOVE_TRANSITIONS = frozenset(
    {
        ("pending", "ongoing"),
        ("pending", "succeeded"),
        ("pending", "ignored"),
        ("pending", "failed"),
        ("ongoing", "succeeded"),
        ("ongoing", "failed"),
        ("ongoing", "ongoing"),
        ("ongoing", "ignored"),
        ("failed", "pending"),
    }
)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@db_session.retry_on_deadlock
def ensure_vmoves(notification_uuid: str, source_host: str, instances: Iterable[tuple[str, str]]) -> None:
    """Create one ``pending`` evacuation vmove per (instance_uuid, name) not recorded yet.

    Idempotent: a resumed or retried notification keeps its vmoves; ones that ``failed``
    before go back to ``pending`` so they are tried again (upstream counted them forever).
    """
    with db_session.transaction(write=True) as session:
        existing = {
            row.instance_uuid: row
            for row in session.execute(
                sa.select(_V.c.instance_uuid, _V.c.status).where(
                    _V.c.notification_uuid == notification_uuid, _V.c.deleted == 0)
            )
        }
        for instance_uuid, name in instances:
            row = existing.get(instance_uuid)
            if row is None:
                session.execute(sa.insert(_V).values(
                    uuid=str(uuidlib.uuid4()), notification_uuid=notification_uuid,
                    instance_uuid=instance_uuid, instance_name=(name or "")[:255],
                    source_host=source_host, type="evacuation", status="pending",
                    created_at=models.utcnow(), deleted=0))
            elif row.status == "failed":
                session.execute(sa.update(_V).where(
                    _V.c.notification_uuid == notification_uuid, _V.c.instance_uuid == instance_uuid
                ).values(status="pending", message=None, end_time=None, updated_at=models.utcnow()))


def list_vmoves(notification_uuid: str) -> list[dict]:
    """All live vmoves of a notification, in creation order, as dicts."""
    with db_session.transaction() as session:
        rows = session.execute(
            sa.select(_V).where(_V.c.notification_uuid == notification_uuid, _V.c.deleted == 0)
            .order_by(_V.c.id)
        ).mappings()
        return [dict(row) for row in rows]


#: Hundreds of evacuation threads record outcomes at once; they queue here rather than on
#: the connection pool, whose checkout times out (SQLite serialises the writes anyway).
_vmove_writers = threading.BoundedSemaphore(8)


@db_session.retry_on_deadlock
def update_vmove(notification_uuid: str, instance_uuid: str, status: str, **fields) -> None:
    """Set a vmove's status (checked against VMOVE_TRANSITIONS) and other columns."""
    with _vmove_writers, db_session.transaction(write=True) as session:
        where = (_V.c.notification_uuid == notification_uuid, _V.c.instance_uuid == instance_uuid,
                 _V.c.deleted == 0)
        current = session.execute(sa.select(_V.c.status).where(*where)).scalar_one()
        if current != status and (current, status) not in VMOVE_TRANSITIONS:
            raise ValueError(f"vmove of {instance_uuid} cannot change from {current} to {status}")
        session.execute(sa.update(_V).where(*where).values(status=status, updated_at=models.utcnow(),
                                                           **fields))


@db_session.retry_on_deadlock
def update_vmoves(notification_uuid: str, updates: Iterable[tuple[str, str, dict]]) -> list[str]:
    """Apply many ``(instance_uuid, status, fields)`` vmove updates in one transaction.

    The engine's evacuation threads hand their outcomes to one writer that commits them
    together (one SQLite lock and fsync per batch instead of per guest). Updates of one
    instance are applied in the given order. Returns a message per update refused by
    VMOVE_TRANSITIONS or naming no live vmove; those are skipped, the others applied.
    """
    refused = []
    with db_session.transaction(write=True) as session:
        for instance_uuid, status, fields in updates:
            where = (_V.c.notification_uuid == notification_uuid, _V.c.instance_uuid == instance_uuid,
                     _V.c.deleted == 0)
            current = session.execute(sa.select(_V.c.status).where(*where)).scalar_one_or_none()
            if current is None:
                refused.append(f"vmove of {instance_uuid} does not exist")
                continue
            if current != status and (current, status) not in VMOVE_TRANSITIONS:
                refused.append(f"vmove of {instance_uuid} cannot change from {current} to {status}")
                continue
            session.execute(sa.update(_V).where(*where).values(status=status, updated_at=models.utcnow(),
                                                               **fields))
    return refused


@db_session.retry_on_deadlock
def record_progress(notification_uuid: str, name: str, message: str | None = None,
                    progress: float | None = None, state: str | None = None,
                    order: Sequence[str] | None = None, timestamp: datetime.datetime | None = None) -> None:
    """Append to (creating if needed) the progress row of task ``name``.

    Rows keep upstream's format: ``progress_details`` is a JSON list of ``{"timestamp",
    "message", "progress"}`` with progress as a string (``timestamp``: when it happened,
    default now). ``position`` orders the rows as upstream lists them: by ``order``, the
    running flow's configured task list (pre, main, post), when given; rows of names not
    in it (the fencing gate, tasks only an earlier phase's flow had) keep their relative
    order ahead of them. Without ``order`` a new row goes last.
    """
    with db_session.transaction(write=True) as session:
        _record_progress(session, notification_uuid, name, message, progress, state, order, timestamp)


@db_session.retry_on_deadlock
def record_progress_batch(entries: Sequence[dict]) -> None:
    """Several :func:`record_progress` calls (their keyword arguments) in one transaction,
    applied in the given order."""
    with db_session.transaction(write=True) as session:
        for entry in entries:
            _record_progress(session, entry["notification_uuid"], entry["name"], entry.get("message"),
                             entry.get("progress"), entry.get("state"), entry.get("order"),
                             entry.get("timestamp"))


def _record_progress(session, notification_uuid, name, message, progress, state, order, timestamp) -> None:
    row = session.execute(
        sa.select(_P).where(_P.c.notification_uuid == notification_uuid, _P.c.name == name)
    ).first()
    values = {}
    if row is None:
        position = session.execute(
            sa.select(sa.func.coalesce(sa.func.max(_P.c.position), -1)).where(
                _P.c.notification_uuid == notification_uuid)
        ).scalar_one() + 1
        details = []
    else:
        details = json.loads(row.progress_details or "[]")
    if message is not None:
        value = progress if progress is not None else (row.progress if row is not None else 0.0)
        details.append({"timestamp": str(timestamp or _now()), "message": message,
                        "progress": str(float(value))})
        values["progress_details"] = json.dumps(details)
    if progress is not None:
        values["progress"] = float(progress)
    if state is not None:
        values["state"] = state
    if row is None:
        session.execute(sa.insert(_P).values(
            notification_uuid=notification_uuid, position=position, name=name,
            state=values.get("state", "RUNNING"), progress=values.get("progress", 0.0),
            progress_details=values.get("progress_details", "[]"), created_at=models.utcnow()))
    elif values:
        session.execute(sa.update(_P).where(_P.c.id == row.id).values(updated_at=models.utcnow(), **values))
    if order:
        _renumber_progress(session, notification_uuid, list(order))


def progress_positions(current: Sequence[tuple[str, int]], order: Sequence[str]) -> list[str]:
    """Names of ``current`` ((name, position) rows) in their wanted order (pure).

    Rows named in ``order`` follow it; the others keep their relative order ahead of them.
    """
    rank = {name: index for index, name in enumerate(order)}
    return [name for name, _ in sorted(
        current, key=lambda row: (1, rank[row[0]], 0) if row[0] in rank else (0, row[1], 0))]


def _renumber_progress(session, notification_uuid: str, order: list[str]) -> None:
    rows = session.execute(sa.select(_P.c.id, _P.c.name, _P.c.position).where(
        _P.c.notification_uuid == notification_uuid)).all()
    wanted = progress_positions([(r.name, r.position) for r in rows], order)
    if wanted == [r.name for r in sorted(rows, key=lambda r: r.position)]:
        return
    ids = {r.name: r.id for r in rows}
    # Two passes, so the unique (notification, position) index never sees a duplicate.
    for index, name in enumerate(wanted):
        session.execute(sa.update(_P).where(_P.c.id == ids[name]).values(position=-1 - index))
    for index, name in enumerate(wanted):
        session.execute(sa.update(_P).where(_P.c.id == ids[name]).values(position=index))


def list_progress(notification_uuid: str) -> list[dict]:
    """Progress rows in upstream's ``recovery_workflow_details`` shape, in execution order."""
    with db_session.transaction() as session:
        rows = session.execute(
            sa.select(_P).where(_P.c.notification_uuid == notification_uuid).order_by(_P.c.position)
        ).mappings()
        return [{"name": r["name"], "state": r["state"], "progress": r["progress"],
                 "progress_details": json.loads(r["progress_details"] or "[]")} for r in rows]


@db_session.retry_on_deadlock
def update_host(host_name: str, **values) -> None:
    """Set columns (``on_maintenance``, ``reserved``) of the live masakari host ``host_name``."""
    with db_session.transaction(write=True) as session:
        session.execute(sa.update(_H).where(_H.c.name == host_name, _H.c.deleted == 0)
                        .values(updated_at=models.utcnow(), **values))


def segment_hosts(segment_uuid: str) -> list[dict]:
    """Live hosts of a segment as dicts, newest first (upstream's default order)."""
    with db_session.transaction() as session:
        rows = session.execute(
            sa.select(_H).where(_H.c.failover_segment_id == segment_uuid, _H.c.deleted == 0)
            .order_by(_H.c.created_at.desc(), _H.c.id.desc())
        ).mappings()
        return [dict(row) for row in rows]


def recent_host_failures(segment_uuid: str, since: datetime.datetime) -> set[str]:
    """Source host uuids of COMPUTE_HOST STOPPED notifications of a segment since ``since``."""
    n = models.Notification.__table__
    with db_session.transaction() as session:
        rows = session.execute(
            sa.select(n.c.source_host_uuid, n.c.payload).where(
                n.c.failover_segment_uuid == segment_uuid, n.c.type == "COMPUTE_HOST",
                n.c.generated_time >= since)
        ).all()
    hosts = set()
    for row in rows:
        payload = json.loads(row.payload) if row.payload else {}
        if str(payload.get("event", "")).upper() == "STOPPED":
            hosts.add(row.source_host_uuid)
    return hosts
