"""Verified fencing through MAAS: the one implementation the engine and fence_maas share.

A host counts as fenced only when MAAS, asked live (``query_power_state``, a BMC round
trip -- not the machine record's cached ``power_state``), says ``off`` within a time bound
after a *hard* power-off. "Already off" is success. ``unknown``/``error`` from the BMC, an
unanswered bound, a refused key or an unknown host are failures: the caller must not move
the host's guests.

The waiting is explicit and bounded: clock and sleep are injectable so tests drive time.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Callable, Optional

from masakari_ha.fencing import maas
from masakari_ha.fencing.base import FenceResult, PowerState, ProgressCallback

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class VerifyPolicy:
    """How long to wait and how often to look.

    :param timeout: seconds after the power action within which the target state must be
        reported; a bound, not a sleep.
    :param poll_interval: seconds between two live queries.
    :param power_wait: seconds to wait after sending the action before the first query
        (fence-agents' ``power_wait``; 0 = query at once).
    """

    timeout: float = 90.0
    poll_interval: float = 3.0
    power_wait: float = 0.0


class _Recorder:
    """Collects step lines, logs each one and forwards it to the progress callback."""

    def __init__(self, host: str, progress: Optional[ProgressCallback]):
        self.host = host
        self.steps: list = []
        self._progress = progress

    def __call__(self, message: str) -> None:
        self.steps.append(message)
        LOG.info("fencing %s: %s", self.host, message)
        if self._progress is not None:
            try:
                self._progress(message)
            except Exception:  # a broken progress sink must not change the fencing outcome
                LOG.exception("fencing %s: progress callback failed", self.host)

    def result(self, fenced: bool, state: PowerState, reason: str = "") -> FenceResult:
        detail = "; ".join(self.steps)
        return FenceResult(
            host=self.host, fenced=fenced, power_state=state, reason=reason,
            detail=detail, steps=tuple(self.steps),
        )


def wait_for_state(
    client: maas.MaasClient,
    host: str,
    target: PowerState,
    policy: VerifyPolicy,
    step: Callable[[str], None],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple:
    """Poll the live power state until it is ``target`` or the bound passes.

    Returns ``(reached, last_state, reason)``. ``unknown``/``error`` end the wait at once
    (the BMC cannot tell; guessing would be unsafe); a 503/timeout of a single query is
    retried until the bound, since the BMC may just be busy.
    """
    start = clock()
    deadline = start + policy.timeout
    if policy.power_wait > 0:
        sleep(min(policy.power_wait, policy.timeout))
    polls = 0
    last_state = PowerState.UNKNOWN
    last_problem = ""
    while True:
        remaining = deadline - clock()
        polls += 1
        try:
            last_state = client.query_power_state(
                host, timeout=max(0.5, min(client.request_timeout, remaining))
            )
            last_problem = ""
        except (maas.MaasUnavailable, maas.MaasTimeout, maas.MaasConnectionError) as exc:
            last_problem = str(exc)
            step(f"live power query {polls} failed: {exc}")
        else:
            elapsed = clock() - start
            if last_state == target:
                step(f"MAAS reports power state '{target.value}' after {elapsed:.1f} s "
                     f"({polls} live {'query' if polls == 1 else 'queries'})")
                return True, last_state, ""
            if last_state in (PowerState.UNKNOWN, PowerState.ERROR):
                reason = (f"MAAS reports power state '{last_state.value}' for {host}: the BMC "
                          f"cannot confirm it is {target.value}")
                step(reason)
                return False, last_state, reason
        if clock() + policy.poll_interval > deadline:
            why = last_problem or f"last reported state '{last_state.value}'"
            reason = (f"{host} not reported {target.value} within {policy.timeout:g} s "
                      f"({polls} live queries; {why})")
            step(reason)
            return False, last_state, reason
        sleep(policy.poll_interval)


def fence(
    client: maas.MaasClient,
    host: str,
    comment: str,
    policy: VerifyPolicy,
    progress: Optional[ProgressCallback] = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FenceResult:
    """Hard power-off ``host`` through MAAS and confirm it is off within the bound.

    Never raises for MAAS trouble: every outcome is a FenceResult whose ``fenced`` is True
    only when MAAS reported ``off`` (``steps``/``detail`` hold the evidence, ``reason`` the
    cause of a failure).
    """
    step = _Recorder(host, progress)
    try:
        system_id = client.system_id(host)
        step(f"MAAS machine {system_id} ({maas.short_hostname(host)})")
        try:
            answer = client.power_off(host, comment=comment, stop_mode="hard")
        except (maas.MaasConflict, maas.MaasUnavailable) as exc:
            # Some BMC drivers refuse to power off a chassis that is already off: ask.
            step(f"hard power-off refused: {exc}")
            state = client.query_power_state(host)
            if state == PowerState.OFF:
                step("MAAS reports power state 'off': host was already off")
                return step.result(True, state)
            reason = f"hard power-off refused and MAAS reports '{state.value}': {exc}"
            step(f"not fenced: {reason}")
            return step.result(False, state, reason)
        except (maas.MaasTimeout, maas.MaasConnectionError) as exc:
            # The request may or may not have reached MAAS: only the power state can tell.
            step(f"hard power-off request unanswered ({exc}); checking the power state")
            answer = {}
        if answer is None:
            step("hard power-off requested; MAAS says no action was needed")
        elif answer:
            step(f"hard power-off sent (comment: {comment})")
        reached, state, reason = wait_for_state(
            client, host, PowerState.OFF, policy, step, clock=clock, sleep=sleep
        )
        if reached:
            return step.result(True, state)
        return step.result(False, state, reason)
    except maas.MaasError as exc:
        reason = str(exc)
        step(f"not fenced: {reason}")
        return step.result(False, PowerState.UNKNOWN, reason)


def power_on(
    client: maas.MaasClient,
    host: str,
    comment: str,
    policy: VerifyPolicy,
    progress: Optional[ProgressCallback] = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FenceResult:
    """Power ``host`` on and confirm MAAS reports ``on`` (``fenced`` is False throughout;
    ``power_state`` is what was reached, ``reason`` says why ``on`` was not reached)."""
    step = _Recorder(host, progress)
    try:
        client.power_on(host, comment=comment)
        step(f"power-on sent (comment: {comment})")
        reached, state, reason = wait_for_state(
            client, host, PowerState.ON, policy, step, clock=clock, sleep=sleep
        )
        return step.result(False, state, "" if reached else reason)
    except maas.MaasError as exc:
        step(f"power-on failed: {exc}")
        return step.result(False, PowerState.UNKNOWN, str(exc))
