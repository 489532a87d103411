"""``[fencing] driver = noop``: the engine fences nothing itself.

Contract with the engine's fencing gate: this driver proves nothing
(``proves_fencing = False``) and ``power_off`` always answers ``fenced=False`` with the
reason "no fencing driver configured" without touching any host. The gate must then take
its proof from the notification: upstream's host monitor sends ``host_status=NORMAL`` only
after pacemaker has fenced the node (node offline and clean); ``host_status=UNKNOWN`` is no
proof, so with ``[fencing] required = True`` such a host is not evacuated.
"""

from __future__ import annotations

from typing import Optional

from masakari_ha.fencing.base import FenceResult, FencingDriver, PowerState, ProgressCallback

NO_DRIVER_REASON = "no fencing driver configured"


class NoopFencingDriver(FencingDriver):
    name = "noop"
    proves_fencing = False

    def __init__(self, conf=None):
        self._conf = conf

    def validate(self) -> None:
        """Nothing to check: there is no fencing device."""

    def power_off(
        self, host: str, reason: str, progress: Optional[ProgressCallback] = None
    ) -> FenceResult:
        step = f"{NO_DRIVER_REASON}: {host} was not powered off by masakari_ha"
        if progress is not None:
            progress(step)
        return FenceResult(host=host, fenced=False, power_state=PowerState.UNKNOWN,
                           reason=NO_DRIVER_REASON, detail=step, steps=(step,))

    def power_state(self, host: str) -> PowerState:
        return PowerState.UNKNOWN
