"""The monitors' Prometheus metrics move with what the host monitor decides, and the
endpoint's registry shows the monitors' families only (not the API's and engine's). The
process monitor's (real restart commands) and the HTTP endpoint are tested in
tests/functional/monitors."""

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitors import metrics
from monitors.host.decision import Settings
from monitors.host.monitor import HostMonitor
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
