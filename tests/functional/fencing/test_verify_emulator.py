"""Verified fencing over real HTTP against the MAAS emulator: every outcome."""

import logging
import threading
import time

import pytest
import requests

from masakari_ha.fencing import maas, verify
from masakari_ha.fencing.base import PowerState
from tests.functional.fencing.conftest import (FAST, KEY, READONLY_KEY, WRONG_KEY,
                                               assert_no_secret)


def _fence(client, host="node1", policy=FAST):
    return verify.fence(client, host, "masakari_ha fencing: notification n-1", policy)


def test_success_records_a_hard_power_off_of_exactly_that_machine(sim, client):
    result = _fence(client)
    assert result.fenced and result.power_state is PowerState.OFF
    actions = sim.actions()
    assert [(a["op"], a["hostname"], a["stop_mode"]) for a in actions] == [("power_off", "node1", "hard")]
    assert actions[0]["comment"] == "masakari_ha fencing: notification n-1"
    assert actions[0]["system_id"] == sim.machine("node1").system_id
    assert sim.machine("node2").power_state == "on" and sim.machine("node3").power_state == "on"


def test_already_off(sim, client):
    sim.set("node1", power_state="off")
    result = _fence(client)
    assert result.fenced and "no action was needed" in result.detail
    assert sim.actions()[0]["result"] == "no action needed (already off)"


def test_already_off_but_power_off_refused(sim, client):
    sim.set("node1", power_state="off", power_off_fault="409")
    result = _fence(client)
    assert result.fenced and "already off" in result.detail


def test_slow_power_off_within_the_bound(sim, client):
    sim.set("node1", off_delay=1.0)
    started = time.monotonic()
    result = _fence(client)
    assert result.fenced and 1.0 <= time.monotonic() - started < 3.0


def test_power_off_slower_than_the_bound_fails(sim, client):
    sim.set("node1", off_delay=30)
    policy = verify.VerifyPolicy(timeout=0.6, poll_interval=0.1)
    started = time.monotonic()
    result = _fence(client, policy=policy)
    assert not result.fenced and result.power_state is PowerState.ON
    assert "not reported off within 0.6 s" in result.reason
    assert time.monotonic() - started < 2.0


def test_ignored_power_off_fails(sim, client):
    sim.set("node1", power_off_fault="ignore")
    assert not _fence(client, policy=verify.VerifyPolicy(timeout=0.4, poll_interval=0.1)).fenced


@pytest.mark.parametrize("fault", ["unknown", "error"])
def test_bmc_unknown_or_error_is_not_fenced(sim, client, fault):
    sim.set("node1", query_fault=fault)
    result = _fence(client)
    assert not result.fenced and result.power_state.value == fault
    assert f"'{fault}'" in result.reason


def test_bmc_unreachable_503_is_not_fenced(sim, client):
    sim.set("node1", query_fault="503")
    result = _fence(client, policy=verify.VerifyPolicy(timeout=0.5, poll_interval=0.1))
    assert not result.fenced and "503" in result.reason


def test_power_off_503_with_host_on_is_not_fenced(sim, client):
    sim.set("node1", power_off_fault="503")
    result = _fence(client)
    assert not result.fenced and "503" in result.reason


def test_hanging_query_is_bounded_by_the_request_timeout(sim):
    sim.set("node1", query_fault="hang", hang_seconds=5)
    client = maas.MaasClient(sim.url, maas.ApiKey.parse(KEY), request_timeout=0.5)
    started = time.monotonic()
    result = _fence(client, policy=verify.VerifyPolicy(timeout=1.0, poll_interval=0.1))
    assert not result.fenced and "did not answer" in result.reason
    assert time.monotonic() - started < 3.5


def test_wrong_key_fails_closed(sim):
    client = maas.MaasClient(sim.url, maas.ApiKey.parse(WRONG_KEY), request_timeout=5)
    result = _fence(client)
    assert not result.fenced and "401" in result.reason
    assert sim.actions() == [] and sim.machine("node1").power_state == "on"
    assert_no_secret(result.reason, result.detail)


def test_key_without_edit_rights_is_403(sim):
    client = maas.MaasClient(sim.url, maas.ApiKey.parse(READONLY_KEY), request_timeout=5)
    result = _fence(client)
    assert not result.fenced and "403" in result.reason and "lacks rights" in result.reason
    assert sim.machine("node1").power_state == "on"


def test_unknown_host_is_404(sim, client):
    result = _fence(client, host="node9")
    assert not result.fenced and "no machine with hostname node9" in result.reason


def test_fqdn_is_looked_up_by_short_name(sim, client):
    assert _fence(client, host="node2.maas.example.com").fenced
    assert sim.actions()[0]["hostname"] == "node2"


def test_system_id_cache_is_re_resolved_after_404(sim, client):
    assert client.query_power_state("node3") is PowerState.ON
    old = client.system_id("node3")
    sim.set("node3", system_id="new333")  # machine re-added to MAAS under a new id
    assert _fence(client, host="node3").fenced
    assert client.system_id("node3") == "new333" != old
    assert sim.actions()[0]["system_id"] == "new333"


def test_maas_region_down_is_not_fenced(sim, client):
    requests.put(sim.url.replace("/MAAS", "/_sim/unavailable"), json={"unavailable": True}, timeout=5)
    assert not _fence(client).fenced


def test_concurrent_fencing_of_two_hosts(sim, client):
    results = {}
    threads = [threading.Thread(target=lambda h=h: results.__setitem__(h, _fence(client, h)))
               for h in ("node1", "node2")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(r.fenced for r in results.values())
    assert sorted(a["hostname"] for a in sim.actions()) == ["node1", "node2"]


def test_the_key_never_appears_in_logs_or_errors(sim, caplog):
    caplog.set_level(logging.DEBUG)
    good = maas.MaasClient(sim.url, maas.ApiKey.parse(KEY), request_timeout=5)
    bad = maas.MaasClient(sim.url, maas.ApiKey.parse(WRONG_KEY), request_timeout=5)
    texts = [_fence(good).detail, _fence(bad).detail]
    with pytest.raises(maas.MaasAuthError) as info:
        bad.whoami()
    texts.append(str(info.value))
    assert caplog.records, "logging was captured"
    assert_no_secret(caplog.text, *texts)
