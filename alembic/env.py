"""Alembic environment for masakari_ha: runs migrations on the configured database."""

from alembic import context

from masakari_ha.db import models
from masakari_ha.db import session as db_session
from masakari_ha.db.migration import VERSION_TABLE


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = db_session.get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=models.Base.metadata,
            version_table=VERSION_TABLE,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("masakari_ha migrations run online only: use 'masakari-ha-manage db sync'.")
run_migrations_online()
