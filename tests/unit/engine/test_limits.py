"""Evacuation slots: engine, segment and target bounds (threads, no I/O)."""

import threading

import pytest

from masakari_ha.conf import CONF
from masakari_ha.engine import limits


@pytest.fixture(autouse=True)
def _fresh_limits():
    limits.reset()
    yield
    limits.reset()


def _run_concurrently(jobs, hold):
    """Start every job (a zero-arg slot factory), each holding its slot until ``hold`` is set."""
    entered = []
    lock = threading.Lock()

    def one(index, slot):
        with slot():
            with lock:
                entered.append(index)
            hold.wait(5)

    threads = [threading.Thread(target=one, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    return threads, entered


def _settle(predicate, timeout=2.0):
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    while not done.is_set() and not predicate():
        done.wait(0.01)
    deadline.cancel()


def test_segment_bound_applies_across_its_hosts_not_to_other_segments():
    CONF.set_override("max_concurrent_evacuations", 100, group="engine")
    CONF.set_override("max_evacuations_per_segment", 2, group="engine")
    hold = threading.Event()
    jobs = [lambda: limits.evacuation_slot(None, "seg-a") for _ in range(4)]
    jobs += [lambda: limits.evacuation_slot(None, "seg-b") for _ in range(2)]
    threads, entered = _run_concurrently(jobs, hold)
    _settle(lambda: limits.in_use()["engine"] == 4)
    assert limits.in_use() == {"engine": 4, "segments": {"seg-a": 2, "seg-b": 2}, "targets": {}}
    hold.set()
    for thread in threads:
        thread.join(5)
    assert sorted(entered) == list(range(6))
    assert limits.in_use() == {"engine": 0, "segments": {}, "targets": {}}


def test_zero_means_no_segment_bound_and_engine_bound_still_holds():
    CONF.set_override("max_concurrent_evacuations", 3, group="engine")
    CONF.set_override("max_evacuations_per_segment", 0, group="engine")
    hold = threading.Event()
    threads, _ = _run_concurrently([lambda: limits.evacuation_slot("t1", "seg") for _ in range(5)], hold)
    _settle(lambda: limits.in_use()["engine"] == 3)
    assert limits.in_use()["engine"] == 3
    hold.set()
    for thread in threads:
        thread.join(5)
    assert limits.in_use()["engine"] == 0


def test_target_bound():
    CONF.set_override("max_evacuations_per_target_host", 1, group="engine")
    hold = threading.Event()
    threads, _ = _run_concurrently([lambda: limits.evacuation_slot("t1", None) for _ in range(3)], hold)
    _settle(lambda: limits.in_use()["targets"] == {"t1": 1})
    assert limits.in_use() == {"engine": 1, "segments": {}, "targets": {"t1": 1}}
    hold.set()
    for thread in threads:
        thread.join(5)


def test_waiting_for_a_segment_holds_no_engine_slot():
    # Segment A is full; its waiters must not take the engine slots segment B needs.
    CONF.set_override("max_concurrent_evacuations", 3, group="engine")
    CONF.set_override("max_evacuations_per_segment", 1, group="engine")
    hold = threading.Event()
    jobs = [lambda: limits.evacuation_slot(None, "seg-a") for _ in range(5)]
    jobs += [lambda: limits.evacuation_slot(None, "seg-b")]
    threads, entered = _run_concurrently(jobs, hold)
    _settle(lambda: 5 in entered)
    assert 5 in entered, "segment B starved by segment A's waiters"
    assert limits.in_use()["engine"] == 2
    hold.set()
    for thread in threads:
        thread.join(5)
