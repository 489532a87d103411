"""Process-wide concurrency bounds for evacuations (per engine and per target host)."""

import contextlib
import threading

from masakari_ha.conf import CONF

_lock = threading.Lock()
_engine_slots: threading.BoundedSemaphore | None = None
_target_slots: dict[str, threading.BoundedSemaphore] = {}


def _engine_semaphore() -> threading.BoundedSemaphore:
    global _engine_slots
    with _lock:
        if _engine_slots is None:
            _engine_slots = threading.BoundedSemaphore(CONF.engine.max_concurrent_evacuations)
        return _engine_slots


def _target_semaphore(host: str) -> threading.BoundedSemaphore:
    with _lock:
        slot = _target_slots.get(host)
        if slot is None:
            slot = _target_slots[host] = threading.BoundedSemaphore(CONF.engine.max_evacuations_per_target_host)
        return slot


@contextlib.contextmanager
def evacuation_slot(target: str | None):
    """Hold one of this engine's evacuation slots (and one of ``target``'s when known)."""
    with _engine_semaphore():
        if target is None:
            yield
            return
        with _target_semaphore(target):
            yield


def reset() -> None:
    """Forget the semaphores (tests change the options)."""
    global _engine_slots
    with _lock:
        _engine_slots = None
        _target_slots.clear()
