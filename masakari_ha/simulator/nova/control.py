"""``/_sim/...``: the emulator's own control API (not part of Nova).

Lets another process (demo CLI, benchmarks, an engine under test elsewhere) build the cloud, kill
and restart computes, inject faults, change latencies and read counters. JSON in, JSON out; errors
are ``{"error": "..."}`` with a 4xx code. :class:`masakari_ha.simulator.remote.RemoteCloud` is the
Python client.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flask

from masakari_ha.simulator.nova import model
from masakari_ha.simulator.nova.app import cloud
from masakari_ha.simulator.nova.latency import LatencyProfile
from masakari_ha.simulator.nova.model import NovaError

bp = flask.Blueprint("nova_control", __name__)


class ControlError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@bp.before_request
def check_token() -> None:
    expected = flask.current_app.config.get("SIM_CONTROL_TOKEN")
    if expected and flask.request.headers.get("X-Sim-Token") != expected:
        raise ControlError(401, "missing or wrong X-Sim-Token")


@bp.errorhandler(ControlError)
def control_error(exc: ControlError) -> flask.Response:
    response = flask.jsonify({"error": str(exc)})
    response.status_code = exc.code
    return response


@bp.errorhandler(NovaError)
def nova_error(exc: NovaError) -> flask.Response:
    response = flask.jsonify({"error": exc.message})
    response.status_code = exc.code
    return response


@bp.errorhandler(ValueError)
@bp.errorhandler(TypeError)
def bad_value(exc: Exception) -> flask.Response:
    response = flask.jsonify({"error": str(exc)})
    response.status_code = 400
    return response


def _json() -> dict[str, Any]:
    data = flask.request.get_json(silent=True, force=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ControlError(400, "request body must be a JSON object")
    return data


def server_dict(s: model.Server) -> dict[str, Any]:
    return {"id": s.uuid, "name": s.name, "host": s.host, "vm_state": s.vm_state,
            "task_state": s.task_state, "power_state": s.power_state,
            "metadata": dict(s.metadata), "locked": s.locked, "project_id": s.project_id}


@bp.get("/state")
def state() -> flask.Response:
    return flask.jsonify(cloud().summary())


@bp.post("/hosts")
def add_host() -> flask.Response:
    data = _json()
    allowed = {"name", "vcpus", "memory_mb", "local_gb", "host_ip", "hypervisor_hostname"}
    if set(data) - allowed or "name" not in data:
        raise ControlError(400, f"host fields: name (required), {', '.join(sorted(allowed))}")
    host = cloud().add_host(**data)
    return flask.jsonify({"host": host.name}), 201


@bp.post("/servers")
def add_servers() -> flask.Response:
    data = _json()
    count = data.pop("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ControlError(400, "count must be a positive integer")
    allowed = {"host", "name", "metadata", "vm_state", "task_state", "power_state",
               "project_id", "locked", "flavor"}
    if set(data) - allowed or "host" not in data:
        raise ControlError(400, f"server fields: host (required), {', '.join(sorted(allowed))}")
    flavor = data.pop("flavor", None)
    if flavor is not None:
        if not isinstance(flavor, dict):
            raise ControlError(400, "flavor must be an object with vcpus, ram, disk")
        data["flavor"] = model.Flavor(id=str(flavor.get("id", "custom")),
                                      name=str(flavor.get("name", "custom")),
                                      vcpus=int(flavor.get("vcpus", 1)),
                                      ram=int(flavor.get("ram", 512)),
                                      disk=int(flavor.get("disk", 1)))
    created = [cloud().add_server(**data) for _ in range(count)]
    return flask.jsonify({"servers": [server_dict(s) for s in created]}), 201


@bp.get("/servers")
def list_servers() -> flask.Response:
    host = flask.request.args.get("host")
    servers = cloud().servers_on(host) if host else [cloud().server(u) for u in
                                                     list(cloud().servers)]
    return flask.jsonify({"servers": [server_dict(s) for s in servers]})


@bp.get("/servers/<uuid>")
def show_server(uuid: str) -> flask.Response:
    return flask.jsonify({"server": server_dict(cloud().server(uuid))})


@bp.post("/servers/<uuid>/crash")
def crash(uuid: str) -> flask.Response:
    cloud().crash(uuid)
    return flask.jsonify({"server": server_dict(cloud().server(uuid))})


@bp.post("/hosts/<name>/kill")
def kill(name: str) -> flask.Response:
    cloud().kill_host(name, immediate=bool(_json().get("immediate", False)))
    return flask.jsonify({"host": name, "alive": False})


@bp.post("/hosts/<name>/restart")
def restart(name: str) -> flask.Response:
    cloud().restart_compute(name)
    return flask.jsonify({"host": name, "alive": True})


@bp.post("/hosts/<name>/capacity")
def capacity(name: str) -> flask.Response:
    full = bool(_json().get("full", True))
    cloud().set_capacity_full(name, full)
    return flask.jsonify({"host": name, "capacity_full": full})


@bp.post("/aggregates")
def add_aggregate() -> flask.Response:
    data = _json()
    if not isinstance(data.get("name"), str):
        raise ControlError(400, "aggregate needs a name")
    agg = cloud().add_aggregate(data["name"], data.get("hosts", []),
                                data.get("availability_zone"))
    return flask.jsonify({"aggregate": {"id": agg.id, "name": agg.name, "hosts": agg.hosts}}), 201


@bp.get("/faults")
def list_faults() -> flask.Response:
    return flask.jsonify(cloud().faults.describe())


@bp.post("/faults")
def add_fault() -> flask.Response:
    data = _json()
    allowed = {"call", "status", "delay", "instance", "times", "message"}
    if set(data) - allowed:
        raise ControlError(400, f"fault fields: {', '.join(sorted(allowed))}")
    fault = cloud().inject(**data)
    return flask.jsonify({"fault": fault.to_dict()}), 201


@bp.post("/faults/evacuate")
def fail_evacuations() -> flask.Response:
    instances = _json().get("instances")
    if not isinstance(instances, list) or not all(isinstance(i, str) for i in instances):
        raise ControlError(400, "instances must be a list of server ids")
    cloud().fail_evacuations(instances)
    return flask.jsonify(cloud().faults.describe()), 201


@bp.delete("/faults")
def clear_faults() -> tuple[str, int]:
    cloud().faults.clear()
    return "", 204


@bp.get("/latency")
def get_latency() -> flask.Response:
    return flask.jsonify(cloud().latency.to_dict())


@bp.put("/latency")
def set_latency() -> flask.Response:
    merged = {**cloud().latency.to_dict(), **_json()}
    cloud().latency = LatencyProfile.from_dict(merged)
    return flask.jsonify(cloud().latency.to_dict())


@bp.get("/counters")
def counters() -> flask.Response:
    return flask.jsonify({"calls": cloud().call_counts(),
                          "evacuate_calls": cloud().evacuate_calls()})


@bp.get("/migrations")
def migrations() -> flask.Response:
    return flask.jsonify({"migrations": [dataclasses.asdict(m)
                                         for m in cloud().list_migrations()]})
