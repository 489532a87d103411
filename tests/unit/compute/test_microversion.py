"""Microversion parsing, negotiation and the capabilities each version implies."""

from __future__ import annotations

import pytest

from masakari_ha.compute import exceptions as exc
from masakari_ha.compute.microversion import (
    MAX_TESTED_MICROVERSION,
    MIN_MICROVERSION,
    Capabilities,
    Microversion,
    negotiate,
    parse_version_document,
)

V = Microversion.parse


def test_parse_and_order():
    assert V("2.9") < V("2.10") < V("2.53") < V("3.0")
    assert str(V(" 2.95 ")) == "2.95"
    assert V("2.53") == Microversion(2, 53)
    for bad in ("2", "latest", "2.x", "", "v2.1"):
        with pytest.raises(ValueError):
            V(bad)


@pytest.mark.parametrize("server_min,server_max,cap,expected", [
    ("2.1", "2.93", "2.96", "2.93"),   # Zed: server max wins
    ("2.1", "2.100", "2.96", "2.96"),  # newer Nova: our tested cap wins
    ("2.1", "2.96", "2.60", "2.60"),   # operator lowered the cap
    ("2.1", "2.53", "2.96", "2.53"),   # Pike: the floor itself
])
def test_negotiate(server_min, server_max, cap, expected):
    assert negotiate(V(server_min), V(server_max), V(cap)) == V(expected)


@pytest.mark.parametrize("server_min,server_max,cap", [
    ("2.1", "2.52", "2.96"),  # too old
    ("2.1", "2.96", "2.50"),  # cap below our floor
    ("2.97", "2.99", "2.96"),  # server raised its minimum above our cap
])
def test_negotiate_refuses(server_min, server_max, cap):
    with pytest.raises(exc.NovaUnsupported, match=server_max):
        negotiate(V(server_min), V(server_max), V(cap))


def test_defaults():
    assert MIN_MICROVERSION == V("2.53")
    assert MAX_TESTED_MICROVERSION >= V("2.95")


@pytest.mark.parametrize("version,force_down,lock_reason,stopped,stats", [
    ("2.53", True, False, False, "2.53"),
    ("2.72", True, False, False, "2.72"),
    ("2.73", True, True, False, "2.73"),
    ("2.87", True, True, False, "2.87"),
    ("2.88", True, True, False, "2.87"),
    ("2.94", True, True, False, "2.87"),
    ("2.95", True, True, True, "2.87"),
    ("2.96", True, True, True, "2.87"),
])
def test_capabilities(version, force_down, lock_reason, stopped, stats):
    caps = Capabilities(V(version))
    assert caps.force_down is force_down
    assert caps.service_by_id is True
    assert caps.lock_reason is lock_reason
    assert caps.evacuate_leaves_stopped is stopped
    assert caps.hypervisor_stats_version == V(stats)


def test_capabilities_below_floor_are_explicit():
    assert Capabilities(V("2.10")).force_down is False
    assert Capabilities(V("2.11")).force_down is True
    assert Capabilities(V("2.52")).service_by_id is False


def test_parse_versioned_document():
    body = {"version": {"id": "v2.1", "status": "CURRENT", "version": "2.93", "min_version": "2.1"}}
    assert parse_version_document(body) == (V("2.1"), V("2.93"))


def test_parse_root_document_prefers_v21():
    body = {"versions": [
        {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": ""},
        {"id": "v2.1", "status": "CURRENT", "version": "2.96", "min_version": "2.1"},
    ]}
    assert parse_version_document(body) == (V("2.1"), V("2.96"))


@pytest.mark.parametrize("body", [
    None, [], {}, {"version": {"id": "v2.0", "version": "", "min_version": ""}},
    {"versions": [{"id": "v2.0", "version": ""}]}, {"version": {"version": "latest"}}, {"versions": "x"},
])
def test_parse_without_range(body):
    assert parse_version_document(body) is None
