"""Initial schema: segments, hosts, notifications, vmoves and recovery progress.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def _timestamps(soft_delete: bool = True) -> list:
    columns = [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", Timestamp),
        sa.Column("updated_at", Timestamp),
    ]
    if soft_delete:
        columns += [
            sa.Column("deleted_at", Timestamp),
            sa.Column("deleted", sa.Integer, nullable=False),
        ]
    return columns


def upgrade() -> None:
    op.create_table(
        "failover_segments",
        *_timestamps(),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("service_type", sa.String(255), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column(
            "recovery_method",
            sa.Enum("auto", "reserved_host", "auto_priority", "rh_priority", name="recovery_methods"),
            nullable=False,
        ),
        sa.UniqueConstraint("name", "deleted", name="uniq_segment0name0deleted"),
        sa.UniqueConstraint("uuid", name="uniq_segments0uuid"),
        mysql_charset="utf8mb4",
    )
    op.create_index("segments_service_type_idx", "failover_segments", ["service_type"])

    op.create_table(
        "hosts",
        *_timestamps(),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("reserved", sa.Boolean, nullable=False),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("control_attributes", sa.Text, nullable=False),
        sa.Column("on_maintenance", sa.Boolean, nullable=False),
        sa.Column(
            "failover_segment_id",
            sa.String(36),
            sa.ForeignKey("failover_segments.uuid"),
            nullable=False,
        ),
        sa.UniqueConstraint("name", "deleted", name="uniq_host0name0deleted"),
        sa.UniqueConstraint("uuid", name="uniq_host0uuid"),
        mysql_charset="utf8mb4",
    )
    op.create_index("hosts_type_idx", "hosts", ["type"])
    op.create_index("hosts_failover_segment_id_idx", "hosts", ["failover_segment_id"])

    op.create_table(
        "notifications",
        *_timestamps(),
        sa.Column("notification_uuid", sa.String(36), nullable=False),
        sa.Column("generated_time", Timestamp, nullable=False),
        sa.Column("type", sa.String(36), nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column(
            "status",
            sa.Enum("new", "running", "error", "failed", "ignored", "finished", name="notification_status"),
            nullable=False,
        ),
        sa.Column("source_host_uuid", sa.String(36), nullable=False),
        sa.Column("failover_segment_uuid", sa.String(36)),
        sa.Column("message", sa.Text),
        sa.Column("owner", sa.String(255)),
        sa.Column("lease_expires_at", Timestamp),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.UniqueConstraint("notification_uuid", name="uniq_notification0uuid"),
        mysql_charset="utf8mb4",
    )
    op.create_index(
        "notifications_source_host_type_time_idx",
        "notifications",
        ["source_host_uuid", "type", "generated_time"],
    )
    op.create_index("notifications_status_idx", "notifications", ["status"])
    op.create_index(
        "notifications_segment_status_idx", "notifications", ["failover_segment_uuid", "status"]
    )

    op.create_table(
        "vmoves",
        *_timestamps(),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("notification_uuid", sa.String(36), nullable=False),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("instance_name", sa.String(255), nullable=False),
        sa.Column("source_host", sa.String(255)),
        sa.Column("dest_host", sa.String(255)),
        sa.Column("start_time", Timestamp),
        sa.Column("end_time", Timestamp),
        sa.Column("type", sa.String(36)),
        sa.Column("status", sa.String(255)),
        sa.Column("message", sa.Text),
        sa.UniqueConstraint("uuid", name="uniq_vmove0uuid"),
        mysql_charset="utf8mb4",
    )
    op.create_index("vmoves_notification_uuid_idx", "vmoves", ["notification_uuid"])

    op.create_table(
        "recovery_task_progress",
        *_timestamps(soft_delete=False),
        sa.Column("notification_uuid", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(36), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("progress_details", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "notification_uuid", "position", name="uniq_progress0notification0position"
        ),
        mysql_charset="utf8mb4",
    )
