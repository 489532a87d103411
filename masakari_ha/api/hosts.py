"""/v1/segments/{segment_id}/hosts: the compute hosts of a segment.

Names are checked against Nova's nova-compute services on create and rename (upstream
behaviour) unless ``[nova] validate_host_names`` is off.
"""

import logging

from flask import Blueprint

from masakari_ha.api import common, nova_check, views
from masakari_ha.api.policies import HOSTS
from masakari_ha.api.schemas import common as types
from masakari_ha.api.schemas import hosts as schemas
from masakari_ha.db import hosts as hosts_db
from masakari_ha.db import segments as segments_db
from masakari_ha.db import session as db_session

LOG = logging.getLogger(__name__)

bp = Blueprint("hosts", __name__)

_FILTERS = {
    "type": common.string_filter,
    "on_maintenance": common.bool_filter,
    "reserved": common.bool_filter,
    "name": common.string_filter,
    "control_attributes": common.string_filter,
}


def _body_values(body: dict) -> dict:
    values = dict(body["host"])
    for key in ("reserved", "on_maintenance"):
        if key in values:
            values[key] = types.to_bool(values[key])
    return values


@bp.get("/v1/segments/<segment_id>/hosts")
def index(segment_id: str):
    common.authorize(f"{HOSTS}:index")
    params = common.list_params(_FILTERS)
    with db_session.transaction() as session:
        segment, rows = hosts_db.list_host_rows(session, segment_id, params)
    return common.respond({"hosts": views.hosts(rows, views.segment(segment))})


@bp.post("/v1/segments/<segment_id>/hosts")
def create(segment_id: str):
    common.authorize(f"{HOSTS}:create")
    values = _body_values(common.json_body(schemas.create))
    with db_session.transaction() as session:
        # 404 for an unknown segment before asking Nova anything.
        segments_db.get_segment(session, segment_id)
    nova_check.ensure_compute_host(common.conf(), values["name"])
    host = _create(segment_id, values)
    LOG.info("Added host %s (%s) to segment %s", host.name, host.uuid, segment_id)
    return common.respond({"host": views.host(host)}, 201)


@db_session.retry_on_deadlock
def _create(segment_id, values):
    with db_session.transaction(write=True) as session:
        return hosts_db.create_host(session, segment_id, values)


@bp.get("/v1/segments/<segment_id>/hosts/<host_id>")
def detail(segment_id: str, host_id: str):
    common.authorize(f"{HOSTS}:detail")
    with db_session.transaction() as session:
        segments_db.get_segment(session, segment_id)
        return common.respond({"host": views.host(hosts_db.get_host(session, host_id, segment_id))})


@bp.put("/v1/segments/<segment_id>/hosts/<host_id>")
def update(segment_id: str, host_id: str):
    common.authorize(f"{HOSTS}:update")
    values = _body_values(common.json_body(schemas.update))
    if "name" in values:
        with db_session.transaction() as session:
            current = hosts_db.get_host(session, host_id, segment_id)
        if current.name != values["name"]:
            nova_check.ensure_compute_host(common.conf(), values["name"])
    host = _update(segment_id, host_id, values)
    LOG.info("Updated host %s (%s) of segment %s: %s", host.name, host_id, segment_id,
             {key: values[key] for key in sorted(values)})
    return common.respond({"host": views.host(host)})


@db_session.retry_on_deadlock
def _update(segment_id, host_id, values):
    with db_session.transaction(write=True) as session:
        return hosts_db.update_host(session, segment_id, host_id, values)


@bp.delete("/v1/segments/<segment_id>/hosts/<host_id>")
def delete(segment_id: str, host_id: str):
    common.authorize(f"{HOSTS}:delete")
    _delete(segment_id, host_id)
    LOG.info("Deleted host %s of segment %s", host_id, segment_id)
    return common.respond(None, 204)


@db_session.retry_on_deadlock
def _delete(segment_id, host_id):
    with db_session.transaction(write=True) as session:
        hosts_db.delete_host(session, segment_id, host_id)



