"""Fencing driver that takes pacemaker's word for it: its fencing history is the proof.

Where pacemaker already fences compute nodes (``stonith:fence_maas`` or
``stonith:external/maas`` on pacemaker-remote nodes), the engine should not power the node
off a second time; it waits until ``stonith_admin --history`` shows a *successful*
``off``/``reboot`` of the host that completed recently (``[fencing]
pacemaker_history_max_age``), polling up to ``[fencing] pacemaker_history_timeout``.
Pending or failed operations are not proof. This driver never asks pacemaker to fence.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from typing import Callable, Optional

from masakari_ha.fencing import pacemaker_history as history
from masakari_ha.fencing.base import (
    FenceResult,
    FencingConfigError,
    FencingDriver,
    FencingError,
    PowerState,
    ProgressCallback,
)

LOG = logging.getLogger(__name__)

_COMMAND_TIMEOUT = 30.0


class PacemakerFencingDriver(FencingDriver):
    """``[fencing] driver = pacemaker``."""

    name = "pacemaker"

    def __init__(
        self,
        conf,
        *,
        run: Callable = subprocess.run,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        group = conf.fencing
        self.command = group.stonith_admin
        self.timeout = float(group.pacemaker_history_timeout)
        self.max_age = float(group.pacemaker_history_max_age)
        self.poll_interval = float(group.pacemaker_poll_interval)
        self._run = run
        self._clock = clock
        self._sleep = sleep

    def read_history(self) -> list:
        """Every fencing event pacemaker knows (all targets, verbose).

        :raises FencingError: stonith_admin is missing, fails or prints something unreadable.
        """
        argv = [self.command, "--history", "*", "--verbose", "--output-as=xml"]
        try:
            done = self._run(argv, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT)
        except FileNotFoundError:
            raise FencingConfigError(f"{self.command} not found: is pacemaker-cli-utils installed?") from None
        except subprocess.TimeoutExpired:
            raise FencingError(f"{self.command} --history did not answer within {_COMMAND_TIMEOUT:g} s") from None
        if done.returncode != 0:
            err = (done.stderr or done.stdout or "").strip().splitlines()
            raise FencingError(
                f"{self.command} --history failed (exit {done.returncode}): "
                f"{err[-1] if err else 'no output'}"
            )
        try:
            return history.parse_history(done.stdout)
        except history.HistoryParseError as exc:
            raise FencingError(str(exc)) from None

    def validate(self) -> None:
        if shutil.which(self.command) is None:
            raise FencingConfigError(
                f"[fencing] driver = pacemaker needs {self.command} (pacemaker-cli-utils) on PATH"
            )
        try:
            self.read_history()
        except FencingError as exc:
            raise FencingConfigError(f"cannot read pacemaker's fencing history: {exc}") from None

    def power_off(
        self, host: str, reason: str, progress: Optional[ProgressCallback] = None
    ) -> FenceResult:
        steps: list = []

        def step(message: str) -> None:
            steps.append(message)
            LOG.info("fencing %s (%s): %s", host, reason, message)
            if progress is not None:
                try:
                    progress(message)
                except Exception:
                    LOG.exception("fencing %s: progress callback failed", host)

        def result(fenced: bool, state: PowerState, why: str = "") -> FenceResult:
            return FenceResult(host=host, fenced=fenced, power_state=state, reason=why,
                               detail="; ".join(steps), steps=tuple(steps))

        step(f"waiting up to {self.timeout:g} s for pacemaker's fencing history to show "
             f"a successful off/reboot of {host} (at most {self.max_age:g} s old)")
        deadline = self._clock() + self.timeout
        last = ""
        while True:
            try:
                events = self.read_history()
            except FencingConfigError as exc:
                step(f"not fenced: {exc}")
                return result(False, PowerState.UNKNOWN, str(exc))
            except FencingError as exc:
                last = str(exc)
            else:
                found = history.proof(events, host, self._clock(), self.max_age)
                if found is not None:
                    step(f"pacemaker fenced it: {found.describe()}")
                    return result(True, PowerState.OFF)
                last = history.summary(events, host)
            if self._clock() + self.poll_interval > deadline:
                why = f"no successful pacemaker fencing of {host} within {self.timeout:g} s ({last})"
                step(why)
                return result(False, PowerState.UNKNOWN, why)
            self._sleep(self.poll_interval)

    def power_state(self, host: str) -> PowerState:
        try:
            events = self.read_history()
        except FencingError as exc:
            LOG.warning("power state of %s unknown: %s", host, exc)
            return PowerState.UNKNOWN
        found = history.proof(events, host, self._clock(), self.max_age)
        return PowerState.OFF if found is not None else PowerState.UNKNOWN
