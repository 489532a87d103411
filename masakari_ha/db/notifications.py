"""Notifications: atomic intake (duplicate detection + insert) and reads.

Intake is the place upstream races: it reads, sleeps a random time and inserts. Here
:func:`create_notification` runs inside ONE write transaction that first locks the source
host's row (``SELECT ... FOR UPDATE`` on PostgreSQL/MySQL; on SQLite the write
transaction itself starts with ``BEGIN IMMEDIATE``), so any number of API workers
creating notifications for the same host are serialised by the database: exactly one of
several identical notifications is stored, the others see it and get 409.
"""

import dataclasses
import datetime
import json
import uuid as uuid_lib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from masakari_ha import exception
from masakari_ha.db import hosts as hosts_db
from masakari_ha.db import listing
from masakari_ha.db.models import Notification, utcnow

SORT_KEYS = (
    "id", "notification_uuid", "type", "generated_time", "payload", "status",
    "source_host_uuid", "failover_segment_uuid", "created_at", "updated_at",
)
FILTERS = ("status", "source_host_uuid", "type")


@dataclasses.dataclass(frozen=True)
class StoredNotification:
    """A notification as intake inserted it: the columns the API shows, no ORM object.

    Intake inserts with a Core statement and builds this from the values it sent (plus
    the id the database assigned), which saves the ORM unit of work on the busiest path.
    """

    id: int
    notification_uuid: str
    generated_time: datetime.datetime
    type: str
    payload: str
    status: str
    source_host_uuid: str
    failover_segment_uuid: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime | None = None
    deleted_at: datetime.datetime | None = None
    deleted: int = 0
    message: str | None = None


def get_notification(session: Session, notification_uuid: str) -> Notification:
    """The notification with this UUID; NotificationNotFound (404) otherwise."""
    stmt = sa.select(Notification).where(
        Notification.notification_uuid == notification_uuid, Notification.deleted == 0
    )
    notification = session.scalars(stmt).first()
    if notification is None:
        raise exception.NotificationNotFound(id=notification_uuid)
    return notification


def list_notifications(
    session: Session,
    params: listing.ListParams,
    generated_since: datetime.datetime | None = None,
) -> list[Notification]:
    """Notifications matching the exact filters and ``generated_time >= generated_since``."""
    stmt = sa.select(Notification).where(Notification.deleted == 0)
    for key, value in params.filters.items():
        if key not in FILTERS:
            raise ValueError(f"unsupported notification filter {key}")
        stmt = stmt.where(getattr(Notification, key) == value)
    if generated_since is not None:
        stmt = stmt.where(Notification.generated_time >= generated_since)
    return listing.paginate(
        session, stmt, Notification, params, SORT_KEYS, uuid_column="notification_uuid"
    )


def maintenance_exempt(notification_type: str, payload: dict, auto_recover_host: bool) -> bool:
    """True when a notification from a host on maintenance is still accepted.

    With ``[host_failure] auto_recover_host`` a COMPUTE_HOST ``STARTED`` event is how a
    repaired host announces it is back, so it must get through.
    """
    return (
        auto_recover_host
        and notification_type == "COMPUTE_HOST"
        and str(payload.get("event", "")).upper() == "STARTED"
    )


# Intake's statements, prebuilt once (see hosts_db.lock_host_by_name).
_DUPLICATE_CANDIDATES = sa.select(Notification.notification_uuid, Notification.payload).where(
    Notification.source_host_uuid == sa.bindparam("host_uuid"),
    Notification.type == sa.bindparam("type"),
    Notification.generated_time >= sa.bindparam("since"),
    Notification.deleted == 0,
)
_INSERT = sa.insert(Notification.__table__)


def find_duplicate(
    conn: sa.Connection,
    host_uuid: str,
    notification_type: str,
    generated_time: datetime.datetime,
    payload: dict,
    interval_seconds: int,
) -> str | None:
    """The UUID of an existing notification that makes the new one a duplicate, or None.

    Same type, same source host, identical payload, generated no earlier than
    ``generated_time - interval``; status deliberately ignored (upstream LP#1858548).
    """
    since = generated_time - datetime.timedelta(seconds=interval_seconds)
    candidates = conn.execute(
        _DUPLICATE_CANDIDATES, {"host_uuid": host_uuid, "type": notification_type, "since": since})
    for candidate_uuid, candidate_payload in candidates:
        try:
            if json.loads(candidate_payload or "{}") == payload:
                return candidate_uuid
        except ValueError:
            continue
    return None


def create_notification(
    conn: sa.Connection,
    *,
    notification_type: str,
    hostname: str,
    generated_time: datetime.datetime,
    payload: dict,
    detection_interval: int,
    auto_recover_host: bool = False,
) -> StoredNotification:
    """Check and store a new notification atomically; returns the row (status ``new``).

    Must run in ``core_transaction(write=True)``. Raises HostNotFoundByName (400) for an
    unknown host, HostOnMaintenance (409) and DuplicateNotification (409).
    """
    host = hosts_db.lock_host_by_name(conn, hostname)
    if host.on_maintenance and not maintenance_exempt(notification_type, payload, auto_recover_host):
        raise exception.HostOnMaintenance(host_name=hostname, type=notification_type)
    if find_duplicate(conn, host.uuid, notification_type, generated_time, payload, detection_interval):
        raise exception.DuplicateNotification(host=hostname, type=notification_type)
    values = {
        "notification_uuid": str(uuid_lib.uuid4()),
        "generated_time": generated_time,
        "type": notification_type,
        "payload": json.dumps(payload),
        "status": "new",
        "source_host_uuid": host.uuid,
        "failover_segment_uuid": host.failover_segment_id,
        "created_at": utcnow(),
        "deleted": 0,
    }
    result = conn.execute(_INSERT, {**values, "attempts": 0})
    return StoredNotification(id=result.inserted_primary_key[0], **values)
