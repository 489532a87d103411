"""Hosts of failover segments: reads and writes inside the caller's transaction.

Host names are unique among live hosts across all segments (a compute host belongs to
one segment). Every function takes the ``Session`` of a ``db.session.transaction()``.
"""

import uuid as uuid_lib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from masakari_ha import exception
from masakari_ha.db import listing
from masakari_ha.db import segments as segments_db
from masakari_ha.db.models import Host, utcnow

SORT_KEYS = (
    "id", "uuid", "name", "type", "reserved", "on_maintenance", "control_attributes",
    "created_at", "updated_at",
)
# The columns of list_host_rows' rows, in this order (the API view unpacks them).
LIST_COLUMNS = (
    "id", "created_at", "updated_at", "deleted_at", "deleted", "uuid", "name",
    "failover_segment_id", "type", "reserved", "control_attributes", "on_maintenance",
)
# Upstream accepts name and control_attributes but ignores them; here every filter filters.
FILTERS = ("type", "on_maintenance", "reserved", "name", "control_attributes")


def get_host(session: Session, host_uuid: str, segment_uuid: str | None = None) -> Host:
    """The live host with this UUID (in that segment when given); HostNotFound (404)."""
    stmt = sa.select(Host).where(Host.uuid == host_uuid, Host.deleted == 0)
    if segment_uuid is not None:
        stmt = stmt.where(Host.failover_segment_id == segment_uuid)
    host = session.scalars(stmt).first()
    if host is None:
        raise exception.HostNotFound(id=host_uuid)
    return host


# Prebuilt once: SQLAlchemy then finds its compiled form by a memoized cache key instead
# of building and hashing a new statement on every notification.
_LOCK_HOST_BY_NAME = (
    sa.select(Host.uuid, Host.on_maintenance, Host.failover_segment_id)
    .where(Host.name == sa.bindparam("name"), Host.deleted == 0)
    .with_for_update()
)


def lock_host_by_name(conn: sa.Connection, name: str) -> sa.Row:
    """Row-lock the live host ``name`` and return its (uuid, on_maintenance,
    failover_segment_id) as a plain row, on the connection of a
    ``db.session.core_transaction()``; HostNotFoundByName (400, as upstream) when there is none.

    The lock (``SELECT ... FOR UPDATE`` on PostgreSQL/MySQL; SQLite write transactions are
    already exclusive) serialises everything the caller does for this host in the same
    transaction against other API workers: notification intake's duplicate check. Only
    columns are selected, so no eager join to the segment widens the lock."""
    row = conn.execute(_LOCK_HOST_BY_NAME, {"name": name}).first()
    if row is None:
        raise exception.HostNotFoundByName(host_name=name)
    return row


def list_hosts(session: Session, segment_uuid: str, params: listing.ListParams) -> list[Host]:
    """Live hosts of a (live) segment matching the exact-match filters, paginated."""
    segments_db.get_segment(session, segment_uuid)
    stmt = sa.select(Host).where(Host.failover_segment_id == segment_uuid, Host.deleted == 0)
    for key, value in params.filters.items():
        if key not in FILTERS:
            raise ValueError(f"unsupported host filter {key}")
        stmt = stmt.where(getattr(Host, key) == value)
    return listing.paginate(session, stmt, Host, params, SORT_KEYS)


def list_host_rows(session: Session, segment_uuid: str, params: listing.ListParams):
    """Like :func:`list_hosts` but returns ``(segment, rows)`` with plain read-only rows
    (no ORM objects) of the columns :data:`LIST_COLUMNS`, in that order: the API's fast
    path for segments with hundreds of hosts."""
    segment = segments_db.get_segment(session, segment_uuid)
    stmt = sa.select(*(getattr(Host, name) for name in LIST_COLUMNS)).where(
        Host.failover_segment_id == segment_uuid, Host.deleted == 0
    )
    for key, value in params.filters.items():
        if key not in FILTERS:
            raise ValueError(f"unsupported host filter {key}")
        stmt = stmt.where(getattr(Host, key) == value)
    return segment, listing.paginate(session, stmt, Host, params, SORT_KEYS, plain_rows=True)


def _name_taken(session: Session, name: str, except_uuid: str | None = None) -> bool:
    stmt = sa.select(Host.id).where(Host.name == name, Host.deleted == 0)
    if except_uuid:
        stmt = stmt.where(Host.uuid != except_uuid)
    return session.scalars(stmt.limit(1)).first() is not None


def create_host(session: Session, segment_uuid: str, values: dict) -> Host:
    """Add a host to a segment; 404 segment unknown, 409 name in use anywhere."""
    segment = segments_db.get_segment(session, segment_uuid)
    if _name_taken(session, values["name"]):
        raise exception.HostExists(name=values["name"])
    host = Host(uuid=str(uuid_lib.uuid4()), deleted=0, failover_segment_id=segment_uuid, **values)
    host.reserved = bool(host.reserved)
    host.on_maintenance = bool(host.on_maintenance)
    host.failover_segment = segment
    session.add(host)
    try:
        session.flush()
    except sa_exc.IntegrityError as error:
        raise exception.HostExists(name=values["name"]) from error
    return host


def update_host(session: Session, segment_uuid: str, host_uuid: str, values: dict) -> Host:
    """Change a host; 404 unknown, 409 name taken or its segment under recovery."""
    segments_db.get_segment(session, segment_uuid)
    host = get_host(session, host_uuid, segment_uuid)
    segments_db.lock_hosts(session, segment_uuid)
    if segments_db.is_under_recovery(session, segment_uuid):
        raise exception.HostInUse(uuid=host_uuid)
    if "name" in values and values["name"] != host.name and _name_taken(
        session, values["name"], except_uuid=host_uuid
    ):
        raise exception.HostExists(name=values["name"])
    for key, value in values.items():
        setattr(host, key, value)
    host.updated_at = utcnow()
    try:
        session.flush()
    except sa_exc.IntegrityError as error:
        raise exception.HostExists(name=values.get("name")) from error
    return host


def delete_host(session: Session, segment_uuid: str, host_uuid: str) -> None:
    """Soft-delete a host; 404 unknown, 409 when its segment is under recovery."""
    segments_db.get_segment(session, segment_uuid)
    host = get_host(session, host_uuid, segment_uuid)
    segments_db.lock_hosts(session, segment_uuid)
    if segments_db.is_under_recovery(session, segment_uuid):
        raise exception.HostInUse(uuid=host_uuid)
    host.mark_deleted()
    session.flush()
