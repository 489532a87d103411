"""Engines and transactions.

One engine per process and URL. ``transaction(write=True)`` is the only way code writes:
on SQLite it starts with ``BEGIN IMMEDIATE`` so concurrent writers (API workers, engines)
queue on the database lock instead of failing half-way; on PostgreSQL and MySQL writers
take row locks (``SELECT ... FOR UPDATE``) where they need serialisation. Transactions the
database aborts as deadlocks or serialization failures, or that lost their connection, are
retried by ``retry_on_deadlock``.

Server connections are pinged only when taken from the pool after more than
``PING_AFTER_IDLE_SECONDS`` unused (a server restart or idle timeout in the meantime is
then caught before use). A busy connection is not pinged on every checkout: that ping
was one of the five or six round trips of a notification intake.
"""

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from masakari_ha.conf import CONF
from masakari_ha.conf.paths import state_path

LOG = logging.getLogger(__name__)

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_sessionmakers: dict[str, sessionmaker] = {}

PING_AFTER_IDLE_SECONDS = 1.0

T = TypeVar("T")


def database_url() -> str:
    """The configured database URL, or the embedded SQLite file under state_path."""
    if CONF.database.connection:
        return CONF.database.connection
    return "sqlite:///" + state_path(CONF, "masakari_ha.sqlite")


def _configure_sqlite(engine: Engine) -> None:
    busy_ms = CONF.database.sqlite_busy_timeout * 1000

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's begin event decide how transactions start (DEFERRED/IMMEDIATE).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("masakari_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def get_engine(url: str | None = None) -> Engine:
    """Return the process-wide engine for ``url`` (default: the configured database)."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
            _sessionmakers[url] = sessionmaker(bind=engine, expire_on_commit=False)
        return engine


def _create_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    kwargs = dict(
        pool_size=CONF.database.max_pool_size,
        max_overflow=CONF.database.max_overflow,
        pool_timeout=CONF.database.pool_timeout,
        pool_recycle=3600,
    )
    if parsed.get_backend_name() == "mysql":
        kwargs["isolation_level"] = "READ COMMITTED"
        kwargs["pool_reset_on_return"] = None   # _rollback_only_if_in_transaction instead
    engine = sa.create_engine(url, **kwargs)
    _ping_after_idle(engine)
    if parsed.get_backend_name() == "mysql":
        _rollback_only_if_in_transaction(engine)
    return engine


_SERVER_STATUS_IN_TRANS = 1   # MySQL protocol: SERVER_STATUS_IN_TRANS in every OK packet


def _rollback_only_if_in_transaction(engine: Engine) -> None:
    """Reset a MySQL connection returned to the pool with a ROLLBACK only when the server
    says a transaction is open. The pool's default reset sends ROLLBACK even after the
    COMMIT of every ``transaction()`` (PyMySQL does not skip it, psycopg2 does): one round
    trip per request for nothing."""

    @event.listens_for(engine.pool, "reset")
    def _on_reset(dbapi_conn, _record, reset_state):
        if reset_state.terminate_only:
            return
        status = getattr(dbapi_conn, "server_status", _SERVER_STATUS_IN_TRANS)
        if status & _SERVER_STATUS_IN_TRANS:
            dbapi_conn.rollback()


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only if it sat idle for a while; a dead one is
    replaced by the pool (it retries the checkout on DisconnectionError)."""

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn, record):
        if record is not None:
            record.info["masakari_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):
        idle_since = record.info.get("masakari_idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"idle connection is dead: {error}") from error
        if not alive:
            raise exc.DisconnectionError("idle connection is dead")


def dispose_engines() -> None:
    """Drop every pooled connection (after fork, and between tests)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _sessionmakers.clear()


@contextlib.contextmanager
def core_transaction(write: bool = False, url: str | None = None) -> Iterator[sa.Connection]:
    """A Core connection in one transaction: committed on success, rolled back on error.

    For hot paths that run a few prebuilt statements and need no ORM unit of work
    (notification intake); everything else uses :func:`transaction`.
    """
    engine = get_engine(url)
    with engine.connect() as conn:
        if write:
            conn.execution_options(masakari_write=True)
        # Begin on the connection first so a writer holds the SQLite write lock from the
        # start of the block, not from its first statement.
        with conn.begin():
            yield conn


@contextlib.contextmanager
def transaction(write: bool = False, url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with core_transaction(write, url) as conn:
        with _sessionmakers[url or database_url()](bind=conn) as session:
            yield session
            session.flush()


def is_retryable(error: BaseException) -> bool:
    """True for deadlocks/serialization failures/lock timeouts/lost connections a retry can
    cure (the pool has dropped a connection that failed as disconnected)."""
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    text = str(error.orig).lower() if error.orig is not None else str(error).lower()
    code = getattr(error.orig, "pgcode", None)
    if code in ("40001", "40P01", "55P03"):
        return True
    args = getattr(error.orig, "args", ())
    if args and args[0] in (1205, 1213):  # MySQL lock wait timeout / deadlock
        return True
    return "database is locked" in text or "deadlock" in text


def retry_on_deadlock(func: Callable[..., T]) -> Callable[..., T]:
    """Re-run ``func`` (which must open its own transaction) on retryable DB errors."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        attempts = CONF.database.deadlock_retries
        for attempt in range(attempts + 1):
            try:
                return func(*args, **kwargs)
            except exc.DBAPIError as error:
                if attempt >= attempts or not is_retryable(error):
                    raise
                LOG.warning("Database asked to retry %s (attempt %d/%d): %s",
                            func.__qualname__, attempt + 1, attempts, error.orig)
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
        raise AssertionError("unreachable")

    return wrapper
