"""A read-only Placement API subset, served next to the Nova emulator under ``/placement``.

One resource provider per compute host (uuid = the hypervisor's uuid, name = the hypervisor
hostname, as Nova's resource tracker creates them) with VCPU / MEMORY_MB / DISK_GB inventories and
usages from the emulated cloud. ``SimulatedCloud.set_capacity_full`` shows up as the whole
inventory being reserved, so ``(total - reserved) * allocation_ratio - used`` is zero, which is what
the scheduler of the emulator sees too.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import flask

from masakari_ha.simulator.nova.app import cloud, is_admin
from masakari_ha.simulator.nova.model import NovaError

bp = flask.Blueprint("placement", __name__)
MAX_VERSION = "1.39"


class PlacementError(Exception):
    def __init__(self, code: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.title, self.detail = code, title, detail


@bp.errorhandler(PlacementError)
def placement_error(exc: PlacementError) -> flask.Response:
    response = flask.jsonify({"errors": [{"status": exc.code, "title": exc.title,
                                          "detail": exc.detail,
                                          "request_id": f"req-{uuidlib.uuid4()}"}]})
    response.status_code = exc.code
    return response


@bp.errorhandler(NovaError)
def nova_error(exc: NovaError) -> flask.Response:
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    return placement_error(PlacementError(exc.code, titles.get(exc.code, "Error"), exc.message))


@bp.before_request
def admin_only() -> None:
    if flask.request.path.rstrip("/") != "/placement" and not is_admin():
        raise PlacementError(403, "Forbidden", "Policy does not allow placement:resource_"
                                               "providers:list to be performed.")


@bp.after_request
def version_header(response: flask.Response) -> flask.Response:
    response.headers["OpenStack-API-Version"] = "placement 1.0"
    response.headers["Vary"] = "openstack-api-version"
    return response


@bp.get("/")
@bp.get("")
def versions() -> flask.Response:
    root = flask.request.host_url.rstrip("/") + "/placement"
    return flask.jsonify({"versions": [{"id": "v1.0", "max_version": MAX_VERSION,
                                        "min_version": "1.0", "status": "CURRENT",
                                        "links": [{"rel": "self", "href": root}]}]})


def _providers() -> list[dict[str, Any]]:
    result = []
    for hv in cloud().list_hypervisors():
        host = hv["host"]
        result.append({"host": host, "usage": hv})
    return result


def _render(provider: dict[str, Any]) -> dict[str, Any]:
    host = provider["host"]
    base = f"/resource_providers/{host.hypervisor_uuid}"
    return {"uuid": host.hypervisor_uuid, "name": host.node, "generation": 1,
            "parent_provider_uuid": None, "root_provider_uuid": host.hypervisor_uuid,
            "links": [{"rel": "self", "href": base},
                      {"rel": "inventories", "href": f"{base}/inventories"},
                      {"rel": "usages", "href": f"{base}/usages"}]}


def _find(uuid: str) -> dict[str, Any]:
    for provider in _providers():
        if provider["host"].hypervisor_uuid == uuid:
            return provider
    raise PlacementError(404, "Not Found", f"No resource provider with uuid {uuid} found")


@bp.get("/resource_providers")
def list_providers() -> flask.Response:
    name = flask.request.args.get("name")
    uuid = flask.request.args.get("uuid")
    found = [p for p in _providers()
             if (name is None or p["host"].node == name)
             and (uuid is None or p["host"].hypervisor_uuid == uuid)]
    return flask.jsonify({"resource_providers": [_render(p) for p in found]})


@bp.get("/resource_providers/<uuid>")
def show_provider(uuid: str) -> flask.Response:
    return flask.jsonify(_render(_find(uuid)))


@bp.get("/resource_providers/<uuid>/inventories")
def inventories(uuid: str) -> flask.Response:
    host = _find(uuid)["host"]
    totals = {"VCPU": host.vcpus, "MEMORY_MB": host.memory_mb, "DISK_GB": host.local_gb}
    return flask.jsonify({"resource_provider_generation": 1, "inventories": {
        rc: {"total": total, "reserved": total if host.capacity_full else 0, "min_unit": 1,
             "max_unit": total, "step_size": 1, "allocation_ratio": 1.0}
        for rc, total in totals.items()}})


@bp.get("/resource_providers/<uuid>/usages")
def usages(uuid: str) -> flask.Response:
    usage = _find(uuid)["usage"]
    return flask.jsonify({"resource_provider_generation": 1, "usages": {
        "VCPU": usage["vcpus_used"], "MEMORY_MB": usage["memory_mb_used"],
        "DISK_GB": usage["local_gb_used"]}})
