"""How long the emulated Nova takes: per-HTTP-call response delay and per-action durations.

Two ready-made profiles: :data:`FAST` for tests (transitions in tens of milliseconds) and
:data:`REALISTIC`, measured on a real Nova 26 (Zed) with FakeDriver computes (real-stack.md § C:
stop/start ~3.3 s, evacuate 3.5–5.5 s). Benchmarks run both systems against the same profile.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any


@dataclasses.dataclass
class LatencyProfile:
    """Durations in seconds.

    ``api_delay`` is added to every HTTP response (``per_call`` overrides it for a call kind such
    as ``"servers.get"`` or ``"action:evacuate"``). ``evacuate_schedule`` is the time from the
    accepted evacuate call until the scheduler has picked a host (migration ``pre-migrating``, guest
    on its new host, task ``rebuild_spawning``); ``evacuate`` the total time until the guest has
    settled (migration ``done``). ``power_sync`` is how long nova-compute takes to notice a guest
    that died under it (libvirt delays STOPPED lifecycle events by 15 s). ``jitter`` is a +/- fraction applied to action durations, drawn
    from a seeded generator so runs are repeatable.
    """

    api_delay: float = 0.0
    per_call: dict[str, float] = dataclasses.field(default_factory=dict)
    evacuate_schedule: float = 0.01
    evacuate: float = 0.05
    stop: float = 0.02
    start: float = 0.02
    power_sync: float = 0.02
    jitter: float = 0.0
    seed: int = 42

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        for name in ("api_delay", "evacuate_schedule", "evacuate", "stop", "start", "power_sync",
                     "jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"latency {name} must not be negative")
        if self.evacuate_schedule > self.evacuate:
            raise ValueError("evacuate_schedule must not exceed the total evacuate time")

    def call_delay(self, call: str) -> float:
        return self.per_call.get(call, self.api_delay)

    def duration(self, action: str) -> float:
        """Duration of ``action`` (evacuate, evacuate_schedule, stop, start) with jitter applied."""
        base = getattr(self, action)
        if not self.jitter or not base:
            return base
        return max(0.0, base * (1 + self._rng.uniform(-self.jitter, self.jitter)))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LatencyProfile":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown latency fields: {', '.join(sorted(unknown))}")
        return cls(**data)


FAST = LatencyProfile()
REALISTIC = LatencyProfile(api_delay=0.02, evacuate_schedule=0.8, evacuate=4.5, stop=3.3,
                           start=3.3, power_sync=15.0, jitter=0.2)
PROFILES = {"fast": FAST, "realistic": REALISTIC}


def profile(name: str) -> LatencyProfile:
    """A fresh copy of a named profile (each cloud gets its own random generator)."""
    try:
        return LatencyProfile.from_dict(PROFILES[name].to_dict())
    except KeyError:
        raise ValueError(f"unknown latency profile {name!r}; known: {', '.join(PROFILES)}") from None
