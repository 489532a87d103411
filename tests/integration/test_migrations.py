"""Alembic migrations on real SQLite, PostgreSQL and MariaDB databases: upgrade from an empty
database, the result matches the SQLAlchemy models exactly (alembic compare_metadata with
type comparison), ``masakari-ha-manage db version`` reports head, and a second sync is a no-op.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from taskflow.persistence.backends.sqlalchemy import tables as taskflow_tables

from masakari_ha.db import migration, models
from tests.integration import harness
from tests.integration.conftest import DB_KINDS


def _taskflow_table_names() -> set[str]:
    metadata = sa.MetaData()
    taskflow_tables.fetch(metadata)
    return set(metadata.tables)


def _diff_against_models(url: str) -> list:
    taskflow = _taskflow_table_names()

    def include_name(name, type_, parent_names):
        return not (type_ == "table" and name in taskflow)

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": False,
                "version_table": migration.VERSION_TABLE, "include_name": include_name})
            return compare_metadata(context, models.Base.metadata)
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", DB_KINDS)
def test_upgrade_from_empty_matches_models(kind, scratch_db_factory):
    db = scratch_db_factory(kind)
    assert migration.current_revision(url=db.url) is None
    migration.upgrade("head", url=db.url)
    assert migration.current_revision(url=db.url) == migration.head_revision()
    diff = _diff_against_models(db.url)
    assert diff == [], f"migrated {kind} schema differs from the models: {diff}"
    tables = set(sa.inspect(sa.create_engine(db.url, poolclass=sa.pool.NullPool)).get_table_names())
    assert set(models.Base.metadata.tables) <= tables
    assert _taskflow_table_names() <= tables, "TaskFlow persistence tables missing"


@pytest.mark.parametrize("kind", DB_KINDS)
def test_manage_db_sync_and_version_cli(kind, scratch_db_factory, tmp_path):
    db = scratch_db_factory(kind)
    api = harness.ApiProcess(workdir=tmp_path / "cli", db_url=db.url)
    api.write_config()
    for _ in range(2):  # the second sync must be a harmless no-op
        sync = api.manage("db", "sync")
        assert sync.returncode == 0, sync.stderr
    version = api.manage("db", "version")
    assert version.returncode == 0, version.stderr
    assert migration.head_revision() in version.stdout
    assert _diff_against_models(db.url) == []


def test_manage_reports_unreachable_database_clearly(tmp_path):
    api = harness.ApiProcess(workdir=tmp_path / "bad",
                             db_url="postgresql+psycopg2://nobody:x@127.0.0.1:9/none")
    api.write_config()
    result = api.manage("db", "sync", timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
