"""The main loop every monitor runs: one cycle, a pause, until stopped.

The host, instance and process monitors differ only in what a cycle does and how long they
pause after it; the loop itself (stop on SIGTERM between cycles, a failing cycle is logged
and monitoring goes on) lives here once.
"""

import logging
import threading
import time
from typing import Callable

LOG = logging.getLogger(__name__)

Pause = Callable[[float], float]


def fixed_rate(interval: float) -> Pause:
    """Start a cycle every ``interval`` seconds (the pause is what the cycle left over)."""
    return lambda elapsed: interval - elapsed


def fixed_delay(interval: float) -> Pause:
    """Pause ``interval`` seconds after each cycle, however long it took."""
    return lambda _elapsed: interval


def run_loop(name: str, cycle: Callable[[], object], stop: threading.Event,
             pause: Pause) -> None:
    """Call ``cycle`` until ``stop`` is set, waiting ``pause(seconds the cycle took)`` after
    each one. An exception in a cycle is logged with its traceback and the loop goes on: one
    bad sample must not end monitoring."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            cycle()
        except Exception:
            LOG.exception("%s cycle failed; continuing", name)
        stop.wait(max(0.0, pause(time.monotonic() - started)))
