"""Failover segments: reads and writes, each inside the caller's transaction.

Every function takes the ``Session`` of a ``db.session.transaction()`` as first argument
so callers compose several steps atomically. Soft-deleted rows are invisible here.
"""

import uuid as uuid_lib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from masakari_ha import exception
from masakari_ha.db import listing
from masakari_ha.db.models import FailoverSegment, Host, Notification, utcnow

# Sort keys a list request may use (upstream documents a subset; any public column works).
SORT_KEYS = (
    "id", "uuid", "name", "description", "recovery_method", "service_type", "enabled",
    "created_at", "updated_at",
)
FILTERS = ("recovery_method", "service_type", "enabled")

# Statuses that mean "a recovery is pending or in progress in this segment".
UNFINISHED_STATUSES = ("new", "running", "error")


def get_segment(session: Session, segment_uuid: str, for_update: bool = False) -> FailoverSegment:
    """The live segment with this UUID; FailoverSegmentNotFound (404) otherwise."""
    stmt = sa.select(FailoverSegment).where(
        FailoverSegment.uuid == segment_uuid, FailoverSegment.deleted == 0
    )
    if for_update:
        stmt = stmt.with_for_update()
    segment = session.scalars(stmt).first()
    if segment is None:
        raise exception.FailoverSegmentNotFound(id=segment_uuid)
    return segment


def list_segments(session: Session, params: listing.ListParams) -> list[FailoverSegment]:
    """Live segments matching ``params.filters`` (exact match), sorted and paginated."""
    stmt = sa.select(FailoverSegment).where(FailoverSegment.deleted == 0)
    for key, value in params.filters.items():
        if key not in FILTERS:
            raise ValueError(f"unsupported segment filter {key}")
        stmt = stmt.where(getattr(FailoverSegment, key) == value)
    return listing.paginate(session, stmt, FailoverSegment, params, SORT_KEYS)


def _name_taken(session: Session, name: str, except_uuid: str | None = None) -> bool:
    stmt = sa.select(FailoverSegment.id).where(
        FailoverSegment.name == name, FailoverSegment.deleted == 0
    )
    if except_uuid:
        stmt = stmt.where(FailoverSegment.uuid != except_uuid)
    return session.scalars(stmt.limit(1)).first() is not None


def create_segment(session: Session, values: dict) -> FailoverSegment:
    """Insert a segment; FailoverSegmentExists (409) when the name is in use."""
    if _name_taken(session, values["name"]):
        raise exception.FailoverSegmentExists(name=values["name"])
    segment = FailoverSegment(uuid=str(uuid_lib.uuid4()), deleted=0, **values)
    if segment.enabled is None:
        segment.enabled = True
    session.add(segment)
    try:
        session.flush()
    except sa_exc.IntegrityError as error:
        raise exception.FailoverSegmentExists(name=values["name"]) from error
    return segment


def lock_hosts(session: Session, segment_uuid: str) -> None:
    """Row-lock the live hosts of a segment (PostgreSQL/MySQL; SQLite writers are exclusive).

    Notification intake locks its source host row first, so taking these locks before
    :func:`is_under_recovery` makes "check the guard, then change the segment or host"
    atomic against a notification arriving at the same moment.
    """
    session.execute(
        sa.select(Host.id)
        .where(Host.failover_segment_id == segment_uuid, Host.deleted == 0)
        .order_by(Host.id)
        .with_for_update()
    )


def is_under_recovery(session: Session, segment_uuid: str) -> bool:
    """True when any live host of the segment has a notification new/running/error.

    Upstream's guard for segment/host update and delete (409 "in use").
    """
    host_uuids = sa.select(Host.uuid).where(
        Host.failover_segment_id == segment_uuid, Host.deleted == 0
    )
    stmt = (
        sa.select(Notification.id)
        .where(
            Notification.source_host_uuid.in_(host_uuids),
            Notification.status.in_(UNFINISHED_STATUSES),
            Notification.deleted == 0,
        )
        .limit(1)
    )
    return session.scalars(stmt).first() is not None


def update_segment(session: Session, segment_uuid: str, values: dict) -> FailoverSegment:
    """Change a segment; 404 unknown, 409 name taken or segment under recovery."""
    segment = get_segment(session, segment_uuid, for_update=True)
    lock_hosts(session, segment_uuid)
    if is_under_recovery(session, segment_uuid):
        raise exception.FailoverSegmentInUse(uuid=segment_uuid)
    if "name" in values and values["name"] != segment.name and _name_taken(
        session, values["name"], except_uuid=segment_uuid
    ):
        raise exception.FailoverSegmentExists(name=values["name"])
    for key, value in values.items():
        setattr(segment, key, value)
    segment.updated_at = utcnow()
    try:
        session.flush()
    except sa_exc.IntegrityError as error:
        raise exception.FailoverSegmentExists(name=values.get("name")) from error
    return segment


def delete_segment(session: Session, segment_uuid: str) -> None:
    """Soft-delete a segment and all its live hosts; 404 unknown, 409 under recovery."""
    segment = get_segment(session, segment_uuid, for_update=True)
    lock_hosts(session, segment_uuid)
    if is_under_recovery(session, segment_uuid):
        raise exception.FailoverSegmentInUse(uuid=segment_uuid)
    now = utcnow()
    session.execute(
        sa.update(Host)
        .where(Host.failover_segment_id == segment_uuid, Host.deleted == 0)
        .values(deleted=Host.id, deleted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    segment.mark_deleted()
    session.flush()
