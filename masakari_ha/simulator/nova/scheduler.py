"""The emulator's scheduler: a pure choice of a destination host (no state, no I/O).

Mirrors what Nova's filter scheduler does for an evacuation with its default filters: only hosts
whose nova-compute service is enabled and up (ComputeFilter) and that have room for the flavor
(resources, here vCPU/RAM/disk as placement would count them); the source host is excluded; among
those, the host with the most free RAM wins (RAMWeigher), ties broken by name for repeatability.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from masakari_ha.simulator.nova.model import Flavor


@dataclasses.dataclass(frozen=True)
class Candidate:
    name: str
    enabled: bool
    up: bool
    free_vcpus: int
    free_ram_mb: int
    free_disk_gb: int

    def fits(self, flavor: Flavor) -> bool:
        return (self.free_vcpus >= flavor.vcpus and self.free_ram_mb >= flavor.ram
                and self.free_disk_gb >= flavor.disk)

    def passes(self, flavor: Flavor) -> bool:
        return self.enabled and self.up and self.fits(flavor)


def choose_host(candidates: Iterable[Candidate], flavor: Flavor, exclude: str,
                requested: str | None = None) -> str | None:
    """Name of the destination for a guest of ``flavor`` leaving ``exclude``, or None (NoValidHost).

    With ``requested`` (an evacuate naming a host, validated by the scheduler since 2.29) only that
    host is considered, and it must still pass the filters.
    """
    usable = [c for c in candidates if c.name != exclude and c.passes(flavor)]
    if requested is not None:
        usable = [c for c in usable if c.name == requested]
    if not usable:
        return None
    return min(usable, key=lambda c: (-c.free_ram_mb, c.name)).name
