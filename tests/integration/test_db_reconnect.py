"""Pooled server connections on real PostgreSQL and MariaDB (``db/session.py``): lost
connections, and MariaDB's reset on return.

There is no ping on every pool checkout: a connection that sat idle is pinged before use
and replaced when dead; a busy connection that died is dropped by the failing statement and
``retry_on_deadlock`` runs the transaction again on a new one. Each test kills the pooled
connection from the server side (``pg_terminate_backend`` / ``KILL``).
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from masakari_ha.conf import CONF
from masakari_ha.db import session as db_session

KINDS = ["postgresql", "mariadb"]


@pytest.fixture
def db_url(request, scratch_db_factory):
    url = scratch_db_factory(request.param).url
    CONF.set_override("connection", url, group="database")
    CONF.set_override("max_pool_size", 1, group="database")
    yield url
    db_session.dispose_engines()


def _backend_id(session) -> int:
    dialect = session.get_bind().dialect.name
    query = "SELECT pg_backend_pid()" if dialect == "postgresql" else "SELECT CONNECTION_ID()"
    return session.execute(sa.text(query)).scalar_one()


def _kill(url: str, backend_id: int) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": backend_id}).scalar()
            else:
                conn.execute(sa.text(f"KILL {int(backend_id)}"))
    finally:
        engine.dispose()
    time.sleep(0.2)   # let the server close the socket


def _pooled_backend(url: str) -> int:
    with db_session.transaction() as session:
        return _backend_id(session)


@pytest.mark.parametrize("db_url", KINDS, indirect=True)
def test_idle_dead_connection_is_replaced_before_use(db_url, monkeypatch):
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 0.1)
    first = _pooled_backend(db_url)
    _kill(db_url, first)
    time.sleep(0.2)
    with db_session.transaction() as session:   # no retry wrapper: the ping must catch it
        assert _backend_id(session) != first


@pytest.mark.parametrize("db_url", KINDS, indirect=True)
def test_busy_dead_connection_fails_once_and_the_transaction_is_retried(db_url, monkeypatch):
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 3600)
    first = _pooled_backend(db_url)
    _kill(db_url, first)
    calls = []

    @db_session.retry_on_deadlock
    def work():
        calls.append(1)
        with db_session.transaction() as session:
            return _backend_id(session)

    assert work() != first
    assert len(calls) == 2, "the first attempt should have met the dead connection"


@pytest.mark.parametrize("db_url", ["mariadb"], indirect=True)
def test_mariadb_pool_rolls_back_only_an_open_transaction(db_url):
    def rollbacks(session) -> int:
        row = session.execute(sa.text("SHOW SESSION STATUS LIKE 'Com_rollback'")).one()
        return int(row[1])

    with db_session.transaction(write=True) as session:
        session.execute(sa.text("CREATE TABLE probe (v INT)"))
        before = rollbacks(session)
    with db_session.transaction() as session:   # same pooled connection (pool size 1)
        assert rollbacks(session) == before, "a committed transaction was rolled back again"
    # A connection handed back with a transaction open is rolled back by the pool.
    raw = db_session.get_engine().raw_connection()
    cursor = raw.cursor()
    cursor.execute("INSERT INTO probe VALUES (1)")
    cursor.close()
    raw.close()
    with db_session.transaction() as session:
        assert session.execute(sa.text("SELECT COUNT(*) FROM probe")).scalar_one() == 0
        assert rollbacks(session) == before + 1
