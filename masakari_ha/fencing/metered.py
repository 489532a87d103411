"""A fencing driver that counts and times every ``power_off`` of the driver it wraps.

:func:`masakari_ha.fencing.drivers.load_driver` returns drivers wrapped in this, so each
attempt shows in ``masakari_ha_fencing_attempts_total{driver, result}`` and
``masakari_ha_fencing_duration_seconds`` whatever the driver.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from masakari_ha import metrics
from masakari_ha.fencing.base import FenceResult, FencingDriver, PowerState, ProgressCallback


class MeteredFencingDriver(FencingDriver):
    """Delegates everything to ``inner``; records the result of each ``power_off``."""

    def __init__(self, inner: FencingDriver):
        self.inner = inner
        self.name = inner.name
        self.proves_fencing = inner.proves_fencing

    def validate(self) -> None:
        self.inner.validate()

    def power_off(
        self, host: str, reason: str, progress: Optional[ProgressCallback] = None
    ) -> FenceResult:
        start = time.monotonic()
        result = "error"   # stays so when the driver raises
        try:
            outcome = self.inner.power_off(host, reason, progress)
            result = "fenced" if outcome.fenced else "not_fenced"
            return outcome
        finally:
            metrics.record_fencing(self.name, result, time.monotonic() - start)

    def power_state(self, host: str) -> PowerState:
        return self.inner.power_state(host)

    def __getattr__(self, name: str) -> Any:
        # Driver-specific extras (client(), policy, ...) stay reachable.
        return getattr(self.inner, name)
