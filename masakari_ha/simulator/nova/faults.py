"""Failure injection for the Nova emulator.

Two kinds of faults:

* **HTTP faults** (:class:`HttpFault`): a call kind (``"action:evacuate"``, ``"servers.get"``,
  ``"services.update"``, ``"*"``...) optionally restricted to one instance answers with an HTTP
  error (e.g. 500 ``computeFault``), or after an extra delay (a slow or timing-out Nova), a given
  number of times or forever. The HTTP layer asks :meth:`FaultInjector.http_fault` per request.
* **Compute faults**: evacuations of given instances fail on the destination compute
  (guest ``error``, migration ``failed``); host capacity exhaustion is a flag on the host, see
  ``SimulatedCloud.set_capacity_full``.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any


@dataclasses.dataclass
class HttpFault:
    call: str
    status: int | None = 500
    message: str = "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/"
    delay: float = 0.0
    instance: str | None = None
    times: int | None = None  # None: every matching call
    hits: int = 0

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("fault status must be an HTTP error code (400-599) or None")
        if self.delay < 0:
            raise ValueError("fault delay must not be negative")
        if self.times is not None and self.times < 1:
            raise ValueError("fault times must be at least 1")

    def matches(self, call: str, instance: str | None) -> bool:
        if self.call not in ("*", call):
            return False
        return self.instance is None or self.instance == instance

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class FaultInjector:
    """Thread-safe registry of active faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._http: list[HttpFault] = []
        self._evacuate_failures: set[str] = set()

    def add_http_fault(self, fault: HttpFault) -> HttpFault:
        with self._lock:
            self._http.append(fault)
        return fault

    def http_fault(self, call: str, instance: str | None = None) -> HttpFault | None:
        """The first matching fault (consuming one of its ``times``), or None."""
        with self._lock:
            for fault in self._http:
                if fault.matches(call, instance):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._http.remove(fault)
                    return fault
        return None

    def fail_evacuations(self, instances: list[str] | set[str]) -> None:
        with self._lock:
            self._evacuate_failures.update(instances)

    def evacuation_fails(self, instance: str) -> bool:
        with self._lock:
            return instance in self._evacuate_failures

    def clear(self) -> None:
        with self._lock:
            self._http.clear()
            self._evacuate_failures.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"http": [f.to_dict() for f in self._http],
                    "evacuate_failures": sorted(self._evacuate_failures)}
