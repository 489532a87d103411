"""HostMonitor.cycle wiring with the pacemaker seam replaced by real captured samples."""

import logging

from monitors.host import crmmon
from monitors.host.decision import Settings
from monitors.host.monitor import HostMonitor
from monitors.host.pacemaker import PacemakerError


class Samples:
    """Stands in for monitors.host.pacemaker.Pacemaker: returns queued crm_mon samples."""

    def __init__(self, xml, *names, history=None):
        self.queue = [xml(n) if isinstance(n, str) and n.endswith(".xml") else n for n in names]
        self.history_asked = []
        self.history = history or {}

    def status(self):
        item = self.queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return crmmon.parse_crm_mon(item)

    def fence_history(self, node):
        self.history_asked.append(node)
        return self.history.get(node, ())


class ListSink:
    def __init__(self):
        self.sent = []

    def submit(self, body):
        self.sent.append(body)
        return True


def test_cycle_sends_and_asks_stonith_admin_only_when_needed(xml):
    pm = Samples(xml, "crm_mon_healthy.xml", "crm_mon_remote1_offline_unclean_fencing_pending.xml")
    sink = ListSink()
    clock = iter([1e10, 1e10 + 5]).__next__      # far after the samples' fence events
    mon = HostMonitor(pm, "remote2", sink, Settings(fencing_wait_timeout=0), None, clock=clock)
    mon.cycle()
    assert pm.history_asked == [] and sink.sent == []
    mon.cycle()
    assert pm.history_asked == ["remote1"]
    [body] = sink.sent
    assert body["notification"]["payload"]["host_status"] == "UNKNOWN"


def test_unusable_sample_sets_last_error(xml):
    pm = Samples(xml, PacemakerError("crm_mon exited 102: not connected"), "crm_mon_healthy.xml")
    mon = HostMonitor(pm, "remote2", ListSink(), Settings(), None)
    assert mon.cycle() == [] and "not connected" in mon.last_error
    mon.cycle()
    assert mon.last_error is None


def test_no_quorum_is_logged_once_per_episode(xml, caplog):
    noq = xml("crm_mon_healthy.xml").replace('with_quorum="true"', 'with_quorum="false"')
    pm = Samples(xml, noq, noq, noq, "crm_mon_healthy.xml", noq)
    mon = HostMonitor(pm, "remote2", ListSink(), Settings(), None)
    with caplog.at_level(logging.INFO, logger="monitors.host.monitor"):
        for _ in range(5):
            mon.cycle()
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert sum("no quorum" in m for m in infos) == 2
    assert sum("usable again" in m for m in infos) == 1
