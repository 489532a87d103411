"""The shared evacuation-record listing of a failed host: one read per round for all guests."""

import threading

import pytest

from masakari_ha.compute.models import Migration
from masakari_ha.engine import evacuation


class FakeNova:
    """Answers list_evacuations from a list the test changes; counts the calls."""

    def __init__(self):
        self.records = []
        self.calls = 0
        self.fail = None
        self._lock = threading.Lock()

    def list_evacuations(self, source_compute=None, instance_uuid=None):
        with self._lock:
            self.calls += 1
            if self.fail:
                raise self.fail
            return list(self.records)


def _record(mid, uuid, status):
    return Migration(id=mid, instance_uuid=uuid, source_compute="c1", dest_compute="c2",
                     migration_type="evacuation", status=status, created_at=None)


def test_many_waiters_share_one_read_per_round():
    nova = FakeNova()
    nova.records = [_record(str(n), f"i-{n}", "running") for n in range(30)]
    watch = evacuation.MigrationWatch(nova, "c1", interval=0.1)
    results = {}

    def waiter(n, seen=0):
        results[n] = watch.records_after(f"i-{n}", seen, timeout=5)

    threads = [threading.Thread(target=waiter, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert nova.calls == 1
    assert {n: (len(r[0]), r[1]) for n, r in results.items()} == {n: (1, 1) for n in range(30)}

    # The next round is not listed before it is due, then once for everybody again.
    nova.records = [_record(str(n), f"i-{n}", "done") for n in range(30)]
    threads = [threading.Thread(target=waiter, args=(n, 1)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert nova.calls == 2
    assert all(r[1] == 2 and r[0][0].status == "done" for r in results.values())


def test_first_listing_is_reused_for_the_idempotence_check():
    nova = FakeNova()
    nova.records = [_record("1", "i-1", "done")]
    watch = evacuation.MigrationWatch(nova, "c1", interval=10)
    assert [r.id for r in watch.records("i-1")] == ["1"]
    assert watch.records("i-2") == []
    assert nova.calls == 1


def test_a_failing_read_reaches_the_lister_and_is_retried_next_round():
    nova = FakeNova()
    nova.fail = RuntimeError("nova down")
    watch = evacuation.MigrationWatch(nova, "c1", interval=0.05)
    with pytest.raises(RuntimeError, match="nova down"):
        watch.records_after("i-1", 0, timeout=2)
    nova.fail = None
    listed, round_no = watch.records_after("i-1", 0, timeout=2)
    assert (listed, round_no, nova.calls) == ([], 1, 2)


def test_rounds_halve_once_evacuations_finish():
    nova = FakeNova()
    watch = evacuation.MigrationWatch(nova, "c1", interval=0.4)
    # A record that had failed before we looked (an earlier attempt) starts no wave.
    nova.records = [_record("0", "i-0", "failed"), _record("1", "i-1", "running"),
                    _record("2", "i-2", "running")]
    watch.records_after("i-1", 0, timeout=2)
    assert watch._round() == 0.4
    watch.records_after("i-1", 1, timeout=2)
    assert watch._round() == 0.4
    nova.records[1] = _record("1", "i-1", "done")
    watch.records_after("i-1", 2, timeout=2)
    assert watch._round() == 0.2  # something finished: the wave has started
    watch.records_after("i-2", 3, timeout=2)
    assert watch._round() == 0.2  # and the stragglers at its end are waited for as closely


def test_a_seeded_listing_is_the_first_round():
    nova = FakeNova()
    watch = evacuation.MigrationWatch(nova, "c1", interval=10)
    watch.seed([_record("1", "i-1", "running")], listed_at=0.0)
    assert [r.id for r in watch.records("i-1")] == ["1"]
    assert nova.calls == 0
    # A seed arriving after a round was listed changes nothing.
    watch.seed([], listed_at=0.0)
    assert [r.id for r in watch.records("i-1")] == ["1"]
    # The next round is due one interval after the seeded listing (long past here).
    nova.records = [_record("1", "i-1", "done")]
    listed, round_no = watch.records_after("i-1", 1, timeout=2)
    assert (listed[0].status, round_no, nova.calls) == ("done", 2, 1)
