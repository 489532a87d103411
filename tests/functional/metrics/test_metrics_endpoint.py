"""/metrics parses with Prometheus' own text parser and its counters move: notifications
posted to the API (by type and status) and fencing attempts (MAAS emulator)."""

from prometheus_client.parser import text_string_to_metric_families

from masakari_ha.conf import CONF
from masakari_ha.fencing import drivers
from masakari_ha.simulator.maas import MaasEmulator
from tests.functional.api.conftest import Api  # noqa: F401 - fixtures below come from there
from tests.functional.api.conftest import api, api_conf, app, db_url  # noqa: F401

KEY = "mtConsumerKey1:mtTokenKey22:mtTokenSecret333"
DOCUMENTED = {
    "masakari_ha_notifications_received": "counter",
    "masakari_ha_recoveries": "counter",
    "masakari_ha_recovery_duration_seconds": "histogram",
    "masakari_ha_evacuations": "counter",
    "masakari_ha_instance_restarts": "counter",
    "masakari_ha_fencing_attempts": "counter",
    "masakari_ha_fencing_duration_seconds": "histogram",
    "masakari_ha_leases_taken_over": "counter",
    "masakari_ha_monitor_spool_depth": "gauge",
}
DEFAULTS = {"off_delay": 0.1, "on_delay": 0.1, "query_latency": 0.01}


def scrape(api) -> dict:
    """{(sample name, frozenset(labels)): value} of one GET /metrics."""
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_every_documented_metric_is_exposed(api):
    text = api.get("/metrics").get_data(as_text=True)
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert {name: families.get(name) for name in DOCUMENTED} == DOCUMENTED


def test_notification_counters_move(api):
    segment = api.segment()
    api.host(segment["uuid"], name="cmp1")
    before = scrape(api)
    api.notify("cmp1")
    api.notify("cmp1", expect=409)       # the same failure again: duplicate
    api.notify("nowhere", expect=400)    # no such host
    api.notify("cmp1", ntype="VM", payload={"event": "LIFECYCLE", "instance_uuid":
               "8c1f3f5e-5d2a-4d53-8a61-6f0b3f0c9f11", "vir_domain_event": "STOPPED_FAILED"})
    after = scrape(api)
    name = "masakari_ha_notifications_received_total"
    for labels, delta in (({"type": "COMPUTE_HOST", "status": "new"}, 1),
                          ({"type": "COMPUTE_HOST", "status": "duplicate"}, 1),
                          ({"type": "COMPUTE_HOST", "status": "unknown_host"}, 1),
                          ({"type": "VM", "status": "new"}, 1)):
        assert value(after, name, **labels) - value(before, name, **labels) == delta, labels


def test_fencing_counters_move(api):
    with MaasEmulator(["node1"], KEY, defaults=DEFAULTS) as maas:
        CONF.set_override("driver", "maas", "fencing")
        CONF.set_override("url", maas.url, "maas")
        CONF.set_override("api_key", KEY, "maas")
        CONF.set_override("poll_interval", 0.05, "maas")
        CONF.set_override("power_off_timeout", 3, "maas")
        driver = drivers.load_driver(CONF)
        before = scrape(api)
        assert driver.power_off("node1", "metrics test").fenced
        assert not driver.power_off("no-such-node", "metrics test").fenced
        after = scrape(api)
    name = "masakari_ha_fencing_attempts_total"
    for result in ("fenced", "not_fenced"):
        labels = {"driver": "maas", "result": result}
        assert value(after, name, **labels) - value(before, name, **labels) == 1, result
    count = "masakari_ha_fencing_duration_seconds_count"
    assert value(after, count, driver="maas", result="fenced") > \
        value(before, count, driver="maas", result="fenced")


def test_serve_http_for_a_separate_process():
    import requests

    from masakari_ha import metrics

    server = metrics.serve_http(0)
    try:
        metrics.record_lease_taken_over()
        text = requests.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5).text
        families = {f.name for f in text_string_to_metric_families(text)}
        assert set(DOCUMENTED) <= families
    finally:
        server.shutdown()
        server.server_close()
