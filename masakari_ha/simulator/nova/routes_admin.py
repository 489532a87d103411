"""Admin routes of the Nova emulator: os-services, os-hypervisors, os-migrations, os-aggregates."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import flask

from masakari_ha.simulator.nova import views
from masakari_ha.simulator.nova.app import (base_url, body, cloud, nova_call, require_admin,
                                            truthy, version)
from masakari_ha.simulator.nova.model import NovaError

bp = flask.Blueprint("nova_admin", __name__)


# ----------------------------------------------------------------- os-services
@bp.get("/os-services")
@nova_call("services.list")
def list_services() -> flask.Response:
    require_admin("os_compute_api:os-services:list")
    args = flask.request.args
    found = cloud().list_services(host=args.get("host"), binary=args.get("binary"))
    return flask.jsonify({"services": [views.service(cloud(), v, version()) for v in found]})


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no",
                                                    "on", "off"):
        return value.lower() in ("true", "1", "yes", "on")
    raise NovaError(400, f"Invalid input for field/attribute {field}. Value: {value}. "
                         f"{value!r} is not of type 'boolean'")


@bp.put("/os-services/<service_id>")
@nova_call("services.update")
def update_service(service_id: str) -> flask.Response:
    require_admin("os_compute_api:os-services:update")
    data = body()
    if version() < (2, 53):
        return _legacy_update(service_id, data)
    try:
        uuidlib.UUID(service_id)
    except ValueError:
        raise NovaError(400, f"Invalid uuid {service_id}") from None
    unexpected = sorted(set(data) - {"status", "disabled_reason", "forced_down"})
    if unexpected:
        raise NovaError(400, "Invalid input for field/attribute. Additional properties are not "
                             f"allowed ({', '.join(repr(k) for k in unexpected)} was unexpected)")
    status = data.get("status")
    if status is not None and status not in ("enabled", "disabled"):
        raise NovaError(400, f"Invalid input for field/attribute status. Value: {status}. "
                             f"'{status}' is not one of ['enabled', 'disabled']")
    reason = data.get("disabled_reason")
    if reason is not None:
        if status != "disabled":
            raise NovaError(400, "Specifying 'disabled_reason' with status other than "
                                 "'disabled' is invalid.")
        if not isinstance(reason, str) or not 1 <= len(reason) <= 255:
            raise NovaError(400, "Invalid input for field/attribute disabled_reason.")
    forced = _bool(data["forced_down"], "forced_down") if "forced_down" in data else None
    if status is None and forced is None:
        raise NovaError(400, "No updates were requested. Fields 'status' or 'forced_down' "
                             "should be specified.")
    view = cloud().update_service(service_id, status=status, disabled_reason=reason,
                                  forced_down=forced)
    return flask.jsonify({"service": views.service(cloud(), view, version())})


def _legacy_update(action: str, data: dict[str, Any]) -> flask.Response:
    """PUT /os-services/{disable,enable,disable-log-reason,force-down} before 2.53."""
    if action not in ("disable", "enable", "disable-log-reason", "force-down") or (
            action == "force-down" and version() < (2, 11)):
        raise NovaError(404, "Unknown action")
    host, binary = data.get("host"), data.get("binary")
    if not isinstance(host, str) or not isinstance(binary, str):
        raise NovaError(400, "Invalid input for field/attribute host/binary.")
    svc = cloud().find_service(host, binary)
    result: dict[str, Any] = {"host": host, "binary": binary}
    if action == "force-down":
        if "forced_down" not in data:
            raise NovaError(400, "Invalid input for field/attribute forced_down.")
        forced = _bool(data["forced_down"], "forced_down")
        cloud().update_service(svc.id, forced_down=forced)
        result["forced_down"] = forced
    elif action == "enable":
        cloud().update_service(svc.id, status="enabled")
        result["status"] = "enabled"
    else:
        reason = data.get("disabled_reason") if action == "disable-log-reason" else None
        if action == "disable-log-reason" and not (isinstance(reason, str)
                                                   and 1 <= len(reason) <= 255):
            raise NovaError(400, "The string containing the reason for disabling the service "
                                 "contains invalid characters or is too long.")
        cloud().update_service(svc.id, status="disabled", disabled_reason=reason)
        result["status"] = "disabled"
        if reason is not None:
            result["disabled_reason"] = reason
    return flask.jsonify({"service": result})


# ----------------------------------------------------------------- os-hypervisors
def _hypervisors(detail: bool, pattern: str | None = None,
                 with_servers: bool = False) -> flask.Response:
    require_admin("os_compute_api:os-hypervisors:list")
    args = flask.request.args
    if version() >= (2, 53):
        pattern = args.get("hypervisor_hostname_pattern", pattern)
        with_servers = with_servers or truthy(args.get("with_servers"))
    found = cloud().list_hypervisors(pattern)
    if pattern is not None and not found:
        raise NovaError(404, f"No hypervisor matching '{pattern}' could be found.")
    return flask.jsonify({"hypervisors": [
        views.hypervisor(cloud(), hv, version(), detail, with_servers) for hv in found]})


@bp.get("/os-hypervisors")
@nova_call("hypervisors.list")
def list_hypervisors() -> flask.Response:
    return _hypervisors(detail=False)


@bp.get("/os-hypervisors/detail")
@nova_call("hypervisors.list")
def list_hypervisors_detail() -> flask.Response:
    return _hypervisors(detail=True)


@bp.get("/os-hypervisors/<pattern>/search")
@nova_call("hypervisors.list")
def search_hypervisors(pattern: str) -> flask.Response:
    if version() >= (2, 53):
        raise NovaError(404, "The resource could not be found.")
    return _hypervisors(detail=False, pattern=pattern)


@bp.get("/os-hypervisors/<pattern>/servers")
@nova_call("hypervisors.list")
def hypervisor_servers(pattern: str) -> flask.Response:
    if version() >= (2, 53):
        raise NovaError(404, "The resource could not be found.")
    return _hypervisors(detail=False, pattern=pattern, with_servers=True)


@bp.get("/os-hypervisors/<hypervisor_id>")
@nova_call("hypervisors.get")
def show_hypervisor(hypervisor_id: str) -> flask.Response:
    require_admin("os_compute_api:os-hypervisors:show")
    for hv in cloud().list_hypervisors():
        host = hv["host"]
        if hypervisor_id in (host.hypervisor_uuid, str(host.hypervisor_id)):
            with_servers = version() >= (2, 53) and truthy(flask.request.args.get("with_servers"))
            return flask.jsonify({"hypervisor": views.hypervisor(cloud(), hv, version(), True,
                                                                 with_servers)})
    raise NovaError(404, f"Hypervisor with ID {hypervisor_id} could not be found.")


# ----------------------------------------------------------------- os-migrations
@bp.get("/os-migrations")
@nova_call("migrations.list")
def list_migrations() -> flask.Response:
    require_admin("os_compute_api:os-migrations:index")
    args = flask.request.args
    filters = {k: args.get(k) for k in ("instance_uuid", "migration_type", "source_compute",
                                        "dest_compute", "status", "host") if k in args}
    found = cloud().list_migrations(**filters)
    limit = args.get("limit")
    if limit is not None and version() >= (2, 59):
        try:
            found = found[:max(0, int(limit))]
        except ValueError:
            raise NovaError(400, "limit param must be an integer") from None
    return flask.jsonify({"migrations": [views.migration(cloud(), m, base_url(), version())
                                         for m in found]})


# ----------------------------------------------------------------- os-aggregates
@bp.get("/os-aggregates")
@nova_call("aggregates.list")
def list_aggregates() -> flask.Response:
    require_admin("os_compute_api:os-aggregates:index")
    return flask.jsonify({"aggregates": [views.aggregate(cloud(), a, version())
                                         for a in cloud().list_aggregates()]})


@bp.post("/os-aggregates")
@nova_call("aggregates.create")
def create_aggregate() -> flask.Response:
    require_admin("os_compute_api:os-aggregates:create")
    data = body().get("aggregate")
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise NovaError(400, "Invalid input for field/attribute aggregate.")
    agg = cloud().create_aggregate(data["name"].strip(), data.get("availability_zone"))
    return flask.jsonify({"aggregate": views.aggregate(cloud(), agg, version())})


@bp.get("/os-aggregates/<agg_id>")
@nova_call("aggregates.get")
def show_aggregate(agg_id: str) -> flask.Response:
    require_admin("os_compute_api:os-aggregates:show")
    return flask.jsonify({"aggregate": views.aggregate(cloud(), cloud().get_aggregate(agg_id),
                                                       version())})


@bp.post("/os-aggregates/<agg_id>/action")
@nova_call("aggregates.action")
def aggregate_action(agg_id: str) -> flask.Response:
    data = body()
    if len(data) != 1:
        raise NovaError(400, "Malformed request body: exactly one action expected")
    action, arg = next(iter(data.items()))
    if action not in ("add_host", "remove_host"):
        raise NovaError(400, f"There is no such action: {action}")
    require_admin(f"os_compute_api:os-aggregates:{action}")
    if not isinstance(arg, dict) or not isinstance(arg.get("host"), str):
        raise NovaError(400, f"Invalid input for field/attribute {action}.")
    if action == "add_host":
        agg = cloud().aggregate_add_host(agg_id, arg["host"])
    else:
        agg = cloud().aggregate_remove_host(agg_id, arg["host"])
    return flask.jsonify({"aggregate": views.aggregate(cloud(), agg, version())})
