"""/v1/notifications/{notification_id}/vmoves (microversion 1.3; like upstream, reachable at
any version). Only COMPUTE_HOST notifications have vmoves (400 otherwise)."""

from flask import Blueprint

from masakari_ha import exception
from masakari_ha.api import common, views
from masakari_ha.api.policies import VMOVES
from masakari_ha.db import notifications as notifications_db
from masakari_ha.db import session as db_session
from masakari_ha.db import vmoves as vmoves_db

bp = Blueprint("vmoves", __name__)

VMOVE_TYPES = ("evacuation", "migration", "live_migration")
VMOVE_STATUSES = ("pending", "ongoing", "succeeded", "failed", "ignored")

_FILTERS = {
    "status": common.choice_filter(VMOVE_STATUSES),
    "type": common.choice_filter(VMOVE_TYPES),
}


def _host_notification(session, notification_id: str):
    notification = notifications_db.get_notification(session, notification_id)
    if notification.type != "COMPUTE_HOST":
        raise exception.NotificationWithoutVMoves(notification_uuid=notification_id)
    return notification


@bp.get("/v1/notifications/<notification_id>/vmoves")
def index(notification_id: str):
    common.authorize(f"{VMOVES}:index")
    params = common.list_params(_FILTERS)
    with db_session.transaction() as session:
        _host_notification(session, notification_id)
        rows = vmoves_db.list_vmoves(session, notification_id, params)
        return common.respond({"vmoves": [views.vmove(row) for row in rows]})


@bp.get("/v1/notifications/<notification_id>/vmoves/<vmove_id>")
def detail(notification_id: str, vmove_id: str):
    common.authorize(f"{VMOVES}:detail")
    with db_session.transaction() as session:
        _host_notification(session, notification_id)
        # Unlike upstream, the vmove must belong to the notification in the URL.
        row = vmoves_db.get_vmove(session, vmove_id, notification_id)
        return common.respond({"vmove": views.vmove(row)})
