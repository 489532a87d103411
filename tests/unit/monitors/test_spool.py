"""Spool semantics: durable, ordered, bounded; crash between write and send; final answers."""

import os

import pytest

from monitors.notifier import envelope
from monitors.notifier.client import Outcome, Result, classify
from monitors.notifier.sender import Notifier, backoff_delay
from monitors.notifier.spool import Spool, SpoolFull


def body(i):
    return envelope.process("host1", f"p{i}", True, envelope.utcnow())


def test_put_is_durable_and_ordered_across_restart(tmp_path):
    d = str(tmp_path / "spool")
    s = Spool(d)
    for i in range(15):
        s.put(body(i))
    # "crash": a new Spool over the same directory replays everything in order
    s2 = Spool(d)
    names = [e.body["notification"]["payload"]["process_name"] for e in s2.pending()]
    assert names == [f"p{i}" for i in range(15)]
    s2.put(body(99))
    assert s2.pending()[-1].body["notification"]["payload"]["process_name"] == "p99"


def test_partial_write_left_by_a_crash_is_discarded(tmp_path):
    d = tmp_path / "spool"
    s = Spool(str(d))
    s.put(body(1))
    (d / ".tmp-00000000000000000002-x.json").write_text('{"id": "x", "bo')
    s2 = Spool(str(d))
    assert len(s2) == 1 and not any(n.startswith(".tmp-") for n in os.listdir(d))


def test_unreadable_entry_is_quarantined_not_blocking(tmp_path):
    d = tmp_path / "spool"
    s = Spool(str(d))
    e1 = s.put(body(1))
    s.put(body(2))
    (d / e1.name).write_text("garbage")
    head = s.peek()
    assert head.body["notification"]["payload"]["process_name"] == "p2"
    assert any(n.endswith(".bad") for n in os.listdir(d))


def test_bounds_refuse_new_entries_and_keep_old(tmp_path):
    s = Spool(str(tmp_path / "a"), max_entries=3)
    for i in range(3):
        s.put(body(i))
    with pytest.raises(SpoolFull):
        s.put(body(3))
    assert len(s) == 3 and s.refused == 1
    small = Spool(str(tmp_path / "b"), max_bytes=600)
    small.put(body(0))
    with pytest.raises(SpoolFull):
        for i in range(10):
            small.put(body(i))
    assert 1 <= len(small) < 10


class FakeApi:
    """Scripted API answers (the HTTP seam); records what was posted."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.posted = []

    def __call__(self, b):
        self.posted.append(b["notification"]["payload"]["process_name"])
        return self.answers.pop(0) if self.answers else Result(Outcome.ACCEPTED, 202, "ok")


def test_crash_between_write_and_send_resends_after_restart(tmp_path):
    d = str(tmp_path / "spool")
    n = Notifier(Spool(d), FakeApi([]))
    n.submit(body(1))           # sender thread never started: "crash" before send
    api = FakeApi([])
    n2 = Notifier(Spool(d), api)
    n2.start()
    assert n2.wait_idle(5)
    n2.stop()
    assert api.posted == ["p1"]


@pytest.mark.parametrize("status", [400, 409])
def test_400_and_409_are_final(tmp_path, status):
    api = FakeApi([classify(status, '{"conflictingRequest": {"message": "dup", "code": 409}}')])
    n = Notifier(Spool(str(tmp_path / "s")), api)
    n.submit(body(1))
    n.submit(body(2))
    n.deliver_one(n.spool.peek())
    assert len(n.spool) == 1 and n.refused == 1
    n.deliver_one(n.spool.peek())
    assert len(n.spool) == 0 and api.posted == ["p1", "p2"] and n.delivered == 1


@pytest.mark.parametrize("status", [500, 502, 503, 401, 403, 404, None])
def test_other_failures_keep_the_head_and_retry_in_order(tmp_path, status):
    fail = Result(Outcome.RETRY, status, "boom") if status is None else classify(status, "boom")
    api = FakeApi([fail, fail])
    n = Notifier(Spool(str(tmp_path / "s")), api, initial_delay=0.001, max_delay=0.002)
    for i in range(3):
        n.submit(body(i))
    n.start()
    assert n.wait_idle(5)
    n.stop()
    assert api.posted == ["p0", "p0", "p0", "p1", "p2"]


def test_classify():
    assert classify(202, '{"notification": {"notification_uuid": "u1"}}').notification_uuid == "u1"
    assert classify(201, "not json").outcome is Outcome.ACCEPTED
    r = classify(400, '{"badRequest": {"message": "Host h not found", "code": 400}}')
    assert r.outcome is Outcome.REFUSED and r.message == "Host h not found"
    assert classify(409, "plain").outcome is Outcome.REFUSED
    assert classify(503, "").outcome is Outcome.RETRY


def test_backoff_is_exponential_capped_and_jittered():
    assert backoff_delay(0, 0.5, 10) == 0
    top = [backoff_delay(n, 0.5, 10, rand=lambda: 1.0) for n in range(1, 8)]
    assert top == [0.5, 1, 2, 4, 8, 10, 10]
    assert backoff_delay(3, 0.5, 10, rand=lambda: 0.25) == 0.5
    assert backoff_delay(10000, 0.5, 10, rand=lambda: 1.0) == 10


def test_generated_time_is_observation_time():
    import datetime
    t = datetime.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=datetime.timezone.utc)
    b = envelope.compute_host("h", True, "NORMAL", t)
    assert b["notification"]["generated_time"] == "2026-01-02T03:04:05.600000"


def test_byte_bound_frees_space_when_entries_are_removed(tmp_path):
    s = Spool(str(tmp_path / "s"), max_bytes=700)
    first = s.put(body(0))
    with pytest.raises(SpoolFull):
        while True:
            s.put(body(1))
    s.remove(first)
    s.put(body(2))                       # room again
    assert Spool(str(tmp_path / "s"))._total == sum(e.size for e in s.pending())
