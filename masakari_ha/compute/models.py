"""Immutable snapshots of the Nova resources masakari_ha reads.

The client turns novaclient's loose resource objects into these frozen dataclasses so the
engine and :mod:`masakari_ha.engine.planning` work on plain, typed, hashable values that
tests can build by hand. Field names follow Nova's meaning, not its JSON keys
(``vm_state`` is ``OS-EXT-STS:vm_state``, ``host`` is ``OS-EXT-SRV-ATTR:host``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

#: Nova's ``OS-EXT-STS:power_state`` values (nova.compute.power_state).
POWER_NOSTATE = 0
POWER_RUNNING = 1
POWER_PAUSED = 3
POWER_SHUTDOWN = 4
POWER_CRASHED = 6
POWER_SUSPENDED = 7

#: Nova's ``migration_type`` for evacuations in ``os-migrations``.
MIGRATION_TYPE_EVACUATION = "evacuation"


@dataclasses.dataclass(frozen=True)
class ComputeService:
    """One row of ``GET /os-services`` (binary ``nova-compute``).

    ``id`` is the service UUID at microversion >= 2.53 (the only form this client uses).
    ``state`` is Nova's liveness view (``up``/``down``), ``status`` its scheduling switch
    (``enabled``/``disabled``).
    """

    id: str
    host: str
    binary: str
    status: str
    state: str
    forced_down: bool
    disabled_reason: str | None
    updated_at: str | None

    @property
    def disabled(self) -> bool:
        return self.status == "disabled"

    @property
    def up(self) -> bool:
        return self.state == "up"


@dataclasses.dataclass(frozen=True)
class Server:
    """A guest as ``GET /servers/detail`` shows it to an admin.

    ``metadata`` is the server's own copy (treat it as read-only). ``vcpus``/``ram_mb``/``disk_gb`` come from the
    flavor embedded in the server (microversion >= 2.47) and are ``None`` when Nova did
    not say. ``tenant_id`` is the owning project.
    """

    id: str
    name: str
    vm_state: str | None
    task_state: str | None
    power_state: int | None
    host: str | None
    hypervisor_hostname: str | None
    locked: bool
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict)
    vcpus: int | None = None
    ram_mb: int | None = None
    disk_gb: int | None = None
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        # A private copy, so the caller's dict can change without changing this snapshot. A
        # plain dict (not a read-only proxy) keeps copy/pickle/asdict working; treat it as
        # read-only.
        object.__setattr__(self, "metadata", dict(self.metadata))

    def __hash__(self) -> int:
        return hash(self.id)


@dataclasses.dataclass(frozen=True)
class Migration:
    """One row of ``GET /os-migrations``.

    ``id`` is the migration UUID when Nova returns one (>= 2.59), else its integer id as
    text. ``status`` for evacuations runs ``accepted`` → ``pre-migrating`` → ``done``
    (guest rebuilt on the destination) → ``completed`` (the source compute restarted and
    cleaned up); ``failed``/``error`` when it did not work.
    """

    id: str
    instance_uuid: str
    source_compute: str | None
    dest_compute: str | None
    migration_type: str | None
    status: str
    created_at: str | None


@dataclasses.dataclass(frozen=True)
class Aggregate:
    """A host aggregate: its id (integer in Nova), name and member hosts."""

    id: int
    name: str
    hosts: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class HostCapacity:
    """Free capacity of one compute host, as Nova's hypervisor statistics show it.

    Free values are physical (no allocation ratio applied); ``total_*`` let the planner
    apply allocation ratios. Every value is ``None`` when Nova could not tell (hypervisor
    API forbidden, host without a hypervisor record): the planner then treats that
    dimension as unknown instead of guessing a number.
    """

    host: str
    free_vcpus: int | None
    free_ram_mb: int | None
    free_disk_gb: int | None
    running_vms: int | None
    total_vcpus: int | None = None
    total_ram_mb: int | None = None
    total_disk_gb: int | None = None

    @property
    def known(self) -> bool:
        """True when Nova reported at least vCPU and RAM figures for the host."""
        return self.free_vcpus is not None and self.free_ram_mb is not None


def freeze_metadata(metadata: Mapping[str, Any] | None) -> dict[str, str]:
    """Normalise Nova metadata to ``str → str`` (Nova stores strings; be lenient anyway)."""
    return {str(k): "" if v is None else str(v) for k, v in (metadata or {}).items()}
