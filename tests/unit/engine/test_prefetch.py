"""Reads of a failed host sent in the background: used once fresh, made again otherwise."""

import threading

import pytest

from masakari_ha.engine import prefetch
from masakari_ha.engine.control import RecoveryInterrupted, RunControl


class FakeNova:
    """Counts the reads; each answer names the read that produced it."""

    def __init__(self):
        self.calls = {"service": 0, "servers": 0, "records": 0}
        self.fail = None
        self.gate = threading.Event()
        self.gate.set()

    def get_compute_service(self, host):
        self.gate.wait(5)
        self.calls["service"] += 1
        if self.fail:
            raise self.fail
        return f"{host}-service-{self.calls['service']}"

    def list_servers_on_host(self, host):
        self.gate.wait(5)
        self.calls["servers"] += 1
        if self.fail:
            raise self.fail
        return [f"{host}-servers-{self.calls['servers']}"]

    def list_evacuations(self, source_compute=None):
        self.gate.wait(5)
        self.calls["records"] += 1
        if self.fail:
            raise self.fail
        return [f"{source_compute}-records-{self.calls['records']}"]


def test_both_reads_are_made_once_and_shared_by_the_two_tasks():
    nova, control = FakeNova(), RunControl("n-1")
    prefetch.start(control, nova, "c1")
    assert prefetch.servers_on_host(control, nova, "c1", keep=True) == ["c1-servers-1"]
    assert prefetch.servers_on_host(control, nova, "c1") == ["c1-servers-1"]  # the next task
    records, sent_at = prefetch.evacuations_from(control, "c1")
    assert records == ["c1-records-1"] and sent_at > 0
    assert prefetch.compute_service(control, "c1") == "c1-service-1"
    assert nova.calls == {"service": 1, "servers": 1, "records": 1}
    # Taken: a later phase reads again.
    assert prefetch.evacuations_from(control, "c1") is None
    assert prefetch.compute_service(control, "c1") is None
    assert prefetch.servers_on_host(control, nova, "c1") == ["c1-servers-2"]


def test_a_consumer_waits_for_a_read_in_flight():
    nova, control = FakeNova(), RunControl("n-1")
    nova.gate.clear()
    prefetch.start(control, nova, "c1")
    threading.Timer(0.05, nova.gate.set).start()
    assert prefetch.servers_on_host(control, nova, "c1") == ["c1-servers-1"]
    assert nova.calls["servers"] == 1


def test_a_failed_read_is_made_again_by_its_consumer():
    nova, control = FakeNova(), RunControl("n-1")
    nova.fail = RuntimeError("nova down")
    prefetch.start(control, nova, "c1")
    assert prefetch.evacuations_from(control, "c1") is None
    assert prefetch.compute_service(control, "c1") is None
    with pytest.raises(RuntimeError):  # the consumer's own read fails as any Nova call would
        prefetch.servers_on_host(control, nova, "c1")
    nova.fail = None
    assert prefetch.servers_on_host(control, nova, "c1") == ["c1-servers-3"]


def test_an_interrupted_read_interrupts_its_consumer():
    nova, control = FakeNova(), RunControl("n-1")
    nova.fail = RecoveryInterrupted("engine stopping")
    prefetch.start(control, nova, "c1")
    with pytest.raises(RecoveryInterrupted):
        prefetch.servers_on_host(control, nova, "c1")


def test_an_old_read_is_not_used(monkeypatch):
    nova, control = FakeNova(), RunControl("n-1")
    prefetch.start(control, nova, "c1")
    monkeypatch.setattr(prefetch, "MAX_AGE", -1.0)
    assert prefetch.evacuations_from(control, "c1") is None
    assert prefetch.servers_on_host(control, nova, "c1") == ["c1-servers-2"]


def test_without_a_background_read_the_task_lists_and_keeps_it_for_the_next():
    nova, control = FakeNova(), RunControl("n-1")
    assert prefetch.servers_on_host(control, nova, "c1", keep=True) == ["c1-servers-1"]
    assert prefetch.servers_on_host(control, nova, "c1") == ["c1-servers-1"]
    assert prefetch.servers_on_host(control, nova, "c1") == ["c1-servers-2"]
    assert prefetch.evacuations_from(control, "c1") is None
    assert nova.calls["records"] == 0
