"""The Alembic history builds exactly the schema the models describe."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from masakari_ha.db import migration, models
from masakari_ha.db import session as db_session


def _diff_against_models(url=None):
    engine = db_session.get_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, models.Base.metadata)


def test_empty_database_has_no_revision():
    assert migration.current_revision() is None


def test_upgrade_to_head_records_head_revision():
    migration.upgrade()
    assert migration.current_revision() == migration.head_revision()


def test_upgrade_is_idempotent():
    migration.upgrade()
    migration.upgrade()
    assert migration.current_revision() == migration.head_revision()


def test_migrated_schema_matches_models():
    migration.upgrade()
    diff = [d for d in _diff_against_models() if not _is_foreign_table(d)]
    assert diff == []


def test_version_table_is_ours_not_alembic_default():
    migration.upgrade()
    tables = sa.inspect(db_session.get_engine()).get_table_names()
    assert migration.VERSION_TABLE in tables
    assert "alembic_version" not in tables


def _is_foreign_table(diff) -> bool:
    """Tables other libraries own in the same database (TaskFlow) are not ours to compare."""
    if diff[0] == "remove_table":
        return diff[1].name not in models.Base.metadata.tables
    if diff[0] in ("remove_index", "remove_constraint"):
        return diff[1].table.name not in models.Base.metadata.tables
    return False
