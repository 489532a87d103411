"""TaskFlow persistence on our own database engine, with one set of table objects per process.

TaskFlow's SQLAlchemy backend builds a fresh ``MetaData`` and fresh table objects for every
connection it hands out, and its storage asks for a connection for every state change it
saves (a three-task host flow saves about twenty). SQLAlchemy caches compiled statements
per table object, so every one of those saves also compiled its statements again: most of
the cost of running a flow, paid on the recovery's path between two tasks and, with many
flows at once, in CPU that the evacuations needed. Here the backend is built once per
database engine and its connections share one set of table objects (the backend and its
connections are thread-safe; only the schema objects were per connection).

The connection class reuses TaskFlow's own (``Connection``: every query and conversion is
TaskFlow's); only its constructor differs, and
``tests/unit/engine/test_persistence.py`` checks that it sets exactly the attributes
TaskFlow's constructor sets, so a TaskFlow upgrade that changes them fails loudly.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from taskflow.persistence.backends import impl_sqlalchemy
from taskflow.persistence.backends.sqlalchemy import tables as tf_tables

from masakari_ha.db import session as db_session


class _SharedSchemaConnection(impl_sqlalchemy.Connection):
    """TaskFlow's connection, built on its backend's shared table objects."""

    # TaskFlow's constructor is not called on purpose: it is what builds new table objects.
    def __init__(self, backend: "SharedSchemaBackend", upgrade_lock: threading.Lock):
        self._backend = backend
        self._upgrade_lock = upgrade_lock
        self._engine = backend.engine
        self._metadata, self._tables, self._converter = backend.schema


class SharedSchemaBackend(impl_sqlalchemy.SQLAlchemyBackend):
    """TaskFlow's SQLAlchemy backend whose connections share one set of table objects."""

    def __init__(self, conf: dict, engine=None):
        super().__init__(conf, engine=engine)
        metadata = sa.MetaData()
        tables = tf_tables.fetch(metadata)
        self.schema = (metadata, tables, impl_sqlalchemy._Alchemist(tables))

    def get_connection(self) -> impl_sqlalchemy.Connection:
        conn = _SharedSchemaConnection(self, upgrade_lock=self._upgrade_lock)
        if not self._validated:
            conn.validate(max_retries=self._max_retries)
            self._validated = True
        return conn


_lock = threading.Lock()
_backend: tuple[object, SharedSchemaBackend] | None = None


def backend() -> SharedSchemaBackend:
    """The process's TaskFlow backend on the configured database (no second connection string).

    Its writes are marked as such so that on SQLite they start with ``BEGIN IMMEDIATE``
    like every other writer of the database. Built again when the database engine was
    replaced (``db_session.dispose_engines()``: after a fork, between tests).
    """
    global _backend
    base = db_session.get_engine()
    with _lock:
        if _backend is None or _backend[0] is not base:
            engine = base.execution_options(masakari_write=True)
            _backend = (base, SharedSchemaBackend({"connection": str(engine.url)}, engine=engine))
        return _backend[1]
