"""Scheduler choice, microversion negotiation, latency profiles, fault registry, identity store."""

import pytest

from masakari_ha.simulator.identity import Identity
from masakari_ha.simulator.nova import latency, microversion
from masakari_ha.simulator.nova.faults import FaultInjector, HttpFault
from masakari_ha.simulator.nova.model import DEFAULT_FLAVOR, NovaError
from masakari_ha.simulator.nova.scheduler import Candidate, choose_host


def _c(name, enabled=True, up=True, ram=4096):
    return Candidate(name, enabled, up, 8, ram, 100)


def test_scheduler_prefers_most_free_ram_and_filters():
    cands = [_c("a", ram=1000), _c("b", ram=9000), _c("c", enabled=False, ram=99999),
             _c("d", up=False, ram=99999), _c("src", ram=99999)]
    assert choose_host(cands, DEFAULT_FLAVOR, exclude="src") == "b"
    assert choose_host(cands, DEFAULT_FLAVOR, exclude="src", requested="a") == "a"
    assert choose_host(cands, DEFAULT_FLAVOR, exclude="src", requested="c") is None
    assert choose_host([_c("a", ram=100)], DEFAULT_FLAVOR, exclude="x") is None


def test_scheduler_tie_broken_by_name():
    assert choose_host([_c("z"), _c("m")], DEFAULT_FLAVOR, exclude="x") == "m"


@pytest.mark.parametrize("headers,expected", [
    ({}, (2, 1)),
    ({"OpenStack-API-Version": "compute 2.53"}, (2, 53)),
    ({"X-OpenStack-Nova-API-Version": "2.11"}, (2, 11)),
    ({"OpenStack-API-Version": "compute latest"}, (2, 96)),
    ({"OpenStack-API-Version": "volume 3.0, compute 2.95"}, (2, 95)),
    ({"OpenStack-API-Version": "compute 2.60", "X-OpenStack-Nova-API-Version": "2.1"}, (2, 60)),
])
def test_microversion_negotiation(headers, expected):
    assert microversion.negotiate(headers) == expected


@pytest.mark.parametrize("value,code", [("2.97", 406), ("3.0", 406), ("2.0", 406),
                                        ("two", 400), ("2.", 400)])
def test_microversion_errors(value, code):
    with pytest.raises(NovaError) as err:
        microversion.negotiate({"OpenStack-API-Version": f"compute {value}"})
    assert err.value.code == code


def test_latency_profiles_and_validation():
    real = latency.profile("realistic")
    assert 0.8 * 4.5 <= real.duration("evacuate") <= 1.2 * 4.5
    fast = latency.profile("fast")
    assert fast.duration("stop") == fast.stop
    assert fast.call_delay("servers.get") == 0.0
    custom = latency.LatencyProfile(api_delay=0.1, per_call={"action:evacuate": 0.5})
    assert (custom.call_delay("servers.get"), custom.call_delay("action:evacuate")) == (0.1, 0.5)
    with pytest.raises(ValueError):
        latency.profile("glacial")
    with pytest.raises(ValueError):
        latency.LatencyProfile(stop=-1)
    with pytest.raises(ValueError):
        latency.LatencyProfile.from_dict({"bogus": 1})
    assert latency.LatencyProfile.from_dict(real.to_dict()).evacuate == 4.5


def test_http_faults_match_and_expire():
    faults = FaultInjector()
    faults.add_http_fault(HttpFault(call="action:evacuate", instance="u1", times=2))
    assert faults.http_fault("action:evacuate", "u2") is None
    assert faults.http_fault("servers.get", "u1") is None
    assert faults.http_fault("action:evacuate", "u1").status == 500
    assert faults.http_fault("action:evacuate", "u1") is not None
    assert faults.http_fault("action:evacuate", "u1") is None
    faults.add_http_fault(HttpFault(call="*", status=None, delay=2.0))
    assert faults.http_fault("anything").delay == 2.0
    faults.clear()
    assert faults.describe() == {"http": [], "evacuate_failures": []}
    with pytest.raises(ValueError):
        HttpFault(call="*", status=200)


def test_identity_tokens():
    identity = Identity(token_ttl=60)
    admin = identity.find_user(name="admin")
    token = identity.issue(admin, identity.projects["admin"], ["password"])
    assert identity.validate(token.id) is token and token.is_admin
    demo = identity.issue(identity.find_user(name="demo"), identity.projects["demo"],
                          ["password"])
    assert not demo.is_admin and demo.roles == ["member", "reader"]
    identity.expire_all()
    assert identity.validate(token.id) is None
    assert identity.validate(None) is None
    assert not identity.revoke("nope")
