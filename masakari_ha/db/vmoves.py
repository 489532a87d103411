"""VMoves (one row per instance a host recovery moves): reads for the API (1.3).

The engine writes these rows; the API only lists and shows them.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from masakari_ha import exception
from masakari_ha.db import listing
from masakari_ha.db.models import VMove

SORT_KEYS = (
    "id", "uuid", "instance_uuid", "instance_name", "source_host", "dest_host",
    "start_time", "end_time", "type", "status", "created_at", "updated_at",
)
FILTERS = ("status", "type")


def list_vmoves(session: Session, notification_uuid: str, params: listing.ListParams) -> list[VMove]:
    """Live vmoves of one notification matching the exact filters, paginated."""
    stmt = sa.select(VMove).where(VMove.notification_uuid == notification_uuid, VMove.deleted == 0)
    for key, value in params.filters.items():
        if key not in FILTERS:
            raise ValueError(f"unsupported vmove filter {key}")
        stmt = stmt.where(getattr(VMove, key) == value)
    return listing.paginate(session, stmt, VMove, params, SORT_KEYS)


def get_vmove(session: Session, vmove_uuid: str, notification_uuid: str | None = None) -> VMove:
    """The live vmove with this UUID (of that notification when given); 404 otherwise.

    Upstream does not check the parent notification; we do when it is given.
    """
    stmt = sa.select(VMove).where(VMove.uuid == vmove_uuid, VMove.deleted == 0)
    if notification_uuid is not None:
        stmt = stmt.where(VMove.notification_uuid == notification_uuid)
    vmove = session.scalars(stmt).first()
    if vmove is None:
        raise exception.VMoveNotFound(id=vmove_uuid)
    return vmove
