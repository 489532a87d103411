"""Process-wide concurrency bounds for evacuations: per engine, per segment, per target host.

A slot is held from the evacuate call until Nova confirmed the evacuation. Three bounds
apply, always taken in this order, most specific first (one order for every thread, so no
two can wait on each other; and a guest waiting for its target's or segment's turn holds
no engine-wide slot that guests of other segments could use meanwhile):

1. ``[engine] max_evacuations_per_target_host``: one chosen destination (reserved hosts);
2. ``[engine] max_evacuations_per_segment``: one failover segment, across its failed hosts
   (0: no bound) - a segment is usually one failure domain whose surviving hosts receive
   the guests, so this protects them when several of its hosts fail at once;
3. ``[engine] max_concurrent_evacuations``: this engine, across all notifications.

The bounds are read from the configuration each time a slot is requested, so a reload
(SIGHUP) takes effect at once: a lower bound lets running evacuations finish and admits
new ones only when the count fell below it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from masakari_ha.conf import CONF


class Limit:
    """A counting limit whose bound is read on every acquire (0 or less: unbounded)."""

    def __init__(self, bound: Callable[[], int]):
        self._bound = bound
        self._cond = threading.Condition()
        self.in_use = 0

    def acquire(self) -> None:
        with self._cond:
            while True:
                bound = self._bound()
                if bound <= 0 or self.in_use < bound:
                    self.in_use += 1
                    return
                # Woken by a release, or by wake() after a reload raised the bound; the
                # timeout is only a safety net (hundreds of threads may wait here).
                self._cond.wait(10.0)

    def release(self) -> None:
        with self._cond:
            self.in_use -= 1
            self._cond.notify()

    def wake(self) -> None:
        """Let waiters re-read the bound (after a configuration reload)."""
        with self._cond:
            self._cond.notify_all()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


_lock = threading.Lock()
_engine: Limit | None = None
_segments: dict[str, Limit] = {}
_targets: dict[str, Limit] = {}


def _engine_limit() -> Limit:
    global _engine
    with _lock:
        if _engine is None:
            _engine = Limit(lambda: CONF.engine.max_concurrent_evacuations)
        return _engine


def _keyed(table: dict[str, Limit], key: str, bound: Callable[[], int]) -> Limit:
    with _lock:
        limit = table.get(key)
        if limit is None:
            limit = table[key] = Limit(bound)
        return limit


@contextlib.contextmanager
def evacuation_slot(target: str | None, segment: str | None = None) -> Iterator[None]:
    """Hold one of ``target``'s and ``segment``'s evacuation slots (when known), then one
    of this engine's."""
    with contextlib.ExitStack() as stack:
        if target:
            stack.enter_context(_keyed(_targets, target,
                                       lambda: CONF.engine.max_evacuations_per_target_host).held())
        if segment:
            stack.enter_context(_keyed(_segments, segment,
                                       lambda: CONF.engine.max_evacuations_per_segment).held())
        stack.enter_context(_engine_limit().held())
        yield


def in_use() -> dict[str, object]:
    """Slots held now: ``{"engine": n, "segments": {...}, "targets": {...}}`` (for logs, tests)."""
    with _lock:
        return {"engine": _engine.in_use if _engine else 0,
                "segments": {k: v.in_use for k, v in _segments.items() if v.in_use},
                "targets": {k: v.in_use for k, v in _targets.items() if v.in_use}}


def wake_all() -> None:
    """Make every waiter re-read its bound (called after a configuration reload)."""
    with _lock:
        limits = ([_engine] if _engine else []) + list(_segments.values()) + list(_targets.values())
    for limit in limits:
        limit.wake()


def reset() -> None:
    """Forget the limits (tests change the options between runs)."""
    global _engine
    with _lock:
        _engine = None
        _segments.clear()
        _targets.clear()
