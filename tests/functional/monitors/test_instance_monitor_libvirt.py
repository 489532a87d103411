"""The instance monitor against real libvirt (``test:///default`` via libvirt-python) and a
real API process: domain events become VM notifications the API accepted, in order, once
each, also across an API outage; its Prometheus endpoint counts what happened."""

import threading
import time
import urllib.request
import uuid

import pytest

from monitors import conf as monitors_conf
from monitors import runtime
from monitors.notifier.client import ApiClient
from monitors.notifier.sender import Notifier
from monitors.notifier.spool import Spool

libvirt = pytest.importorskip(
    "libvirt", reason="LOUD SKIP: libvirt-python is not installed (tools/venv.sh installs it)")

from monitors.instance.monitor import InstanceMonitor  # noqa: E402
from tests.functional.monitors.apiproc import free_port  # noqa: E402
from tests.functional.monitors.test_monitor_metrics import scrape, value  # noqa: E402

HOST = "compute-lv1"


def domain_xml(name: str, dom_uuid: str) -> str:
    return (f"<domain type='test'><name>{name}</name><uuid>{dom_uuid}</uuid>"
            "<memory>65536</memory><os><type>hvm</type></os></domain>")


@pytest.fixture
def monitor_conf(tmp_path, api):
    conf = monitors_conf.new_conf()
    conf([], default_config_files=[])
    conf.set_override("state_path", str(tmp_path / "mon"))
    conf.set_override("endpoint_override", api.endpoint, group="api")
    conf.set_override("retry_initial_delay", 0.05, group="spool")
    return conf


@pytest.fixture
def running_monitor(monitor_conf, tmp_path):
    spool = Spool(str(tmp_path / "mon" / "spool"))
    notifier = Notifier(spool, ApiClient(monitor_conf).post, initial_delay=0.05, max_delay=0.5)
    notifier.start()
    mon = InstanceMonitor("test:///default", HOST, notifier)
    stop = threading.Event()
    t = threading.Thread(target=mon.run, args=(stop,), daemon=True)
    t.start()
    assert mon.connected.wait(10), "monitor did not connect to test:///default"
    yield mon, notifier
    stop.set()
    t.join(10)
    notifier.stop()


@pytest.fixture
def driver():
    """A second, read-write connection that changes the (per-process) test driver state."""
    conn = libvirt.open("test:///default")
    created = []

    def make(n: int) -> list:
        doms = []
        for _ in range(n):
            u = str(uuid.uuid4())
            dom = conn.defineXML(domain_xml(f"vm-{u[:8]}", u))
            created.append(dom)
            doms.append(dom)
        return doms

    yield make
    for dom in created:
        try:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        except libvirt.libvirtError:
            pass
    conn.close()


def wait_until(cond, timeout=10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def vm_events(notifications):
    return [(n["payload"]["instance_uuid"], n["payload"]["event"], n["payload"]["vir_domain_event"])
            for n in notifications if n["type"] == "VM"]


def test_define_start_destroy_reaches_the_api(api, running_monitor, driver):
    api.register_hosts(HOST)
    mon, notifier = running_monitor
    dom, = driver(1)
    dom.create()          # STARTED: dropped by upstream's table
    dom.suspend()         # SUSPENDED_PAUSED: dropped
    dom.resume()
    dom.destroy()         # STOPPED_DESTROYED: sent
    got = api.wait_for(1)
    assert vm_events(got) == [(dom.UUIDString(), "LIFECYCLE", "STOPPED_DESTROYED")]
    assert got[0]["hostname"] == HOST and got[0]["status"] == "new"
    assert notifier.wait_idle(5) and notifier.delivered == 1
    assert dom.UUIDString() not in mon.running


def test_unregistered_host_is_refused_for_good_and_not_retried(api, running_monitor, driver):
    mon, notifier = running_monitor      # HOST not registered: the API answers 400
    dom, = driver(1)
    dom.create()
    dom.destroy()
    assert wait_until(lambda: notifier.refused == 1)
    assert notifier.delivered == 0 and len(notifier.spool) == 0
    assert api.notifications() == []


def test_api_down_for_a_while_every_notification_arrives_once_in_order(api, running_monitor,
                                                                       driver):
    api.register_hosts(HOST)
    mon, notifier = running_monitor
    doms = driver(12)
    for d in doms:
        d.create()
    api.stop()
    for d in doms[:10]:
        d.destroy()           # 10 notifications while the API is down
    assert wait_until(lambda: len(notifier.spool) == 10)   # queued on disk
    api.start()
    for d in doms[10:]:
        d.destroy()           # 2 more after it came back
    got = api.wait_for(12, timeout=60)
    assert vm_events(got) == [(d.UUIDString(), "LIFECYCLE", "STOPPED_DESTROYED") for d in doms]
    assert notifier.wait_idle(5)
    assert notifier.failures == 0


def test_resync_after_reconnect_reports_nothing_for_deliberate_stops(api, running_monitor,
                                                                     driver):
    api.register_hosts(HOST)
    mon, notifier = running_monitor
    dom, = driver(1)
    dom.create()
    u = dom.UUIDString()
    assert wait_until(lambda: u in mon.running)
    mon.disconnect()                      # as if libvirtd went away
    dom.destroy()                         # happens while we do not listen: no event
    mon.connect()                         # reconnect → resync
    assert u not in mon.running
    assert notifier.wait_idle(5)
    assert api.notifications() == []      # shut off by DESTROYED is deliberate: not reported


METRICS_HOST = "compute-metrics1"


def test_instance_monitor_metrics_move(tmp_path, api, driver):
    conf = monitors_conf.new_conf()
    conf([], default_config_files=[])
    conf.set_override("state_path", str(tmp_path / "mon"))
    conf.set_override("endpoint_override", api.endpoint, group="api")
    conf.set_override("retry_initial_delay", 0.05, group="spool")
    conf.set_override("listen_port", free_port(), group="metrics")
    endpoint = runtime.start_metrics(conf, "instancemonitor")
    notifier = runtime.build_notifier(conf, "instancemonitor", 12, 1)
    notifier.start()
    mon = InstanceMonitor("test:///default", METRICS_HOST, notifier)
    stop = threading.Event()
    thread = threading.Thread(target=mon.run, args=(stop,), daemon=True)
    thread.start()
    labels = {"monitor": "instancemonitor", "type": "VM"}
    events = "masakari_ha_monitor_instance_events_total"
    sent = "masakari_ha_monitor_notifications_sent_total"
    try:
        assert mon.connected.wait(10)
        url = endpoint.url
        before = scrape(url)
        first, second = driver(2)
        first.create()
        first.destroy()                           # host not registered yet: 400, final
        assert wait_until(lambda: value(scrape(url), sent, outcome="refused", **labels) -
                          value(before, sent, outcome="refused", **labels) == 1)
        api.register_hosts(METRICS_HOST)
        second.create()
        api.stop()
        second.destroy()                          # API down: spooled, retried
        retries = "masakari_ha_monitor_send_retries_total"
        assert wait_until(lambda: value(scrape(url), retries, **labels) -
                          value(before, retries, **labels) >= 1)
        assert value(scrape(url), "masakari_ha_monitor_spool_depth",
                     monitor="instancemonitor") == 1
        api.start()
        assert wait_until(lambda: value(scrape(url), sent, outcome="accepted", **labels) -
                          value(before, sent, outcome="accepted", **labels) == 1, timeout=30)
        after = scrape(url)
        assert value(after, "masakari_ha_monitor_spool_depth", monitor="instancemonitor") == 0
        assert value(after, events, event="LIFECYCLE", vir_domain_event="STOPPED_DESTROYED") - \
            value(before, events, event="LIFECYCLE", vir_domain_event="STOPPED_DESTROYED") == 2
        assert value(after, events, event="LIFECYCLE", vir_domain_event="not_reported") - \
            value(before, events, event="LIFECYCLE", vir_domain_event="not_reported") >= 2
        assert value(after, "masakari_ha_monitor_notifications_queued_total",
                     result="spooled", **labels) - value(
            before, "masakari_ha_monitor_notifications_queued_total",
            result="spooled", **labels) == 2
        assert [n["payload"]["instance_uuid"] for n in api.notifications()] == \
            [second.UUIDString()]
    finally:
        stop.set()
        thread.join(10)
        notifier.stop()
        endpoint.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)    # closed with the monitor
