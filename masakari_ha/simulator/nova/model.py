"""Records the Nova emulator keeps in memory, and Nova's state vocabularies.

Field names follow Nova's own objects (``vm_state``, ``task_state``, ``power_state``, migration
``status``) so the HTTP views are a direct rendering and tests read like Nova documentation.
"""

from __future__ import annotations

import dataclasses
import uuid as uuidlib
from typing import Any

# vm_states (nova/compute/vm_states.py)
ACTIVE = "active"
STOPPED = "stopped"
ERROR = "error"
PAUSED = "paused"
SUSPENDED = "suspended"
RESCUED = "rescued"
RESIZED = "resized"
SHELVED = "shelved"
SHELVED_OFFLOADED = "shelved_offloaded"
BUILDING = "building"
VM_STATES = (ACTIVE, STOPPED, ERROR, PAUSED, SUSPENDED, RESCUED, RESIZED, SHELVED,
             SHELVED_OFFLOADED, BUILDING)

# task_states used by the emulated actions (nova/compute/task_states.py)
REBUILDING = "rebuilding"
REBUILD_BLOCK_DEVICE_MAPPING = "rebuild_block_device_mapping"
REBUILD_SPAWNING = "rebuild_spawning"
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"

# power_state (nova/compute/power_state.py)
NOSTATE = 0
RUNNING = 1
PAUSED_POWER = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED_POWER = 7

# The power state a guest has when it settles in a vm_state.
POWER_FOR_VM_STATE = {
    ACTIVE: RUNNING, STOPPED: SHUTDOWN, ERROR: NOSTATE, PAUSED: PAUSED_POWER,
    SUSPENDED: SUSPENDED_POWER, RESCUED: RUNNING, RESIZED: RUNNING, SHELVED: SHUTDOWN,
    SHELVED_OFFLOADED: SHUTDOWN, BUILDING: NOSTATE,
}

# API "status" for a vm_state (nova/api/openstack/common.py _STATE_MAP, default task_state).
STATUS_FOR_VM_STATE = {
    ACTIVE: "ACTIVE", STOPPED: "SHUTOFF", ERROR: "ERROR", PAUSED: "PAUSED",
    SUSPENDED: "SUSPENDED", RESCUED: "RESCUE", RESIZED: "VERIFY_RESIZE", SHELVED: "SHELVED",
    SHELVED_OFFLOADED: "SHELVED_OFFLOADED", BUILDING: "BUILD",
}
# task_states that change the displayed status of an active/stopped guest.
STATUS_FOR_TASK_STATE = {
    REBUILDING: "REBUILD", REBUILD_BLOCK_DEVICE_MAPPING: "REBUILD", REBUILD_SPAWNING: "REBUILD",
}

# Migration statuses an evacuation passes through.
MIGRATION_ACCEPTED = "accepted"
MIGRATION_PRE_MIGRATING = "pre-migrating"
MIGRATION_DONE = "done"
MIGRATION_COMPLETED = "completed"
MIGRATION_FAILED = "failed"
MIGRATION_ERROR = "error"


def new_uuid() -> str:
    return str(uuidlib.uuid4())


@dataclasses.dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    vcpus: int
    ram: int
    disk: int


DEFAULT_FLAVOR = Flavor(id="1", name="m1.tiny", vcpus=1, ram=512, disk=1)


@dataclasses.dataclass
class Host:
    """A compute node: its capacity and whether its nova-compute process is alive."""

    name: str
    vcpus: int = 64
    memory_mb: int = 262144
    local_gb: int = 2000
    alive: bool = True
    died_at: float | None = None
    capacity_full: bool = False
    hypervisor_id: int = 0
    hypervisor_uuid: str = dataclasses.field(default_factory=new_uuid)
    host_ip: str = "192.0.2.1"
    node: str = ""  # hypervisor_hostname; "" means the same as the service host name

    def __post_init__(self) -> None:
        if not self.node:
            self.node = self.name


@dataclasses.dataclass
class Service:
    id: int
    uuid: str
    host: str
    binary: str
    zone: str
    created_at: float
    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    updated_at: float | None = None  # last status change made through the API


@dataclasses.dataclass
class Server:
    uuid: str
    name: str
    project_id: str
    user_id: str
    host: str | None
    created_at: float
    updated_at: float
    flavor: Flavor = DEFAULT_FLAVOR
    vm_state: str = ACTIVE
    task_state: str | None = None
    power_state: int = RUNNING
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    locked: bool = False
    locked_reason: str | None = None
    locked_by: str | None = None
    launched_at: float | None = None
    image_id: str = "155d900f-4e14-4e4c-a73d-069cbf4541e6"
    fault: dict[str, Any] | None = None
    availability_zone: str = "nova"


@dataclasses.dataclass
class Migration:
    id: int
    uuid: str
    instance_uuid: str
    source_compute: str
    source_node: str
    dest_compute: str | None
    dest_node: str | None
    status: str
    migration_type: str
    created_at: float
    updated_at: float
    project_id: str
    user_id: str


@dataclasses.dataclass
class Aggregate:
    id: int
    uuid: str
    name: str
    availability_zone: str | None
    created_at: float
    hosts: list[str] = dataclasses.field(default_factory=list)
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    updated_at: float | None = None


class NovaError(Exception):
    """A refusal Nova's API would return: HTTP code plus the message real Nova uses."""

    FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
                   405: "badMethod", 406: "notAcceptable", 409: "conflictingRequest",
                   413: "overLimit", 429: "overLimit", 501: "notImplemented",
                   503: "serviceUnavailable"}

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def fault_name(self) -> str:
        return self.FAULT_NAMES.get(self.code, "computeFault")

    def body(self) -> dict[str, Any]:
        return {self.fault_name: {"code": self.code, "message": self.message}}


def invalid_state(action: str, server: Server) -> NovaError:
    """409 as nova.api.openstack.common.raise_http_conflict_for_instance_invalid_state words it."""
    if server.task_state is not None:
        attr, state = "task_state", server.task_state
    else:
        attr, state = "vm_state", server.vm_state
    return NovaError(409, f"Cannot '{action}' instance {server.uuid} while it is in {attr} {state}")
