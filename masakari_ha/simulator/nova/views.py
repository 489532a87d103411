"""JSON renderings of the emulator's records, shaped as real Nova renders them per microversion."""

from __future__ import annotations

import hashlib
from typing import Any

from masakari_ha.simulator.nova import microversion as mv
from masakari_ha.simulator.nova import model
from masakari_ha.simulator.nova.actions import server_status
from masakari_ha.simulator.nova.cloud import ServiceView, SimulatedCloud
from masakari_ha.simulator.nova.model import Aggregate, Migration, Server

Version = tuple[int, int]


def _ts(cloud: SimulatedCloud, t: float | None, micro: bool = False) -> str | None:
    if t is None:
        return None
    wall = cloud.clock.wall(t)
    if micro:
        return wall.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return wall.strftime("%Y-%m-%dT%H:%M:%SZ")


def server(cloud: SimulatedCloud, s: Server, base: str, version: Version) -> dict[str, Any]:
    link = f"{base}/servers/{s.uuid}"
    if version >= (2, 47):
        flavor: dict[str, Any] = {"vcpus": s.flavor.vcpus, "ram": s.flavor.ram,
                                  "disk": s.flavor.disk, "ephemeral": 0, "swap": 0,
                                  "original_name": s.flavor.name, "extra_specs": {}}
    else:
        flavor = {"id": s.flavor.id,
                  "links": [{"rel": "bookmark", "href": f"{base}/flavors/{s.flavor.id}"}]}
    body: dict[str, Any] = {
        "id": s.uuid, "name": s.name, "status": server_status(s), "tenant_id": s.project_id,
        "user_id": s.user_id, "metadata": dict(s.metadata),
        "hostId": _host_id(s),
        "image": {"id": s.image_id,
                  "links": [{"rel": "bookmark", "href": f"{base}/images/{s.image_id}"}]},
        "flavor": flavor, "created": _ts(cloud, s.created_at), "updated": _ts(cloud, s.updated_at),
        "addresses": {}, "accessIPv4": "", "accessIPv6": "",
        "links": [{"rel": "self", "href": link}, {"rel": "bookmark", "href": link}],
        "OS-DCF:diskConfig": "MANUAL", "progress": 0,
        "OS-EXT-AZ:availability_zone": s.availability_zone, "config_drive": "", "key_name": None,
        "OS-SRV-USG:launched_at": _ts(cloud, s.launched_at, micro=True),
        "OS-SRV-USG:terminated_at": None,
        "OS-EXT-SRV-ATTR:host": s.host, "OS-EXT-SRV-ATTR:instance_name":
            f"instance-{int(hashlib.sha1(s.uuid.encode()).hexdigest()[:8], 16):08x}",
        "OS-EXT-SRV-ATTR:hypervisor_hostname": cloud.node_of(s.host),
        "OS-EXT-STS:task_state": s.task_state, "OS-EXT-STS:vm_state": s.vm_state,
        "OS-EXT-STS:power_state": s.power_state, "os-extended-volumes:volumes_attached": [],
        "security_groups": [{"name": "default"}],
    }
    if version >= (2, 9):
        body["locked"] = s.locked
    if version >= (2, 16):
        body["host_status"] = _host_status(cloud, s)
    if version >= (2, 19):
        body["description"] = None
    if version >= (2, 26):
        body["tags"] = []
    if version >= (2, 63):
        body["trusted_image_certificates"] = None
    if version >= (2, 73):
        body["locked_reason"] = s.locked_reason
    if version >= (2, 96):
        body["pinned_availability_zone"] = None
    if s.fault and s.vm_state == model.ERROR:
        body["fault"] = {"code": s.fault["code"], "message": s.fault["message"],
                         "created": _ts(cloud, s.fault.get("created"))}
    return body


def _host_id(s: Server) -> str:
    """Nova's opaque per-project host id: sha224 of project id + host ("" when unplaced)."""
    if not s.host:
        return ""
    return hashlib.sha224((s.project_id + s.host).encode()).hexdigest()


def _host_status(cloud: SimulatedCloud, s: Server) -> str:
    if not s.host:
        return ""
    try:
        view = cloud.service(s.host)
    except model.NovaError:
        return "UNKNOWN"
    if view.service.forced_down:
        return "DOWN"
    if not view.up:
        return "UNKNOWN"
    return "MAINTENANCE" if view.service.disabled else "UP"


def server_brief(s: Server, base: str) -> dict[str, Any]:
    link = f"{base}/servers/{s.uuid}"
    return {"id": s.uuid, "name": s.name,
            "links": [{"rel": "self", "href": link}, {"rel": "bookmark", "href": link}]}


def service(cloud: SimulatedCloud, view: ServiceView, version: Version) -> dict[str, Any]:
    svc = view.service
    body: dict[str, Any] = {
        "id": svc.uuid if version >= (2, 53) else svc.id, "binary": svc.binary, "host": svc.host,
        "zone": svc.zone, "status": "disabled" if svc.disabled else "enabled",
        "state": "up" if view.up else "down", "updated_at": _ts(cloud, view.updated_at, True),
        "disabled_reason": svc.disabled_reason,
    }
    if version >= (2, 11):
        body["forced_down"] = svc.forced_down
    return body


def migration(cloud: SimulatedCloud, m: Migration, base: str, version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": m.id, "status": m.status, "instance_uuid": m.instance_uuid,
        "source_compute": m.source_compute, "source_node": m.source_node,
        "dest_compute": m.dest_compute, "dest_node": m.dest_node, "dest_host": None,
        "old_instance_type_id": 1, "new_instance_type_id": 1, "source_region": "RegionOne",
        "dest_region": "RegionOne", "created_at": _ts(cloud, m.created_at, True),
        "updated_at": _ts(cloud, m.updated_at, True),
    }
    if version >= (2, 23):
        body["migration_type"] = m.migration_type
    if version >= (2, 59):
        body["uuid"] = m.uuid
    if version >= (2, 80):
        body["project_id"] = m.project_id
        body["user_id"] = m.user_id
    return body


def aggregate(cloud: SimulatedCloud, a: Aggregate, version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": a.id, "name": a.name, "availability_zone": a.availability_zone,
        "hosts": list(a.hosts), "metadata": dict(a.metadata),
        "created_at": _ts(cloud, a.created_at, True), "updated_at": _ts(cloud, a.updated_at, True),
        "deleted_at": None, "deleted": False,
    }
    if version >= (2, 41):
        body["uuid"] = a.uuid
    return body


def hypervisor(cloud: SimulatedCloud, hv: dict[str, Any], version: Version, detail: bool,
               with_servers: bool) -> dict[str, Any]:
    host, view = hv["host"], hv["service"]
    new_ids = version >= (2, 53)
    body: dict[str, Any] = {
        "id": host.hypervisor_uuid if new_ids else host.hypervisor_id,
        "hypervisor_hostname": host.node,
        "state": "up" if view.up else "down",
        "status": "disabled" if view.service.disabled else "enabled",
    }
    if detail:
        body.update({
            "host_ip": host.host_ip, "hypervisor_type": "fake", "hypervisor_version": 1000,
            "service": {"host": host.name,
                        "id": view.service.uuid if new_ids else view.service.id,
                        "disabled_reason": view.service.disabled_reason},
        })
        if version < (2, 88):
            free_ram = 0 if host.capacity_full else host.memory_mb - hv["memory_mb_used"]
            free_disk = 0 if host.capacity_full else host.local_gb - hv["local_gb_used"]
            body.update({
                "vcpus": host.vcpus, "memory_mb": host.memory_mb, "local_gb": host.local_gb,
                "vcpus_used": hv["vcpus_used"], "memory_mb_used": hv["memory_mb_used"],
                "local_gb_used": hv["local_gb_used"], "free_ram_mb": free_ram,
                "free_disk_gb": free_disk, "current_workload": 0,
                "running_vms": hv["running_vms"], "disk_available_least": free_disk,
                "cpu_info": '{"arch": "x86_64", "model": "fake", "vendor": "emulated"}',
            })
        else:
            body["uptime"] = None
    if with_servers and hv["servers"]:
        body["servers"] = [{"uuid": uuid, "name": name} for uuid, name in hv["servers"]]
    return body


def version_doc(base: str) -> dict[str, Any]:
    """The v2.1 entry of Nova's version documents."""
    return {
        "id": "v2.1", "status": "CURRENT", "version": mv.fmt(mv.MAX_VERSION),
        "min_version": mv.fmt(mv.MIN_VERSION), "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{base}/v2.1/"},
                  {"rel": "describedby", "type": "text/html",
                   "href": "http://docs.openstack.org/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.compute+json;version=2.1"}],
    }
