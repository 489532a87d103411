"""TaskFlow persistence tables (logbooks, flowdetails, atomdetails) in our database.

The engine persists its flows next to the notifications, so a resumed notification
continues from its last completed task and no second connection string is needed. The
tables are created from TaskFlow's own table definitions
(``taskflow.persistence.backends.sqlalchemy.tables``) instead of running TaskFlow's Alembic
history, which would need a second version table and does not run on SQLite; the result is
TaskFlow's current schema on SQLite, PostgreSQL (native JSON columns, as TaskFlow's own
migration chooses) and MariaDB alike.

Revision ID: 0002_taskflow
Revises: 0001_initial
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from taskflow.persistence.backends.sqlalchemy import tables as taskflow_tables

revision = "0002_taskflow"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    taskflow_tables.fetch(metadata)
    return metadata


def upgrade() -> None:
    _metadata().create_all(bind=op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _metadata().drop_all(bind=op.get_bind(), checkfirst=True)
