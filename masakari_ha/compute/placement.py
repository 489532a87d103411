"""Free capacity from the Placement API: what Nova's scheduler itself will allow.

``os-hypervisors`` reports physical figures (8 cores, 6 vCPUs used → 2 free), while the
scheduler admits ``(total - reserved) * allocation_ratio - used`` per resource class,
from Placement's inventories and usages of the compute node's resource provider (named
after its hypervisor hostname). When Placement is in the catalog this is the capacity
the reserved-host planner should see; when it is not (or fails), the client falls back to
``os-hypervisors``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import session as ks_session

from masakari_ha.compute import _translate
from masakari_ha.compute import exceptions as exc
from masakari_ha.compute.models import HostCapacity

LOG = logging.getLogger(__name__)

_CLASSES = {"VCPU": "free_vcpus", "MEMORY_MB": "free_ram_mb", "DISK_GB": "free_disk_gb"}


def free_from_inventory(inventories: Mapping[str, Any], usages: Mapping[str, Any]) -> dict[str, int | None]:
    """``free_vcpus``/``free_ram_mb``/``free_disk_gb`` of one provider (pure).

    ``(total - reserved) * allocation_ratio - used``, floored at zero; a resource class
    without an inventory gives ``None`` (unknown).
    """
    free: dict[str, int | None] = {}
    for resource_class, field in _CLASSES.items():
        inventory = inventories.get(resource_class)
        if not isinstance(inventory, Mapping) or inventory.get("total") is None:
            free[field] = None
            continue
        capacity = (int(inventory["total"]) - int(inventory.get("reserved") or 0)) * float(
            inventory.get("allocation_ratio") or 1.0)
        used = int(usages.get(resource_class) or 0)
        free[field] = max(0, int(capacity) - used)
    return free


def combine(host: str, providers: Sequence[dict[str, int | None]], running_vms: int | None) -> HostCapacity:
    """Sum per-provider free figures of one host (``None`` when any provider lacks one)."""
    totals: dict[str, int | None] = {}
    for field in _CLASSES.values():
        values = [p.get(field) for p in providers]
        totals[field] = None if not values or any(v is None for v in values) else sum(values)  # type: ignore[misc]
    return HostCapacity(host=host, running_vms=running_vms, **totals)


class PlacementReader:
    """Reads inventories and usages of compute-node resource providers by name."""

    def __init__(self, session: ks_session.Session, adapter_options: Mapping[str, Any],
                 endpoint_override: str | None = None) -> None:
        options = {k: v for k, v in adapter_options.items() if k not in ("endpoint_override", "service_name")}
        options["service_type"] = "placement"
        if endpoint_override:
            options["endpoint_override"] = endpoint_override
        self._adapter = ks_adapter.Adapter(session, **options)

    def _get(self, path: str, host: str) -> Any:
        try:
            response = self._adapter.get(path, raise_exc=True, headers={"Accept": "application/json"})
            return response.json()
        except Exception as error:
            raise _translate.translate(error, "read placement capacity", host=host) from error

    def capacity(self, host: str, node_names: Sequence[str], running_vms: int | None) -> HostCapacity:
        """Capacity of ``host`` whose compute nodes are ``node_names`` (hypervisor hostnames).

        Raises a :class:`NovaError` when Placement cannot answer, and
        :class:`NovaNotFound` when it has no provider for a node.
        """
        providers = []
        for name in node_names:
            found = self._get(f"/resource_providers?name={quote(name, safe='')}", host).get("resource_providers") or []
            if not found:
                raise exc.NovaNotFound(f"Placement has no resource provider {name} for host {host}")
            uuid = found[0]["uuid"]
            inventories = self._get(f"/resource_providers/{uuid}/inventories", host).get("inventories") or {}
            usages = self._get(f"/resource_providers/{uuid}/usages", host).get("usages") or {}
            providers.append(free_from_inventory(inventories, usages))
        return combine(host, providers, running_vms)
