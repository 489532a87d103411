"""/v1/segments: failover segments (create 201, delete 204, 409 name taken / in use)."""

import logging

from flask import Blueprint

from masakari_ha.api import common, views
from masakari_ha.api.policies import SEGMENTS
from masakari_ha.api.schemas import common as types
from masakari_ha.api.schemas import segments as schemas
from masakari_ha.db import segments as segments_db
from masakari_ha.db import session as db_session

LOG = logging.getLogger(__name__)

bp = Blueprint("segments", __name__)


def _body_values(body: dict) -> dict:
    values = dict(body["segment"])
    if "enabled" in values:
        values["enabled"] = types.to_bool(values["enabled"])
    return values


@bp.get("/v1/segments")
def index():
    common.authorize(f"{SEGMENTS}:index")
    filters = {
        "recovery_method": common.choice_filter(schemas.RECOVERY_METHODS),
        "service_type": common.string_filter,
    }
    if common.api_version().matches("1.2"):
        filters["enabled"] = common.bool_filter
    params = common.list_params(filters)
    with db_session.transaction() as session:
        rows = segments_db.list_segments(session, params)
        return common.respond({"segments": [views.segment(row) for row in rows]})


@bp.post("/v1/segments")
def create():
    common.authorize(f"{SEGMENTS}:create")
    schema = schemas.create_v12 if common.api_version().matches("1.2") else schemas.create
    values = _body_values(common.json_body(schema))
    segment = _create(values)
    LOG.info("Created failover segment %s (%s)", segment.uuid, segment.name)
    return common.respond({"segment": views.segment(segment)}, 201)


@db_session.retry_on_deadlock
def _create(values):
    with db_session.transaction(write=True) as session:
        return segments_db.create_segment(session, values)


@bp.get("/v1/segments/<segment_id>")
def detail(segment_id: str):
    common.authorize(f"{SEGMENTS}:detail")
    with db_session.transaction() as session:
        return common.respond({"segment": views.segment(segments_db.get_segment(session, segment_id))})


@bp.put("/v1/segments/<segment_id>")
def update(segment_id: str):
    common.authorize(f"{SEGMENTS}:update")
    schema = schemas.update_v12 if common.api_version().matches("1.2") else schemas.update
    values = _body_values(common.json_body(schema))
    segment = _update(segment_id, values)
    LOG.info("Updated failover segment %s: %s", segment_id, sorted(values))
    return common.respond({"segment": views.segment(segment)})


@db_session.retry_on_deadlock
def _update(segment_id, values):
    with db_session.transaction(write=True) as session:
        return segments_db.update_segment(session, segment_id, values)


@bp.delete("/v1/segments/<segment_id>")
def delete(segment_id: str):
    common.authorize(f"{SEGMENTS}:delete")
    _delete(segment_id)
    LOG.info("Deleted failover segment %s and its hosts", segment_id)
    return common.respond(None, 204)


@db_session.retry_on_deadlock
def _delete(segment_id):
    with db_session.transaction(write=True) as session:
        segments_db.delete_segment(session, segment_id)
