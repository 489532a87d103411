"""SQLAlchemy models of the masakari_ha database.

Table and column names, unique constraints and soft-delete semantics follow upstream
Masakari (``deleted`` is 0 for a live row and the row's ``id`` once soft-deleted, so a name
can be reused after a delete). Columns upstream lacks are the engine's: notification
claiming (``owner``, ``lease_expires_at``, ``attempts``) and per-task recovery progress
(``recovery_task_progress``), which the API reads instead of asking a live engine.

The schema changes only through Alembic migrations under ``alembic/versions``; a test
checks the migrated schema matches these models.
"""

import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

RECOVERY_METHODS = ("auto", "reserved_host", "auto_priority", "rh_priority")
NOTIFICATION_STATUSES = ("new", "running", "error", "failed", "ignored", "finished")
NOTIFICATION_TYPES = ("COMPUTE_HOST", "VM", "PROCESS")

# MySQL's DATETIME drops microseconds unless asked; keep them on every backend.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def utcnow() -> datetime.datetime:
    """Naive UTC now, microseconds stripped, as upstream stores created_at/updated_at."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime.datetime | None] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class SoftDeleteMixin(TimestampMixin):
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(Timestamp)
    deleted: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def mark_deleted(self) -> None:
        """Soft-delete: keep the row, free its unique name for reuse."""
        self.deleted = self.id
        self.deleted_at = utcnow()


class FailoverSegment(SoftDeleteMixin, Base):
    __tablename__ = "failover_segments"
    __table_args__ = (
        UniqueConstraint("name", "deleted", name="uniq_segment0name0deleted"),
        UniqueConstraint("uuid", name="uniq_segments0uuid"),
        Index("segments_service_type_idx", "service_type"),
    )

    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    service_type: Mapped[str] = mapped_column(String(255), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    recovery_method: Mapped[str] = mapped_column(
        Enum(*RECOVERY_METHODS, name="recovery_methods"), nullable=False
    )


class Host(SoftDeleteMixin, Base):
    __tablename__ = "hosts"
    __table_args__ = (
        UniqueConstraint("name", "deleted", name="uniq_host0name0deleted"),
        UniqueConstraint("uuid", name="uniq_host0uuid"),
        Index("hosts_type_idx", "type"),
        Index("hosts_failover_segment_id_idx", "failover_segment_id"),
    )

    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    reserved: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    type: Mapped[str] = mapped_column(String(255), nullable=False)
    control_attributes: Mapped[str] = mapped_column(Text, nullable=False)
    on_maintenance: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    failover_segment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("failover_segments.uuid"), nullable=False
    )

    failover_segment: Mapped[FailoverSegment] = relationship(lazy="joined")


class Notification(SoftDeleteMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("notification_uuid", name="uniq_notification0uuid"),
        Index("notifications_source_host_type_time_idx", "source_host_uuid", "type", "generated_time"),
        Index("notifications_status_idx", "status"),
        Index("notifications_segment_status_idx", "failover_segment_uuid", "status"),
    )

    notification_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    generated_time: Mapped[datetime.datetime] = mapped_column(Timestamp, nullable=False)
    type: Mapped[str] = mapped_column(String(36), nullable=False)
    payload: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        Enum(*NOTIFICATION_STATUSES, name="notification_status"), nullable=False
    )
    source_host_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    failover_segment_uuid: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str | None] = mapped_column(Text)
    # Engine bookkeeping (not part of the API's wire format).
    owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime.datetime | None] = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class VMove(SoftDeleteMixin, Base):
    __tablename__ = "vmoves"
    __table_args__ = (
        UniqueConstraint("uuid", name="uniq_vmove0uuid"),
        Index("vmoves_notification_uuid_idx", "notification_uuid"),
    )

    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    notification_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    instance_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    instance_name: Mapped[str] = mapped_column(String(255), nullable=False)
    source_host: Mapped[str | None] = mapped_column(String(255))
    dest_host: Mapped[str | None] = mapped_column(String(255))
    start_time: Mapped[datetime.datetime | None] = mapped_column(Timestamp)
    end_time: Mapped[datetime.datetime | None] = mapped_column(Timestamp)
    type: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)


class RecoveryTaskProgress(TimestampMixin, Base):
    """One row per executed recovery task: what microversion 1.1 shows as
    ``recovery_workflow_details``. ``position`` orders tasks as they ran."""

    __tablename__ = "recovery_task_progress"
    __table_args__ = (
        UniqueConstraint("notification_uuid", "position", name="uniq_progress0notification0position"),
    )

    notification_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    state: Mapped[str] = mapped_column(String(36), nullable=False)
    progress: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    # JSON list of {"timestamp", "message", "progress"} entries, appended as the task works.
    progress_details: Mapped[str] = mapped_column(Text, default="[]", nullable=False)
