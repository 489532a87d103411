"""Resync after a reconnect: which guests that stopped while the monitor was disconnected are
reported (a failure reason) and which are not (deliberate stops, undefined domains)."""

import pytest

libvirt = pytest.importorskip(
    "libvirt", reason="LOUD SKIP: libvirt-python is not installed (tools/venv.sh installs it)")

from monitors.instance.monitor import InstanceMonitor  # noqa: E402
from monitors.runtime import PrintSink  # noqa: E402


class Dom:
    def __init__(self, uuid, state=(1, 1)):
        self.uuid, self._state = uuid, state

    def UUIDString(self):
        return self.uuid

    def state(self):
        return list(self._state)


class Conn:
    """The two read calls resync makes, answering like libvirt would after a restart."""

    def __init__(self, active, others):
        self.active, self.others = active, others

    def listAllDomains(self, flags):
        assert flags == libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE
        return [Dom(u) for u in self.active]

    def lookupByUUIDString(self, uuid):
        if uuid not in self.others:
            raise libvirt.libvirtError("Domain not found")
        return Dom(uuid, self.others[uuid])


def test_resync_reports_only_failures(tmp_path):
    sink = PrintSink(stream=open("/dev/null", "w"))
    mon = InstanceMonitor("test:///default", "h1", sink, known_file=str(tmp_path / "known.json"))
    mon.running = {"still-up", "failed", "crashed-state", "daemon", "shutdown", "destroyed",
                   "gone", "saved"}
    mon._conn = Conn(active=["still-up", "new-one"], others={
        "failed": (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_FAILED),
        "crashed-state": (libvirt.VIR_DOMAIN_CRASHED, 0),
        "daemon": (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DAEMON),
        "shutdown": (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_SHUTDOWN),
        "destroyed": (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED),
        "saved": (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_SAVED),
    })
    sent = mon.resync()
    reported = [b["notification"]["payload"]["instance_uuid"] for b in sent]
    assert reported == ["crashed-state", "daemon", "failed"]
    assert all(b["notification"]["payload"]["event"] == "LIFECYCLE" and
               b["notification"]["payload"]["vir_domain_event"] == "STOPPED_FAILED" for b in sent)
    assert mon.running == {"still-up", "new-one"}
    # the known set is saved, so a restarted monitor resyncs against it too
    again = InstanceMonitor("test:///default", "h1", sink, known_file=str(tmp_path / "known.json"))
    assert again.running == {"still-up", "new-one"}
