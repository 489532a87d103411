"""Test doubles for the fencing unit tests: a scripted MAAS client and a manual clock."""

from __future__ import annotations

from masakari_ha.fencing import maas
from masakari_ha.fencing.base import PowerState


class ManualClock:
    """time.monotonic/time.sleep replacement: sleeping advances the clock."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedClient:
    """Stands in for MaasClient: answers query_power_state from a script.

    ``states``: list of PowerState or Exception instances returned/raised in order (the last
    one repeats). ``power_off_error``: raised by power_off when set.
    """

    request_timeout = 5.0

    def __init__(self, states, *, power_off_error=None, power_off_answer=None, lookup_error=None,
                 clock: ManualClock | None = None, query_cost: float = 0.0):
        self.states = list(states)
        self.power_off_error = power_off_error
        self.power_off_answer = {"system_id": "abc123"} if power_off_answer is None else power_off_answer
        self.lookup_error = lookup_error
        self.calls: list = []
        self.clock = clock
        self.query_cost = query_cost

    def system_id(self, host, refresh=False):
        self.calls.append(("system_id", host))
        if self.lookup_error:
            raise self.lookup_error
        return "abc123"

    def power_off(self, host, comment, stop_mode="hard"):
        self.calls.append(("power_off", host, comment, stop_mode))
        if self.power_off_error:
            raise self.power_off_error
        return self.power_off_answer or None

    def power_on(self, host, comment):
        self.calls.append(("power_on", host, comment))
        return {"system_id": "abc123"}

    def query_power_state(self, host, timeout=None):
        self.calls.append(("query", host))
        if self.clock is not None:
            self.clock.now += self.query_cost
        item = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if isinstance(item, Exception):
            raise item
        return item


ON, OFF, UNKNOWN, ERROR = PowerState.ON, PowerState.OFF, PowerState.UNKNOWN, PowerState.ERROR
BMC_DOWN = maas.MaasUnavailable("MAAS could not reach the BMC (503)", 503)
