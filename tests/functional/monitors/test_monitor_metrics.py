"""Each monitor's own Prometheus endpoint (``[metrics] listen_port``), scraped over HTTP and
parsed with Prometheus' text parser, with a real API process receiving the notifications:

* the host monitor daemon (console script) replaying captured crm_mon output: samples, node
  states, decisions, and the notification the API accepted;
* the process monitor's restarts by process and outcome (real restart commands);
* metrics are off by default and a taken port is a clear error;
* the instance monitor's (events by type, refused, retries, spool depth) is in
  ``test_instance_monitor_libvirt.py``, next to its libvirt fixtures.
"""

import socket
import urllib.request

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from monitors import conf as monitors_conf
from monitors import runtime
from monitors.process import proc
from monitors.process.monitor import ProcessMonitor

from tests.functional.monitors.apiproc import free_port
from tests.functional.monitors.test_host_monitor_daemon import (
    feed, fenced_now, health, sample, start, stop, wait_until, write_conf)  # noqa: F401
from tests.unit.monitors.test_host_monitor_cycle import ListSink
from tests.unit.monitors.test_metrics import delta
from tests.unit.monitors.test_metrics import scrape as scrape_registry

SENT = "masakari_ha_monitor_notifications_sent_total"


def scrape(url: str) -> dict:
    """{(sample name, frozenset(labels)): value} of one GET of a monitor's /metrics."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_host_monitor_daemon_serves_its_metrics(tmp_path, api, feed):  # noqa: F811
    api.register_hosts("ctl1", "remote1", "remote2", "remote3")
    crm_file, put = feed
    put(sample("crm_mon_healthy.xml"))
    conf = write_conf(tmp_path, api.endpoint, crm_file)
    port = free_port()
    with open(conf, "a") as f:
        f.write(f"[metrics]\nlisten_port = {port}\n")
    url = f"http://127.0.0.1:{port}/metrics"
    proc, log = start(conf, tmp_path)
    try:
        assert wait_until(lambda: health(tmp_path).get("status") == "ok")
        assert health(tmp_path)["metrics"] == url
        before = scrape(url)
        assert value(before, "masakari_ha_monitor_host_nodes", state="online") == 3
        assert value(before, "masakari_ha_monitor_host_decisions_total",
                     decision="baseline") == 3
        assert value(before, "masakari_ha_monitor_spool_depth", monitor="hostmonitor") == 0
        put(fenced_now())
        api.wait_for(1, timeout=20)
        labels = {"monitor": "hostmonitor", "type": "COMPUTE_HOST"}
        assert wait_until(lambda: value(scrape(url), SENT, outcome="accepted", **labels) == 1)
        after = scrape(url)
        assert value(after, "masakari_ha_monitor_notifications_queued_total",
                     result="spooled", **labels) == 1
        assert value(after, "masakari_ha_monitor_host_decisions_total",
                     decision="reported_stopped_normal") == 1
        assert value(after, "masakari_ha_monitor_host_nodes", state="offline") == 1
        assert value(after, "masakari_ha_monitor_host_samples_total", result="usable") > \
            value(before, "masakari_ha_monitor_host_samples_total", result="usable")
        assert not [k for k in after if k[0].startswith("masakari_ha_")
                    and not k[0].startswith("masakari_ha_monitor_")]   # not the API's metrics
    finally:
        rc = stop(proc, log)
    assert rc == 0, (tmp_path / "hm.log").read_text()[-3000:]


def test_process_restarts_by_process_and_outcome(tmp_path):
    marker = tmp_path / "up"
    argv = ("/usr/bin/python3", "/opt/metrics-test/worker.py")
    plist = tmp_path / "process_list.yaml"
    plist.write_text(yaml.safe_dump([{"process_name": " ".join(argv),
                                      "restart_command": ["touch", str(marker)]}]))

    def scan():
        return [proc.ProcInfo(7, argv, argv[0])] if marker.exists() else []
    mon = ProcessMonitor(str(plist), "h", ListSink(), restart_retries=0, restart_interval=0,
                         scan=scan, sleep=lambda _s: None)
    before = scrape_registry()
    mon.cycle()                                   # down -> touch -> up: one successful restart
    after = scrape_registry()
    name = "masakari_ha_monitor_process_restarts_total"
    assert delta(before, after, name, process=" ".join(argv), outcome="success") == 1
    marker.unlink()
    plist.write_text(yaml.safe_dump([{"process_name": " ".join(argv),
                                      "restart_command": ["false"]}]))
    mon.cycle()                                   # restart fails: STOPPED, failed gauge 1
    last = scrape_registry()
    assert delta(after, last, name, process=" ".join(argv), outcome="failure") == 1
    assert last[("masakari_ha_monitor_process_failed", frozenset())] == 1


def test_metrics_are_off_by_default_and_a_busy_port_is_a_clear_error(capsys):
    conf = monitors_conf.new_conf()
    conf([], default_config_files=[])
    assert conf.metrics.listen_port == 0
    assert runtime.start_metrics(conf, "hostmonitor") is None
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        conf.set_override("listen_port", busy.getsockname()[1], group="metrics")
        with pytest.raises(SystemExit) as exc:
            runtime.start_metrics(conf, "hostmonitor")
    assert exc.value.code == 2
    assert "masakari-ha-hostmonitor: cannot serve metrics on 127.0.0.1:" in capsys.readouterr().err
