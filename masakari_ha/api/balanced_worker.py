"""gunicorn's threaded worker, taking new connections only when it is not ahead.

gunicorn's workers all wait on the one listening socket, and whichever wakes first accepts.
With kept-alive connections the split is made once and stays: a burst of connections
(eight monitors, a load balancer opening its pool) often lands entirely on one worker,
which then serves them all on one core under one GIL while the other worker idles. Half
the capacity is lost and every request on the crowded worker queues behind the others
(measured: 8 clients all on one of 2 workers, p99 175 ms there against 60 ms).

:class:`BalancedThreadWorker` keeps every worker's open connection count in memory shared
by the workers (created in the master before forking). A worker that holds more
connections than another live worker lets that one take the new connection: it stops
watching the listening socket for :data:`ACCEPT_PAUSE` seconds. So that a worker that is
alive but stuck cannot hold connections back, a worker accepts anyway after
:data:`MAX_DEFERRALS` pauses in a row (pauses less than :data:`DEFERRAL_RUN` apart).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import time

from gunicorn.workers.gthread import ThreadWorker

SLOTS = 256
ACCEPT_PAUSE = 0.002
MAX_DEFERRALS = 10
DEFERRAL_RUN = 0.05

# Shared with every worker forked after this module was imported (gunicorn loads the
# worker class in the master). One slot per worker: its pid and its open connections.
_pids = multiprocessing.RawArray(ctypes.c_int, SLOTS)
_conns = multiprocessing.RawArray(ctypes.c_int, SLOTS)
_slot_lock = multiprocessing.Lock()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_slot(pid: int) -> int:
    """A free slot (never used, or its worker is gone) for worker ``pid``."""
    with _slot_lock:
        for slot in range(SLOTS):
            if _pids[slot] == 0 or not _alive(_pids[slot]):
                _pids[slot] = pid
                _conns[slot] = 0
                return slot
    raise RuntimeError(f"more than {SLOTS} API workers")


def release(pid: int) -> None:
    """Free the slot of worker ``pid`` (the master calls this when a worker exited)."""
    with _slot_lock:
        for slot in range(SLOTS):
            if _pids[slot] == pid:
                _pids[slot] = 0
                _conns[slot] = 0


def another_worker_has_fewer(slot: int) -> bool:
    """True when a live worker other than ``slot``'s holds fewer connections."""
    mine = _conns[slot]
    for other in range(SLOTS):
        pid = _pids[other]
        if other != slot and pid and _conns[other] < mine and _alive(pid):
            return True
    return False


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker that leaves new connections to less busy workers."""

    _slot: int | None = None
    _nr_conns = 0
    _paused_until = 0.0
    _deferrals = 0

    @property
    def nr_conns(self) -> int:
        return self._nr_conns

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._nr_conns = value
        if self._slot is not None:
            _conns[self._slot] = value

    def init_process(self):
        self._slot = claim_slot(os.getpid())
        self.nr_conns = self._nr_conns
        super().init_process()

    def accept(self, listener):
        now = time.monotonic()
        if now - self._paused_until > DEFERRAL_RUN:
            self._deferrals = 0
        if self._slot is not None and self._deferrals < MAX_DEFERRALS and \
                another_worker_has_fewer(self._slot):
            self._deferrals += 1
            self._paused_until = now + ACCEPT_PAUSE
            super().set_accept_enabled(False)
            return
        self._deferrals = 0
        super().accept(listener)

    def set_accept_enabled(self, enabled):
        if enabled and time.monotonic() < self._paused_until:
            enabled = False
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        # While paused, wake up when the pause ends rather than after the usual second.
        remaining = self._paused_until - time.monotonic()
        if remaining > 0:
            timeout = min(timeout, remaining)
        super().wait_for_and_dispatch_events(timeout)
