"""/v1/notifications: intake from the monitors and reads for operators.

POST stores the notification (status ``new``) atomically with duplicate detection
(:func:`masakari_ha.db.notifications.create_notification`), then hands the
``process_notification`` cast to the app's engine client (by default sent from a background
thread: :mod:`masakari_ha.api.cast_sender`). A failed cast is logged and the request still
succeeds: the engines' sweep picks up ``new`` rows. PUT/DELETE answer 405.
"""

import logging

from flask import Blueprint, g, request
from oslo_config import cfg

from masakari_ha import exception, metrics
from masakari_ha.api import common, validation, views
from masakari_ha.api.policies import NOTIFICATIONS
from masakari_ha.api.schemas import notifications as schemas
from masakari_ha.db import models
from masakari_ha.db import notifications as notifications_db
from masakari_ha.db import progress as progress_db
from masakari_ha.db import session as db_session

LOG = logging.getLogger(__name__)

bp = Blueprint("notifications", __name__)

_FILTERS = {
    "status": common.choice_filter(models.NOTIFICATION_STATUSES),
    "source_host_uuid": common.string_filter,
    "type": common.choice_filter(models.NOTIFICATION_TYPES),
}


def auto_recover_host(conf) -> bool:
    """``[host_failure] auto_recover_host`` (registered by the engine), False if absent."""
    try:
        return bool(conf.host_failure.auto_recover_host)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError, AttributeError):
        return False


@bp.get("/v1/notifications")
def index():
    common.authorize(f"{NOTIFICATIONS}:index")
    params = common.list_params(_FILTERS)
    since = None
    if "generated-since" in request.args:
        raw = request.args.get("generated-since")
        try:
            since = validation.parse_timestamp(raw)
        except ValueError:
            raise exception.Invalid(message=f"Invalid generated-since value {raw!r}: "
                                    "use an ISO 8601 date-time.") from None
    with db_session.transaction() as session:
        rows = notifications_db.list_notifications(session, params, since)
        return common.respond({"notifications": [views.notification(row) for row in rows]})


@bp.post("/v1/notifications")
def create():
    common.authorize(f"{NOTIFICATIONS}:create")
    body = common.json_body(schemas.create)["notification"]
    validation.validate(schemas.payloads[body["type"]], body["payload"], prefix="notification/payload")
    generated_time = validation.parse_timestamp(body["generated_time"])
    conf = common.conf()
    try:
        row = _create(conf, body, generated_time)
    except (exception.Conflict, exception.HostNotFoundByName) as error:
        LOG.info("Notification from host %s of type %s refused: %s",
                 body["hostname"], body["type"], error.message)
        metrics.record_notification_received(body["type"], _refusal_status(error))
        raise
    metrics.record_notification_received(row.type, row.status)
    LOG.info("Notification %s accepted from host %s (%s) type %s payload %s",
             row.notification_uuid, body["hostname"], row.source_host_uuid, row.type, body["payload"])
    common.state().engine_client().cast_process_notification(g.context, row.notification_uuid)
    return common.respond({"notification": views.notification(row)}, 202)


def _refusal_status(error: Exception) -> str:
    """The ``status`` label of a refused notification (see :mod:`masakari_ha.metrics`)."""
    if isinstance(error, exception.DuplicateNotification):
        return "duplicate"
    if isinstance(error, exception.HostNotFoundByName):
        return "unknown_host"
    if isinstance(error, exception.HostOnMaintenance):
        return "host_on_maintenance"
    return "refused"


@db_session.retry_on_deadlock
def _create(conf, body, generated_time):
    with db_session.core_transaction(write=True) as conn:
        return notifications_db.create_notification(
            conn,
            notification_type=body["type"],
            hostname=body["hostname"],
            generated_time=generated_time,
            payload=body["payload"],
            detection_interval=conf.duplicate_notification_detection_interval,
            auto_recover_host=auto_recover_host(conf),
        )


@bp.get("/v1/notifications/<notification_id>")
def detail(notification_id: str):
    common.authorize(f"{NOTIFICATIONS}:detail")
    with db_session.transaction() as session:
        row = notifications_db.get_notification(session, notification_id)
        details = None
        if common.api_version().matches("1.1"):
            details = progress_db.workflow_details(session, row.notification_uuid)
        return common.respond({"notification": views.notification(row, details)})
