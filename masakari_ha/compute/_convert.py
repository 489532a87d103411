"""Nova JSON (as dicts) → :mod:`masakari_ha.compute.models` (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from masakari_ha.compute.models import (
    Aggregate,
    ComputeService,
    HostCapacity,
    Migration,
    Server,
    freeze_metadata,
)


def _as_dict(resource: Any) -> Mapping[str, Any]:
    if isinstance(resource, Mapping):
        return resource
    to_dict = getattr(resource, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return getattr(resource, "_info", {}) or {}


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def service(resource: Any) -> ComputeService:
    data = _as_dict(resource)
    return ComputeService(
        id=str(data.get("id")),
        host=str(data.get("host")),
        binary=str(data.get("binary", "nova-compute")),
        status=str(data.get("status")),
        state=str(data.get("state")),
        forced_down=bool(data.get("forced_down", False)),
        disabled_reason=data.get("disabled_reason"),
        updated_at=data.get("updated_at"),
    )


def server(resource: Any) -> Server:
    data = _as_dict(resource)
    flavor = data.get("flavor") if isinstance(data.get("flavor"), Mapping) else {}
    return Server(
        id=str(data.get("id")),
        name=str(data.get("name") or ""),
        vm_state=data.get("OS-EXT-STS:vm_state"),
        task_state=data.get("OS-EXT-STS:task_state"),
        power_state=_int_or_none(data.get("OS-EXT-STS:power_state")),
        host=data.get("OS-EXT-SRV-ATTR:host"),
        hypervisor_hostname=data.get("OS-EXT-SRV-ATTR:hypervisor_hostname"),
        locked=bool(data.get("locked", False)),
        metadata=freeze_metadata(data.get("metadata")),
        vcpus=_int_or_none(flavor.get("vcpus")),
        ram_mb=_int_or_none(flavor.get("ram")),
        disk_gb=_int_or_none(flavor.get("disk")),
        tenant_id=data.get("tenant_id"),
    )


def migration(resource: Any) -> Migration:
    data = _as_dict(resource)
    return Migration(
        id=str(data.get("uuid") or data.get("id")),
        instance_uuid=str(data.get("instance_uuid")),
        source_compute=data.get("source_compute"),
        dest_compute=data.get("dest_compute"),
        migration_type=data.get("migration_type"),
        status=str(data.get("status")),
        created_at=data.get("created_at"),
    )


def aggregate(resource: Any) -> Aggregate:
    data = _as_dict(resource)
    return Aggregate(
        id=_int_or_none(data.get("id")) or 0,
        name=str(data.get("name") or ""),
        hosts=tuple(data.get("hosts") or ()),
    )


def _free(data: Mapping[str, Any], free_key: str, total_key: str, used_key: str) -> int | None:
    free = _int_or_none(data.get(free_key))
    if free is not None:
        return free
    total, used = _int_or_none(data.get(total_key)), _int_or_none(data.get(used_key))
    if total is None or used is None:
        return None
    return total - used


def _sum(values: Iterable[int | None]) -> int | None:
    values = list(values)
    if not values or any(v is None for v in values):
        return None
    return sum(values)  # type: ignore[arg-type]


def capacity(host: str, hypervisors: list[Mapping[str, Any]]) -> HostCapacity:
    """Sum the hypervisor records of one host (several for Ironic-like drivers)."""
    if not hypervisors:
        return unknown_capacity(host)
    return HostCapacity(
        host=host,
        free_vcpus=_sum(_free(h, "_none_", "vcpus", "vcpus_used") for h in hypervisors),
        free_ram_mb=_sum(_free(h, "free_ram_mb", "memory_mb", "memory_mb_used") for h in hypervisors),
        free_disk_gb=_sum(_free(h, "free_disk_gb", "local_gb", "local_gb_used") for h in hypervisors),
        running_vms=_sum(_int_or_none(h.get("running_vms")) for h in hypervisors),
        total_vcpus=_sum(_int_or_none(h.get("vcpus")) for h in hypervisors),
        total_ram_mb=_sum(_int_or_none(h.get("memory_mb")) for h in hypervisors),
        total_disk_gb=_sum(_int_or_none(h.get("local_gb")) for h in hypervisors),
    )


def unknown_capacity(host: str) -> HostCapacity:
    return HostCapacity(host=host, free_vcpus=None, free_ram_mb=None, free_disk_gb=None, running_vms=None)


def hypervisors_of_host(host: str, hypervisors: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The hypervisor records whose nova-compute service host is ``host``.

    ``hypervisor_hostname_pattern`` is a substring match, so filter exactly; records
    without a ``service`` block are matched on their hypervisor hostname (short or FQDN).
    """
    matched = []
    for hyp in hypervisors:
        svc = hyp.get("service") if isinstance(hyp.get("service"), Mapping) else {}
        if svc.get("host") is not None:
            if svc.get("host") == host:
                matched.append(hyp)
            continue
        name = str(hyp.get("hypervisor_hostname") or "")
        if name == host or name.split(".", 1)[0] == host:
            matched.append(hyp)
    return matched
