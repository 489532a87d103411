"""Claiming notifications with leases: the only way an engine starts working on one.

Every write is a conditional UPDATE (``... WHERE status = :old AND ...``) whose row count
says whether this engine won, so any number of engines can race on one notification and
exactly one gets it, on SQLite, PostgreSQL and MariaDB alike. Host failure recoveries are
additionally serialised per host: the claim locks the host row (``SELECT ... FOR UPDATE``;
SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway) and refuses while another host
recovery of the same host holds a live lease.
"""

import dataclasses
import datetime
import json

import sqlalchemy as sa

from masakari_ha.db import models
from masakari_ha.db import session as db_session
from masakari_ha.engine import status as st

_N = models.Notification.__table__
_H = models.Host.__table__
_S = models.FailoverSegment.__table__


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@dataclasses.dataclass(frozen=True)
class Claim:
    """What an engine needs to run one claimed notification (a snapshot, no session)."""

    notification_uuid: str
    type: str
    payload: dict
    generated_time: datetime.datetime
    created_at: datetime.datetime | None
    source_host_uuid: str
    segment_uuid: str | None
    previous_status: str
    attempts: int
    owner: str
    host_name: str | None
    host_reserved: bool
    segment_enabled: bool
    recovery_method: str | None


class ClaimRefused(Exception):
    """The notification exists but cannot be claimed now; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@db_session.retry_on_deadlock
def claim(notification_uuid: str, owner: str, lease_seconds: int) -> Claim:
    """Claim ``notification_uuid`` for ``owner`` until now + ``lease_seconds``.

    :raises ClaimRefused: terminal, held by a live lease, another recovery of the same host
        running, or the notification is unknown.
    """
    now = utcnow()
    with db_session.transaction(write=True) as session:
        row = session.execute(
            sa.select(_N).where(_N.c.notification_uuid == notification_uuid).with_for_update()
        ).first()
        if row is None:
            raise ClaimRefused("unknown notification")
        old = row.status
        if old not in st.CLAIMABLE:
            raise ClaimRefused(f"status is {old}")
        takeover = old == st.RUNNING
        if takeover and row.lease_expires_at is not None and row.lease_expires_at > now:
            raise ClaimRefused(f"held by {row.owner} until {row.lease_expires_at.isoformat()}")
        st.check_transition(old, st.RUNNING)
        host = session.execute(
            sa.select(_H).where(_H.c.uuid == row.source_host_uuid, _H.c.deleted == 0).with_for_update()
        ).first()
        if row.type == "COMPUTE_HOST" and host is not None:
            busy = session.execute(
                sa.select(_N.c.notification_uuid).where(
                    _N.c.type == "COMPUTE_HOST",
                    _N.c.source_host_uuid == row.source_host_uuid,
                    _N.c.status == st.RUNNING.value,
                    _N.c.lease_expires_at > now,
                    _N.c.notification_uuid != notification_uuid,
                )
            ).first()
            if busy is not None:
                raise ClaimRefused(f"host recovery {busy.notification_uuid} of the same host is running")
        condition = [_N.c.notification_uuid == notification_uuid, _N.c.status == old]
        if takeover:
            condition.append(sa.or_(_N.c.lease_expires_at.is_(None), _N.c.lease_expires_at <= now))
        attempts = row.attempts if takeover else row.attempts + 1
        result = session.execute(
            sa.update(_N)
            .where(*condition)
            .values(status=st.RUNNING.value, owner=owner, attempts=attempts,
                    lease_expires_at=now + datetime.timedelta(seconds=lease_seconds),
                    updated_at=models.utcnow())
        )
        if result.rowcount != 1:
            raise ClaimRefused("claimed by another engine")
        segment = None
        segment_id = host.failover_segment_id if host is not None else row.failover_segment_uuid
        if segment_id:
            segment = session.execute(
                sa.select(_S).where(_S.c.uuid == segment_id, _S.c.deleted == 0)
            ).first()
        return Claim(
            notification_uuid=notification_uuid,
            type=row.type,
            payload=json.loads(row.payload) if row.payload else {},
            generated_time=row.generated_time,
            created_at=row.created_at,
            source_host_uuid=row.source_host_uuid,
            segment_uuid=segment_id,
            previous_status=old,
            attempts=attempts,
            owner=owner,
            host_name=host.name if host is not None else None,
            host_reserved=bool(host.reserved) if host is not None else False,
            segment_enabled=bool(segment.enabled) if segment is not None else True,
            recovery_method=segment.recovery_method if segment is not None else None,
        )


@db_session.retry_on_deadlock
def renew(owner: str, notification_uuids: list[str], lease_seconds: int) -> set[str]:
    """Extend the leases ``owner`` still holds; return the uuids it still holds."""
    if not notification_uuids:
        return set()
    now = utcnow()
    where = (
        _N.c.notification_uuid.in_(notification_uuids),
        _N.c.owner == owner,
        _N.c.status == st.RUNNING.value,
    )
    with db_session.transaction(write=True) as session:
        session.execute(
            sa.update(_N).where(*where).values(lease_expires_at=now + datetime.timedelta(seconds=lease_seconds))
        )
        held = session.execute(sa.select(_N.c.notification_uuid).where(*where)).scalars()
        return set(held)


@db_session.retry_on_deadlock
def finish(notification_uuid: str, owner: str, status: str, message: str | None) -> bool:
    """Move an owned running notification to ``status``; False if the claim was lost."""
    st.check_transition(st.RUNNING, status)
    with db_session.transaction(write=True) as session:
        result = session.execute(
            sa.update(_N)
            .where(_N.c.notification_uuid == notification_uuid, _N.c.owner == owner,
                   _N.c.status == st.RUNNING.value)
            .values(status=status, message=message, owner=None, lease_expires_at=None,
                    updated_at=models.utcnow())
        )
        return result.rowcount == 1


@db_session.retry_on_deadlock
def release(notification_uuid: str, owner: str) -> bool:
    """Give an owned claim up (engine stopping): expire its lease so any engine resumes it."""
    with db_session.transaction(write=True) as session:
        result = session.execute(
            sa.update(_N)
            .where(_N.c.notification_uuid == notification_uuid, _N.c.owner == owner,
                   _N.c.status == st.RUNNING.value)
            .values(lease_expires_at=utcnow())
        )
        return result.rowcount == 1


@db_session.retry_on_deadlock
def mark_ignored_unclaimed(notification_uuid: str, message: str) -> bool:
    """``new -> ignored`` without a claim (used for events no flow handles)."""
    st.check_transition(st.NEW, st.IGNORED)
    with db_session.transaction(write=True) as session:
        result = session.execute(
            sa.update(_N)
            .where(_N.c.notification_uuid == notification_uuid, _N.c.status == st.NEW.value)
            .values(status=st.IGNORED.value, message=message, updated_at=models.utcnow())
        )
        return result.rowcount == 1


def find_resumable(new_age_seconds: int, retry_age_seconds: int, max_attempts: int) -> list[str]:
    """Notifications a sweep should (re)start, oldest first.

    ``new`` older than ``new_age_seconds`` (the cast was lost), ``running`` with an expired
    lease (the engine died), ``error`` older than ``retry_age_seconds`` with attempts left.
    """
    now = utcnow()
    with db_session.transaction() as session:
        rows = session.execute(
            sa.select(_N.c.notification_uuid)
            .where(
                sa.or_(
                    sa.and_(_N.c.status == st.NEW.value,
                            _N.c.created_at <= now - datetime.timedelta(seconds=new_age_seconds)),
                    sa.and_(_N.c.status == st.RUNNING.value,
                            sa.or_(_N.c.lease_expires_at.is_(None), _N.c.lease_expires_at <= now)),
                    sa.and_(_N.c.status == st.ERROR.value, _N.c.attempts < max_attempts,
                            _N.c.updated_at <= now - datetime.timedelta(seconds=retry_age_seconds)),
                )
            )
            .order_by(_N.c.generated_time, _N.c.id)
        ).scalars()
        return list(rows)


@db_session.retry_on_deadlock
def fail_exhausted(max_attempts: int) -> list[str]:
    """``error -> failed`` for notifications whose automatic retries are used up."""
    return _to_failed(sa.and_(_N.c.status == st.ERROR.value, _N.c.attempts >= max_attempts),
                      "Recovery failed after {attempts} attempts; see the previous error message.")


@db_session.retry_on_deadlock
def fail_expired(expired_seconds: int) -> list[str]:
    """new/running/error older than ``expired_seconds`` (by generated_time) -> failed."""
    limit = utcnow() - datetime.timedelta(seconds=expired_seconds)
    return _to_failed(
        sa.and_(_N.c.status.in_([s.value for s in st.EXPIRABLE]), _N.c.generated_time < limit),
        "Notification expired before its recovery completed.",
    )


def _to_failed(condition, message_fmt: str) -> list[str]:
    with db_session.transaction(write=True) as session:
        rows = session.execute(
            sa.select(_N.c.notification_uuid, _N.c.status, _N.c.attempts, _N.c.message).where(condition)
        ).all()
        failed = []
        for row in rows:
            st.check_transition(row.status, st.FAILED)
            message = message_fmt.format(attempts=row.attempts)
            if row.message:
                message = f"{message} Last error: {row.message}"
            result = session.execute(
                sa.update(_N)
                .where(_N.c.notification_uuid == row.notification_uuid, _N.c.status == row.status)
                .values(status=st.FAILED.value, message=message, owner=None, lease_expires_at=None,
                        updated_at=models.utcnow())
            )
            if result.rowcount == 1:
                failed.append(row.notification_uuid)
        return failed
