"""The v1 API contract over real HTTP against a real ``masakari-ha-api`` process, on SQLite,
PostgreSQL and MariaDB, with 1 and with 4 gunicorn workers (module-scoped ``api`` fixture,
parametrized in conftest.API_MATRIX), including the duplicate-notification race.

Each module instance shares one scratch database, so every test uses unique names.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

V = "OpenStack-API-Version"


class Client:
    """Small JSON client with a keep-alive session; ``version`` sets the microversion header."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.http = requests.Session()

    def call(self, method: str, path: str, body=None, *, version: str | None = None, data=None,
             headers: dict | None = None, params=None) -> requests.Response:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if version:
            hdrs[V] = f"instance-ha {version}"
        return self.http.request(method, self.base + path, json=body, data=data, headers=hdrs,
                                 params=params, timeout=30)

    def create_segment(self, name=None, **extra) -> dict:
        body = {"segment": {"name": name or unique("seg"), "recovery_method": "auto",
                            "service_type": "COMPUTE", **extra}}
        resp = self.call("POST", "/v1/segments", body, version="1.2")
        assert resp.status_code == 201, resp.text
        return resp.json()["segment"]

    def create_host(self, segment_uuid: str, name=None, **extra) -> dict:
        body = {"host": {"name": name or unique("host"), "type": "COMPUTE", "control_attributes": "SSH",
                         **extra}}
        resp = self.call("POST", f"/v1/segments/{segment_uuid}/hosts", body)
        assert resp.status_code == 201, resp.text
        return resp.json()["host"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def notification(hostname: str, ntype="COMPUTE_HOST", generated_time="2026-11-21T01:00:00.000000",
                 payload=None) -> dict:
    if payload is None:
        payload = ({"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}
                   if ntype == "COMPUTE_HOST" else
                   {"instance_uuid": str(uuid.uuid4()), "vir_domain_event": "STOPPED_FAILED",
                    "event": "LIFECYCLE"} if ntype == "VM" else
                   {"process_name": "nova-compute", "event": "STOPPED"})
    return {"notification": {"type": ntype, "hostname": hostname, "generated_time": generated_time,
                             "payload": payload}}


def assert_fault(resp: requests.Response, code: int, fault: str | None = None) -> str:
    assert resp.status_code == code, f"expected {code}, got {resp.status_code}: {resp.text}"
    body = resp.json()
    (name, detail), = body.items()
    if fault:
        assert name == fault, body
    assert detail["code"] == code and detail["message"], body
    return detail["message"]


@pytest.fixture
def client(api) -> Client:
    return Client(api.base_url)


# ------------------------------------------------------------------ process and plumbing

def test_runs_the_configured_number_of_workers(api):
    pids = api.worker_pids()
    assert len(pids) == api.workers, f"expected {api.workers} worker processes, found {pids}"


def test_versions_root_and_request_id(client):
    resp = client.call("GET", "/")
    assert resp.status_code == 200
    (version,) = resp.json()["versions"]
    assert version["version"] == "1.3" and version["min_version"] == "1.0"
    assert resp.headers["X-OpenStack-Request-ID"].startswith("req-")


def test_healthcheck_checks_the_database(client):
    resp = client.call("GET", "/healthcheck")
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("header,status,answered", [
    (None, 200, "masakari 1.0"),
    ("instance-ha 1.1", 200, "masakari 1.1"),
    ("instance-ha 1.3", 200, "masakari 1.3"),
    ("instance-ha latest", 200, "masakari 1.3"),
    ("instance-ha 1.4", 406, None),
    ("instance-ha 2.0", 406, None),
    ("instance-ha one.two", 400, None),
])
def test_microversion_negotiation(client, header, status, answered):
    headers = {V: header} if header else {}
    resp = client.call("GET", "/v1/segments", headers=headers)
    assert resp.status_code == status, resp.text
    if answered:
        assert resp.headers[V] == answered
        assert "OpenStack-API-Version" in resp.headers.get("Vary", "")
    else:
        assert_fault(resp, status)


# ------------------------------------------------------------------ segments

def test_segment_lifecycle(client):
    name = unique("seg")
    seg = client.create_segment(name, description="first")
    assert seg["name"] == name and seg["recovery_method"] == "auto" and seg["service_type"] == "COMPUTE"
    assert seg["enabled"] is True and isinstance(seg["id"], int) and seg["deleted"] is False
    uuid.UUID(seg["uuid"])

    shown = client.call("GET", f"/v1/segments/{seg['uuid']}")
    assert shown.status_code == 200 and shown.json()["segment"]["uuid"] == seg["uuid"]

    listed = client.call("GET", "/v1/segments").json()["segments"]
    assert seg["uuid"] in [s["uuid"] for s in listed]

    upd = client.call("PUT", f"/v1/segments/{seg['uuid']}",
                      {"segment": {"name": name + "-x", "recovery_method": "reserved_host"}})
    assert upd.status_code == 200, upd.text
    assert upd.json()["segment"]["name"] == name + "-x"
    assert upd.json()["segment"]["recovery_method"] == "reserved_host"

    assert client.call("DELETE", f"/v1/segments/{seg['uuid']}").status_code == 204
    assert_fault(client.call("GET", f"/v1/segments/{seg['uuid']}"), 404, "itemNotFound")
    # the name is free again after a soft delete
    client.create_segment(name + "-x")


def test_segment_name_conflict_and_unknown_ids(client):
    seg = client.create_segment()
    dup = client.call("POST", "/v1/segments", {"segment": {"name": seg["name"], "recovery_method": "auto",
                                                          "service_type": "COMPUTE"}})
    assert_fault(dup, 409, "conflictingRequest")
    assert_fault(client.call("GET", f"/v1/segments/{uuid.uuid4()}"), 404)
    assert_fault(client.call("GET", "/v1/segments/not-a-uuid"), 404)
    assert_fault(client.call("PUT", f"/v1/segments/{uuid.uuid4()}", {"segment": {"name": "x"}}), 404)
    assert_fault(client.call("DELETE", f"/v1/segments/{uuid.uuid4()}"), 404)


@pytest.mark.parametrize("body,version", [
    ({"segment": {"recovery_method": "auto", "service_type": "COMPUTE"}}, None),          # no name
    ({"segment": {"name": "a", "recovery_method": "bogus", "service_type": "COMPUTE"}}, None),
    ({"segment": {"name": "a", "recovery_method": "auto", "service_type": "COMPUTE", "x": 1}}, None),
    ({"segment": {"name": " lead", "recovery_method": "auto", "service_type": "COMPUTE"}}, None),
    ({"segment": {"name": "a" * 256, "recovery_method": "auto", "service_type": "COMPUTE"}}, None),
    ({"segment": {"name": "a", "recovery_method": "auto", "service_type": "COMPUTE", "enabled": False}}, "1.0"),
    ({"segment": {"name": "a", "recovery_method": "auto", "service_type": "COMPUTE", "enabled": "maybe"}}, "1.2"),
    ({"segment": "not an object"}, None),
    ({}, None),
])
def test_segment_create_validation(client, body, version):
    assert_fault(client.call("POST", "/v1/segments", body, version=version), 400, "badRequest")


def test_segment_enabled_flag_from_1_2(client):
    seg = client.create_segment(enabled="False")
    assert seg["enabled"] is False
    listed = client.call("GET", "/v1/segments", params={"enabled": "false"}, version="1.2").json()["segments"]
    assert seg["uuid"] in [s["uuid"] for s in listed]
    assert all(s["enabled"] is False for s in listed)
    upd = client.call("PUT", f"/v1/segments/{seg['uuid']}", {"segment": {"enabled": True}}, version="1.2")
    assert upd.status_code == 200 and upd.json()["segment"]["enabled"] is True
    assert_fault(client.call("PUT", f"/v1/segments/{seg['uuid']}", {"segment": {}}), 400)


# ------------------------------------------------------------------ malformed requests

def test_malformed_requests_get_4xx_never_500(client):
    assert_fault(client.call("POST", "/v1/segments", data=b"{not json"), 400)
    assert_fault(client.call("POST", "/v1/segments", data=b'{"segment": {"name": "\xff\xfe"}}'), 400)
    for params in ({"limit": "abc"}, {"limit": "-1"}, {"sort_dir": "sideways"}, {"sort_key": "no_such_column"},
                   {"marker": str(uuid.uuid4())}):
        assert_fault(client.call("GET", "/v1/segments", params=params), 400)
    assert_fault(client.call("PATCH", "/v1/segments"), 405)


def test_oversize_body_gets_413_not_a_connection_reset(client):
    """A body over max_request_body_size must come back as a 413 fault. Failing here with
    'RemoteDisconnected'/'Connection aborted' means the server answered without reading the body
    and closed the socket with unread data, so the kernel sent a RST that destroyed the 413 before
    the client could read it (seen intermittently under load with gunicorn workers)."""
    big = b'{"segment": {"name": "a", "description": "' + b"x" * 200_000 + b'"}}'
    for _ in range(5):
        assert_fault(client.call("POST", "/v1/segments", data=big), 413)


# ------------------------------------------------------------------ list parameters

def test_list_limit_marker_sort(client):
    service_type = unique("ST")
    names = [f"{service_type}-{i}" for i in range(5)]
    made = [client.create_segment(n, service_type=service_type) for n in names]
    base = {"service_type": service_type, "sort_key": "name", "sort_dir": "asc"}
    page = client.call("GET", "/v1/segments", params={**base, "limit": 2}).json()["segments"]
    assert [s["name"] for s in page] == names[:2]
    # marker by UUID (ours) and by integer id (upstream's) give the same next page
    by_uuid = client.call("GET", "/v1/segments", params={**base, "limit": 2, "marker": page[-1]["uuid"]})
    by_id = client.call("GET", "/v1/segments", params={**base, "limit": 2, "marker": page[-1]["id"]})
    assert [s["name"] for s in by_uuid.json()["segments"]] == names[2:4]
    assert by_id.json()["segments"] == by_uuid.json()["segments"]
    desc = client.call("GET", "/v1/segments", params={**base, "sort_dir": "desc"}).json()["segments"]
    assert [s["name"] for s in desc] == names[::-1]
    assert client.call("GET", "/v1/segments", params={**base, "limit": 0}).json()["segments"] == []
    assert {s["uuid"] for s in made} == {s["uuid"] for s in desc}


# ------------------------------------------------------------------ hosts

def test_host_lifecycle_and_filters(client):
    seg = client.create_segment()
    host = client.create_host(seg["uuid"], reserved="True")   # the CLI sends strings
    assert host["reserved"] is True and host["on_maintenance"] is False
    assert host["failover_segment_id"] == seg["uuid"] and host["type"] == "COMPUTE"
    assert host["failover_segment"]["uuid"] == seg["uuid"]
    other = client.create_host(seg["uuid"], control_attributes="IPMI")
    path = f"/v1/segments/{seg['uuid']}/hosts"

    def names(**params):
        resp = client.call("GET", path, params=params)
        assert resp.status_code == 200, resp.text
        return sorted(h["name"] for h in resp.json()["hosts"])

    assert names() == sorted([host["name"], other["name"]])
    assert names(reserved="true") == [host["name"]]
    assert names(reserved="false") == [other["name"]]
    assert names(name=other["name"]) == [other["name"]]
    assert names(control_attributes="IPMI") == [other["name"]]
    assert_fault(client.call("GET", path, params={"on_maintenance": "perhaps"}), 400)

    shown = client.call("GET", f"{path}/{host['uuid']}")
    assert shown.status_code == 200 and shown.json()["host"]["name"] == host["name"]
    upd = client.call("PUT", f"{path}/{host['uuid']}", {"host": {"on_maintenance": True, "reserved": False}})
    assert upd.status_code == 200, upd.text
    assert upd.json()["host"]["on_maintenance"] is True and upd.json()["host"]["reserved"] is False
    assert client.call("DELETE", f"{path}/{host['uuid']}").status_code == 204
    assert_fault(client.call("GET", f"{path}/{host['uuid']}"), 404)
    # a host of one segment is not visible under another
    seg2 = client.create_segment()
    assert_fault(client.call("GET", f"/v1/segments/{seg2['uuid']}/hosts/{other['uuid']}"), 404)
    # deleting the segment soft-deletes its hosts
    assert client.call("DELETE", f"/v1/segments/{seg['uuid']}").status_code == 204
    assert_fault(client.call("GET", path), 404)


def test_host_name_is_unique_across_segments(client):
    seg1, seg2 = client.create_segment(), client.create_segment()
    host = client.create_host(seg1["uuid"])
    dup = client.call("POST", f"/v1/segments/{seg2['uuid']}/hosts",
                      {"host": {"name": host["name"], "type": "COMPUTE", "control_attributes": "SSH"}})
    assert_fault(dup, 409)
    bad = client.call("POST", f"/v1/segments/{seg2['uuid']}/hosts",
                      {"host": {"name": unique("h"), "type": "COMP UTE", "control_attributes": "SSH"}})
    assert_fault(bad, 400)
    missing = client.call("POST", f"/v1/segments/{uuid.uuid4()}/hosts",
                          {"host": {"name": unique("h"), "type": "COMPUTE", "control_attributes": "SSH"}})
    assert_fault(missing, 404)


# ------------------------------------------------------------------ notifications

def test_notification_rules(client):
    seg = client.create_segment()
    host = client.create_host(seg["uuid"])
    assert_fault(client.call("POST", "/v1/notifications", notification(unique("nohost"))), 400)

    resp = client.call("POST", "/v1/notifications", notification(host["name"]))
    assert resp.status_code == 202, resp.text
    n = resp.json()["notification"]
    assert n["status"] == "new" and n["source_host_uuid"] == host["uuid"] and n["type"] == "COMPUTE_HOST"
    assert n["payload"]["event"] == "STOPPED"

    # identical again within the detection interval -> 409 duplicate
    assert_fault(client.call("POST", "/v1/notifications", notification(host["name"])), 409)
    # a different payload is not a duplicate
    other = notification(host["name"], payload={"event": "STARTED", "host_status": "NORMAL",
                                                "cluster_status": "ONLINE"})
    assert client.call("POST", "/v1/notifications", other).status_code == 202

    shown = client.call("GET", f"/v1/notifications/{n['notification_uuid']}", version="1.1")
    assert shown.status_code == 200
    assert isinstance(shown.json()["notification"]["recovery_workflow_details"], list)
    old = client.call("GET", f"/v1/notifications/{n['notification_uuid']}", version="1.0")
    assert "recovery_workflow_details" not in old.json()["notification"]

    listed = client.call("GET", "/v1/notifications", params={"source_host_uuid": host["uuid"]})
    assert len(listed.json()["notifications"]) == 2
    assert_fault(client.call("GET", "/v1/notifications", params={"generated-since": "yesterday"}), 400)
    assert_fault(client.call("PUT", f"/v1/notifications/{n['notification_uuid']}", {}), 405)
    assert_fault(client.call("GET", f"/v1/notifications/{uuid.uuid4()}"), 404)

    # segment under recovery: a 'new' notification blocks updating/deleting the segment and its hosts
    assert_fault(client.call("PUT", f"/v1/segments/{seg['uuid']}", {"segment": {"description": "x"}}), 409)
    assert_fault(client.call("DELETE", f"/v1/segments/{seg['uuid']}/hosts/{host['uuid']}"), 409)

    # vmoves (1.3): a host notification has a (still empty) list; other types are refused
    vm = client.call("GET", f"/v1/notifications/{n['notification_uuid']}/vmoves", version="1.3")
    assert vm.status_code == 200 and vm.json()["vmoves"] == []


def test_notification_from_host_on_maintenance_and_payload_validation(client):
    seg = client.create_segment()
    host = client.create_host(seg["uuid"], on_maintenance=True)
    assert_fault(client.call("POST", "/v1/notifications", notification(host["name"])), 409)
    seg2 = client.create_segment()
    ok_host = client.create_host(seg2["uuid"])
    for bad in (notification(ok_host["name"], payload={"event": "EXPLODED"}),
                notification(ok_host["name"], ntype="REBOOT"),
                notification(ok_host["name"], generated_time="not a time"),
                notification(ok_host["name"], ntype="VM", payload={"instance_uuid": "nope",
                                                                    "vir_domain_event": "x", "event": "y"})):
        assert_fault(client.call("POST", "/v1/notifications", bad), 400)
    vm = client.call("POST", "/v1/notifications", notification(ok_host["name"], ntype="VM"))
    assert vm.status_code == 202, vm.text
    vmoves = client.call("GET", f"/v1/notifications/{vm.json()['notification']['notification_uuid']}/vmoves",
                         version="1.3")
    assert_fault(vmoves, 400)


def test_duplicate_race_exactly_one_accepted(api, client):
    """50 identical notifications at once, across all workers: exactly one 202, 49 409s."""
    seg = client.create_segment()
    host = client.create_host(seg["uuid"])
    body = notification(host["name"], generated_time="2026-11-21T02:00:00.000000")
    start = threading.Barrier(50)

    def post(_):
        start.wait(timeout=30)
        return requests.post(api.base_url + "/v1/notifications", json=body, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(post, range(50)))
    assert sorted(codes) == [202] + [409] * 49, f"status codes: {sorted(codes)}"
    listed = client.call("GET", "/v1/notifications", params={"source_host_uuid": host["uuid"]})
    assert len(listed.json()["notifications"]) == 1
