"""Transactions: commit/rollback, serialised writers on SQLite, deadlock retry."""

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from masakari_ha.conf import CONF
from masakari_ha.db import migration, models
from masakari_ha.db import session as db_session


@pytest.fixture
def schema():
    migration.upgrade()


def _segment(name: str) -> models.FailoverSegment:
    return models.FailoverSegment(
        uuid=f"00000000-0000-0000-0000-{abs(hash(name)) % 10**12:012d}",
        name=name,
        service_type="COMPUTE",
        recovery_method="auto",
        enabled=True,
    )


def _count_segments() -> int:
    with db_session.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(models.FailoverSegment))


def test_embedded_default_is_sqlite_file_under_state_path(tmp_path):
    url = db_session.database_url()
    assert url.startswith("sqlite:///")
    assert url.endswith("/state/masakari_ha.sqlite")


def test_commit_on_success(schema):
    with db_session.transaction(write=True) as session:
        session.add(_segment("seg-a"))
    assert _count_segments() == 1


def test_rollback_on_error(schema):
    with pytest.raises(RuntimeError):
        with db_session.transaction(write=True) as session:
            session.add(_segment("seg-b"))
            session.flush()
            raise RuntimeError("boom")
    assert _count_segments() == 0


def test_write_transactions_are_serialised(schema):
    """Two writers doing read-modify-write never interleave (BEGIN IMMEDIATE on SQLite)."""
    with db_session.transaction(write=True) as session:
        session.add(_segment("counter"))
    inside = []
    overlaps = []

    def writer(tag):
        with db_session.transaction(write=True) as session:
            inside.append(tag)
            if len(inside) > 1:
                overlaps.append(tuple(inside))
            seg = session.scalar(sa.select(models.FailoverSegment))
            time.sleep(0.01)
            time.sleep(0.05)
            seg.description = (seg.description or "") + tag
            session.flush()
            inside.remove(tag)

    threads = [threading.Thread(target=writer, args=(str(i),)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    with db_session.transaction() as session:
        assert len(session.scalar(sa.select(models.FailoverSegment)).description) == 5


def test_soft_delete_frees_the_name(schema):
    with db_session.transaction(write=True) as session:
        seg = _segment("reuse")
        session.add(seg)
        session.flush()
        seg.mark_deleted()
    with db_session.transaction(write=True) as session:
        again = _segment("reuse2")
        again.name = "reuse"
        session.add(again)
    with db_session.transaction() as session:
        rows = session.scalars(sa.select(models.FailoverSegment).where(models.FailoverSegment.name == "reuse")).all()
    assert sorted(r.deleted != 0 for r in rows) == [False, True]


def test_retry_on_deadlock_retries_then_succeeds():
    calls = []

    @db_session.retry_on_deadlock
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise exc.OperationalError("UPDATE", {}, Exception("database is locked"))
        return "done"

    assert flaky() == "done"
    assert len(calls) == 3


def test_retry_on_deadlock_gives_up_after_configured_attempts():
    CONF.set_override("deadlock_retries", 1, group="database")
    calls = []

    @db_session.retry_on_deadlock
    def always_locked():
        calls.append(1)
        raise exc.OperationalError("UPDATE", {}, Exception("database is locked"))

    with pytest.raises(exc.OperationalError):
        always_locked()
    assert len(calls) == 2


def test_non_retryable_errors_are_not_retried():
    calls = []

    @db_session.retry_on_deadlock
    def broken():
        calls.append(1)
        raise exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    with pytest.raises(exc.IntegrityError):
        broken()
    assert len(calls) == 1
