"""Each monitor's own Prometheus endpoint (``[metrics] listen_port``), scraped over HTTP and
parsed with Prometheus' text parser, with a real API process receiving the notifications:

* the host monitor daemon (console script) replaying captured crm_mon output: samples, node
  states, decisions, and the notification the API accepted;
* the instance monitor's (events by type, refused, retries, spool depth) is in
  ``test_instance_monitor_libvirt.py``, next to its libvirt fixtures.
"""

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.functional.monitors.apiproc import free_port
from tests.functional.monitors.test_host_monitor_daemon import (
    feed, fenced_now, health, sample, start, stop, wait_until, write_conf)  # noqa: F401

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
