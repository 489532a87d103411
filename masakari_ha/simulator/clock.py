"""Clocks for the emulators: real monotonic time, or a manual clock that unit tests advance.

The Nova emulator never sleeps to make a guest change state: every transition is an event due at a
clock time, applied lazily the next time the cloud is observed. With :class:`ManualClock` a test
moves time forward explicitly and the state machine is fully deterministic, without threads or I/O.
"""

from __future__ import annotations

import datetime
import threading
import time


class Clock:
    """Monotonic seconds plus a fixed mapping to wall-clock time for timestamps in API bodies."""

    def __init__(self) -> None:
        self._wall0 = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        self._t0 = self.now()

    def now(self) -> float:
        return time.monotonic()

    def wall(self, t: float | None = None) -> datetime.datetime:
        """Naive UTC datetime corresponding to clock time ``t`` (default: now)."""
        if t is None:
            t = self.now()
        return self._wall0 + datetime.timedelta(seconds=t - self._t0)


class RealClock(Clock):
    """time.monotonic(); the clock of emulators served over HTTP."""


class ManualClock(Clock):
    """A clock that only moves when :meth:`advance` is called (unit tests)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._mutex = threading.Lock()
        super().__init__()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._mutex:
            self._now += seconds
            return self._now
