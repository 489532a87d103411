"""The monitors' Prometheus metrics move with what the monitors do, and the endpoint's
registry shows the monitors' families only (not the API's and engine's)."""

import socket

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitors import conf as monitors_conf
from monitors import metrics, runtime
from monitors.host.decision import Settings
from monitors.host.monitor import HostMonitor
from monitors.process import proc
from monitors.process.monitor import ProcessMonitor
from tests.unit.monitors.test_host_monitor_cycle import ListSink, Samples


def scrape() -> dict:
    """{(sample name, frozenset(labels)): value} of what a monitor's endpoint would serve."""
    text = generate_latest(metrics.registry()).decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def delta(before, after, name, **labels):
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_endpoint_registry_shows_monitor_families_only():
    families = {f.name for f in text_string_to_metric_families(
        generate_latest(metrics.registry()).decode())}
    assert "masakari_ha_monitor_notifications_sent" in families
    assert "masakari_ha_monitor_host_decisions" in families
    assert not {f for f in families if f.startswith("masakari_ha_")
                and not f.startswith(metrics.PREFIX)}


def test_host_monitor_samples_nodes_and_decisions(xml):
    pm = Samples(xml, "crm_mon_healthy.xml", "crm_mon_remote1_fenced_offline_clean.xml",
                 RuntimeError("not reached"))
    mon = HostMonitor(pm, "remote2", ListSink(), Settings(trust_clean_offline_without_fencing=True),
                      None)
    before = scrape()
    mon.cycle()
    mon.cycle()
    after = scrape()
    assert delta(before, after, "masakari_ha_monitor_host_samples_total", result="usable") == 2
    assert delta(before, after, "masakari_ha_monitor_host_decisions_total",
                 decision="baseline") == 3     # ctl1, remote1, remote3
    assert delta(before, after, "masakari_ha_monitor_host_decisions_total",
                 decision="reported_stopped_normal") == 1
    assert after[("masakari_ha_monitor_host_nodes", frozenset({("state", "offline")}))] == 1
    assert after[("masakari_ha_monitor_host_nodes", frozenset({("state", "online")}))] == 2


def test_host_monitor_failed_sample(xml):
    from monitors.host.pacemaker import PacemakerError
    pm = Samples(xml, PacemakerError("crm_mon exited 102"))
    mon = HostMonitor(pm, "remote2", ListSink(), Settings(), None)
    before = scrape()
    mon.cycle()
    assert delta(before, scrape(), "masakari_ha_monitor_host_samples_total", result="failed") == 1


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
    before = scrape()
    mon.cycle()                                   # down -> touch -> up: one successful restart
    after = scrape()
    name = "masakari_ha_monitor_process_restarts_total"
    assert delta(before, after, name, process=" ".join(argv), outcome="success") == 1
    marker.unlink()
    plist.write_text(yaml.safe_dump([{"process_name": " ".join(argv),
                                      "restart_command": ["false"]}]))
    mon.cycle()                                   # restart fails: STOPPED, failed gauge 1
    last = scrape()
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
