"""The MAAS emulator's world and OAuth checking, without HTTP."""

import re

import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC, SIGNATURE_PLAINTEXT, Client

from masakari_ha.simulator.maas import auth
from masakari_ha.simulator.maas.state import MaasWorld, SimError
from tests.unit.fencing.fakes import ManualClock


def _world(**fields):
    clock = ManualClock()
    world = MaasWorld(clock=clock)
    world.add("node1", off_delay=3, on_delay=2, query_latency=0, **fields)
    return world, clock


def test_power_off_takes_the_delay_and_is_recorded():
    world, clock = _world()
    machine = world.by_hostname("node1")
    status, body, result = world.power_off(machine, "hard", "masakari_ha fencing: n-1", "fencer")
    assert (status, result) == (200, "accepted") and body["system_id"] == machine.system_id
    assert world.query_power_state(machine) == (200, {"state": "on"})
    clock.now += 3
    assert world.query_power_state(machine) == (200, {"state": "off"})
    [record] = world.actions("node1")
    assert record["op"] == "power_off" and record["stop_mode"] == "hard"
    assert record["comment"] == "masakari_ha fencing: n-1" and record["system_id"] == machine.system_id
    assert record["state_before"] == "on" and record["ts"]


def test_already_off_answers_null():
    world, _ = _world(power_state="off")
    status, body, result = world.power_off(world.by_hostname("node1"), "hard", "", "u")
    assert (status, body) == (200, None) and "already off" in result


@pytest.mark.parametrize("fault,expected", [("unknown", (200, {"state": "unknown"})),
                                            ("error", (200, {"state": "error"}))])
def test_query_faults(fault, expected):
    world, _ = _world(query_fault=fault)
    assert world.query_power_state(world.by_hostname("node1")) == expected


def test_query_503():
    world, _ = _world(query_fault="503")
    status, body = world.query_power_state(world.by_hostname("node1"))
    assert status == 503 and "BMC" in body


@pytest.mark.parametrize("fault", ["503", "409", "403"])
def test_power_off_faults_answer_that_status_and_do_nothing(fault):
    world, clock = _world(power_off_fault=fault)
    machine = world.by_hostname("node1")
    assert world.power_off(machine, "hard", "", "u")[0] == int(fault)
    clock.now += 10
    assert world.query_power_state(machine) == (200, {"state": "on"})
    assert world.actions()[0]["result"] == f"rejected {fault}"


def test_ignored_power_off_never_turns_off():
    world, clock = _world(power_off_fault="ignore")
    machine = world.by_hostname("node1")
    assert world.power_off(machine, "hard", "", "u")[0] == 200
    clock.now += 100
    assert world.query_power_state(machine)[1]["state"] == "on"


def test_update_validation_and_system_id_change():
    world, _ = _world()
    with pytest.raises(SimError, match="power_state"):
        world.update("node1", power_state="sideways")
    with pytest.raises(SimError, match="query_fault"):
        world.update("node1", query_fault="boom")
    with pytest.raises(SimError, match="unknown machine field"):
        world.update("node1", colour="red")
    with pytest.raises(SimError, match="number"):
        world.update("node1", off_delay="slow")
    world.update("node1", system_id="zzz999")
    assert world.by_system_id("zzz999").hostname == "node1"
    with pytest.raises(SimError) as info:
        world.by_hostname("node9")
    assert info.value.status == 404
    with pytest.raises(SimError):
        world.add("node1")


def _header(key="ck:tk:ts", method=SIGNATURE_PLAINTEXT, secret=None):
    ck, tk, ts = key.split(":")
    client = Client(ck, client_secret="", resource_owner_key=tk,
                    resource_owner_secret=secret or ts, signature_method=method)
    _, headers, _ = client.sign("http://m/MAAS/api/2.0/machines/")
    return headers["Authorization"]


def test_verifier_accepts_the_right_key_once_per_nonce():
    verifier = auth.PlaintextVerifier([auth.Credential.parse("ck:tk:ts")])
    header = _header()
    assert verifier.verify(header).username == "fencer"
    with pytest.raises(auth.AuthFailure, match="nonce"):
        verifier.verify(header)


@pytest.mark.parametrize("header,message", [
    (None, "no OAuth"),
    ("Basic abc", "no OAuth"),
    ("OAuth oauth_consumer_key=\"ck\"", "missing"),
])
def test_verifier_rejects_missing_or_partial_headers(header, message):
    verifier = auth.PlaintextVerifier([auth.Credential.parse("ck:tk:ts")])
    with pytest.raises(auth.AuthFailure, match=message):
        verifier.verify(header)


def test_verifier_rejects_wrong_parts_and_methods():
    verifier = auth.PlaintextVerifier([auth.Credential.parse("ck:tk:ts")])
    with pytest.raises(auth.AuthFailure, match="Invalid signature"):
        verifier.verify(_header(secret="wrong"))
    with pytest.raises(auth.AuthFailure, match="Invalid access token"):
        verifier.verify(_header("ck:other:ts"))
    with pytest.raises(auth.AuthFailure, match="Invalid consumer"):
        verifier.verify(_header("xx:tk:ts"))
    with pytest.raises(auth.AuthFailure, match="PLAINTEXT"):
        verifier.verify(_header(method=SIGNATURE_HMAC))


def test_verifier_rejects_stale_timestamps():
    verifier = auth.PlaintextVerifier([auth.Credential.parse("ck:tk:ts")])
    header = _header()
    stamp = re.search(r'oauth_timestamp="(\d+)"', header).group(1)
    stale = header.replace(f'oauth_timestamp="{stamp}"', f'oauth_timestamp="{int(stamp) - 3600}"')
    assert stale != header
    with pytest.raises(auth.AuthFailure, match="expired"):
        verifier.verify(stale)
