"""Recovery progress of a notification, as microversion 1.1's ``recovery_workflow_details``.

The engine writes one ``recovery_task_progress`` row per executed task; the API reads
them here instead of asking a live engine (upstream's synchronous RPC call).
"""

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from masakari_ha.db.models import RecoveryTaskProgress


def list_progress(session: Session, notification_uuid: str) -> list[RecoveryTaskProgress]:
    """Progress rows of one notification in execution order (``position``)."""
    stmt = (
        sa.select(RecoveryTaskProgress)
        .where(RecoveryTaskProgress.notification_uuid == notification_uuid)
        .order_by(RecoveryTaskProgress.position, RecoveryTaskProgress.id)
    )
    return list(session.scalars(stmt))


def workflow_details(session: Session, notification_uuid: str) -> list[dict]:
    """Upstream's ``recovery_workflow_details`` list: name, state, progress (float) and
    progress_details ``[{"timestamp", "message", "progress"}]`` (progress as string)."""
    details = []
    for row in list_progress(session, notification_uuid):
        try:
            entries = json.loads(row.progress_details or "[]")
        except ValueError:
            entries = []
        details.append({
            "name": row.name,
            "state": row.state,
            "progress": float(row.progress),
            "progress_details": [
                {
                    "timestamp": str(entry.get("timestamp", "")),
                    "message": str(entry.get("message", "")),
                    "progress": str(entry.get("progress", "")),
                }
                for entry in entries
                if isinstance(entry, dict)
            ],
        })
    return details
