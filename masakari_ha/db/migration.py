"""Schema migrations: thin wrappers over Alembic for ``masakari-ha-manage db``."""

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from masakari_ha.db import session as db_session

# Our version table is not Alembic's default so that other libraries' Alembic
# histories (TaskFlow's persistence schema) can live in the same database.
VERSION_TABLE = "masakari_ha_alembic_version"

_ALEMBIC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "alembic")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", _ALEMBIC_DIR)
    config.set_main_option("sqlalchemy.url", (url or db_session.database_url()).replace("%", "%%"))
    return config


def upgrade(revision: str = "head", url: str | None = None) -> None:
    """Bring the schema to ``revision`` (default: newest)."""
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = db_session.get_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
