"""The MAAS emulator's world: machines, their power, injected faults and a record of actions.

No HTTP here: the server module maps requests onto these methods. Power transitions are
due at a clock time and applied lazily whenever a machine is observed, so nothing sleeps
to change state and a test can drive time with its own clock.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import secrets
import string
import threading
import time
from typing import Any, Callable, Optional

#: Values accepted for the fault fields (None = behave normally).
QUERY_FAULTS = ("unknown", "error", "503", "hang")
POWER_FAULTS = ("503", "409", "403", "ignore")

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_system_id() -> str:
    """A MAAS-looking system_id (6 lowercase alphanumerics)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


@dataclasses.dataclass
class Machine:
    """One machine and its BMC as MAAS sees them.

    ``off_delay``/``on_delay``: seconds between MAAS accepting a power action and the BMC
    reporting the new state. ``query_latency``: seconds a live ``query_power_state`` takes.
    ``query_fault``: ``unknown``/``error`` (BMC answers that state), ``503`` (BMC unreachable),
    ``hang`` (the query blocks for ``hang_seconds``). ``power_off_fault``/``power_on_fault``:
    ``503``, ``409``, ``403`` (answer that status), ``ignore`` (accept, never change state).
    """

    hostname: str
    system_id: str = dataclasses.field(default_factory=new_system_id)
    power_state: str = "on"
    domain: str = "maas"
    power_type: str = "ipmi"
    status_name: str = "Deployed"
    off_delay: float = 1.0
    on_delay: float = 1.0
    query_latency: float = 0.05
    hang_seconds: float = 120.0
    query_fault: Optional[str] = None
    power_off_fault: Optional[str] = None
    power_on_fault: Optional[str] = None
    #: (target state, clock time it is reached) of an accepted action still under way.
    pending: Optional[tuple] = None
    #: the state MAAS last recorded (what GET machines/{id}/ shows).
    recorded_state: str = ""
    queries: int = 0

    def __post_init__(self) -> None:
        self.recorded_state = self.recorded_state or self.power_state

    def settle(self, now: float) -> None:
        if self.pending and now >= self.pending[1]:
            self.power_state = self.pending[0]
            self.recorded_state = self.power_state
            self.pending = None

    def api_view(self) -> dict:
        """The machine as the MAAS API shows it."""
        return {
            "system_id": self.system_id,
            "hostname": self.hostname,
            "fqdn": f"{self.hostname}.{self.domain}",
            "domain": {"name": self.domain, "id": 0},
            "power_state": self.recorded_state,
            "power_type": self.power_type,
            "status_name": self.status_name,
            "status": 6,
            "resource_uri": f"/MAAS/api/2.0/machines/{self.system_id}/",
        }

    def control_view(self) -> dict:
        """Everything, for the emulator's control API."""
        view = dataclasses.asdict(self)
        view["pending"] = list(self.pending) if self.pending else None
        return view


_SETTABLE = {
    f.name for f in dataclasses.fields(Machine) if f.name not in ("pending", "queries")
}


class SimError(Exception):
    """A problem with a control request (bad field or value): HTTP 400/404."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class MaasWorld:
    """All machines of the emulated MAAS, thread-safe.

    :param clock: monotonic seconds (injectable).
    :param actions_log: optional path; every power action is also appended there as one
        JSON line (for shell scripts that cannot call the control API).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        actions_log: Optional[str] = None,
    ):
        self.clock = clock
        self.actions_log = actions_log
        self._lock = threading.RLock()
        self._machines: dict = {}
        self._actions: list = []
        self.unavailable = False  # every API call answers 503 (MAAS region down)

    # -- machines -----------------------------------------------------------------------

    def add(self, hostname: str, **fields: Any) -> Machine:
        fields = _validated(fields)
        with self._lock:
            if self._find(hostname) is not None:
                raise SimError(f"machine {hostname} exists", 409)
            machine = Machine(hostname=hostname, **fields)
            self._machines[machine.system_id] = machine
            return machine

    def update(self, hostname: str, **fields: Any) -> Machine:
        fields = _validated(fields)
        with self._lock:
            machine = self.by_hostname(hostname)
            old_id = machine.system_id
            for name, value in fields.items():
                setattr(machine, name, value)
            if "power_state" in fields:
                machine.pending = None
                machine.recorded_state = machine.power_state
            if machine.system_id != old_id:
                del self._machines[old_id]
                self._machines[machine.system_id] = machine
            return machine

    def remove(self, hostname: str) -> None:
        with self._lock:
            del self._machines[self.by_hostname(hostname).system_id]

    def machines(self) -> list:
        with self._lock:
            now = self.clock()
            for machine in self._machines.values():
                machine.settle(now)
            return sorted(self._machines.values(), key=lambda m: m.hostname)

    def _find(self, hostname: str) -> Optional[Machine]:
        for machine in self._machines.values():
            if machine.hostname.lower() == hostname.lower():
                return machine
        return None

    def by_hostname(self, hostname: str) -> Machine:
        with self._lock:
            machine = self._find(hostname)
            if machine is None:
                raise SimError(f"no machine {hostname}", 404)
            machine.settle(self.clock())
            return machine

    def by_system_id(self, system_id: str) -> Optional[Machine]:
        with self._lock:
            machine = self._machines.get(system_id)
            if machine is not None:
                machine.settle(self.clock())
            return machine

    # -- power --------------------------------------------------------------------------

    def power_off(self, machine: Machine, stop_mode: str, comment: str, user: str) -> tuple:
        """Apply a power_off request. Returns (http status, body or None, result text)."""
        return self._power(machine, "power_off", "off", machine.power_off_fault,
                           machine.off_delay, user, stop_mode=stop_mode, comment=comment)

    def power_on(self, machine: Machine, comment: str, user: str) -> tuple:
        return self._power(machine, "power_on", "on", machine.power_on_fault,
                           machine.on_delay, user, comment=comment)

    def _power(self, machine, op, target, fault, delay, user, **details) -> tuple:
        with self._lock:
            now = self.clock()
            machine.settle(now)
            before = machine.power_state
            if fault in ("503", "409", "403"):
                status, body = int(fault), _FAULT_BODIES[fault].format(op=op)
                result = f"rejected {fault}"
            elif fault == "ignore":
                status, body, result = 200, machine.api_view(), "accepted (ignored by BMC)"
            elif before == target and machine.pending is None:
                status, body, result = 200, None, f"no action needed (already {target})"
            else:
                machine.pending = (target, now + max(0.0, delay))
                status, body, result = 200, machine.api_view(), "accepted"
            self._record(op, machine, before, result, user, details)
            if delay <= 0:
                machine.settle(now)
            return status, body, result

    def query_power_state(self, machine: Machine) -> tuple:
        """Live state as the BMC reports it: (status, body). Sleeps the query latency."""
        with self._lock:
            machine.queries += 1
            latency = machine.hang_seconds if machine.query_fault == "hang" else machine.query_latency
            fault = machine.query_fault
        if latency > 0:
            time.sleep(latency)
        with self._lock:
            machine.settle(self.clock())
            if fault == "503":
                return 503, ("Unable to query BMC: power query for "
                             f"{machine.hostname} timed out (emulated)")
            state = fault if fault in ("unknown", "error") else machine.power_state
            machine.recorded_state = state
            return 200, {"state": state}

    # -- action record ------------------------------------------------------------------

    def _record(self, op, machine, before, result, user, details) -> None:
        wall = datetime.datetime.now(datetime.timezone.utc)
        record = {
            "seq": len(self._actions) + 1,
            "time": wall.timestamp(),
            "ts": wall.isoformat(timespec="milliseconds"),
            "op": op,
            "hostname": machine.hostname,
            "system_id": machine.system_id,
            "stop_mode": details.get("stop_mode"),
            "comment": details.get("comment", ""),
            "state_before": before,
            "result": result,
            "user": user,
        }
        self._actions.append(record)
        if self.actions_log:
            with open(self.actions_log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def actions(self, hostname: Optional[str] = None) -> list:
        with self._lock:
            return [dict(a) for a in self._actions
                    if hostname is None or a["hostname"].lower() == hostname.lower()]

    def clear_actions(self) -> None:
        with self._lock:
            self._actions.clear()


_FAULT_BODIES = {
    "503": "Unable to change power state: BMC unreachable (emulated, {op})",
    "409": "Machine cannot be {op}'d in its current state (emulated)",
    "403": "You do not have permission to {op} this machine (emulated)",
}

_FLOATS = ("off_delay", "on_delay", "query_latency", "hang_seconds")


def _validated(fields: dict) -> dict:
    """Check control-API fields; raise SimError with a clear message."""
    out = {}
    for name, value in fields.items():
        if name not in _SETTABLE or name == "hostname":
            raise SimError(f"unknown machine field {name!r}")
        if name == "power_state" and value not in ("on", "off"):
            raise SimError("power_state must be 'on' or 'off'")
        if name == "query_fault" and value not in (None, "", *QUERY_FAULTS):
            raise SimError(f"query_fault must be one of {QUERY_FAULTS} or null")
        if name in ("power_off_fault", "power_on_fault") and value not in (None, "", *POWER_FAULTS):
            raise SimError(f"{name} must be one of {POWER_FAULTS} or null")
        if name in _FLOATS:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise SimError(f"{name} must be a number") from None
            if value < 0:
                raise SimError(f"{name} must not be negative")
        if name.endswith("_fault") and value == "":
            value = None
        out[name] = value
    return out
