"""keystonemiddleware against the real Keystone: every /v1 route x {no token, member, reader,
service, admin} (plus a project-scoped reader) gets exactly the status the policy-in-code
defaults promise (masakari_ha/api/policies.py):

* no token → 401 everywhere under /v1;
* admin (role admin) → allowed everywhere;
* reader (role reader, system scope "all") → may read, nothing else;
* service (role service) → may create notifications, nothing else;
* member, and a project-scoped reader → 403 on every resource route.

Allowed calls run on real resources so they return their real success code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import requests

from tests.integration import harness

READ, ADMIN, NOTIFY, ANY = "read", "admin", "notify", "any"

ALLOWED = {
    "admin": {READ, ADMIN, NOTIFY, ANY},
    "reader": {READ, ANY},
    "service": {NOTIFY, ANY},
    "member": {ANY},
    "project-reader": {ANY},
}


@dataclass
class Route:
    method: str
    path: str          # str.format() template over the resources dict
    rule: str
    ok: int            # status when allowed
    body: object = None
    version: str | None = None


ROUTES = [
    Route("GET", "/v1/", ANY, 200),
    Route("GET", "/v1/extensions", READ, 200),
    Route("GET", "/v1/extensions/segments", READ, 200),
    Route("GET", "/v1/segments", READ, 200),
    Route("GET", "/v1/segments/{seg}", READ, 200),
    Route("POST", "/v1/segments", ADMIN, 201,
          lambda r: {"segment": {"name": "s-" + uuid.uuid4().hex[:8], "recovery_method": "auto",
                                 "service_type": "COMPUTE"}}),
    Route("PUT", "/v1/segments/{scratch_seg}", ADMIN, 200, lambda r: {"segment": {"description": "changed"}}),
    Route("GET", "/v1/segments/{seg}/hosts", READ, 200),
    Route("GET", "/v1/segments/{seg}/hosts/{host}", READ, 200),
    Route("POST", "/v1/segments/{scratch_seg}/hosts", ADMIN, 201,
          lambda r: {"host": {"name": "h-" + uuid.uuid4().hex[:8], "type": "COMPUTE",
                              "control_attributes": "SSH"}}),
    Route("PUT", "/v1/segments/{scratch_seg}/hosts/{scratch_host}", ADMIN, 200,
          lambda r: {"host": {"reserved": True}}),
    Route("DELETE", "/v1/segments/{scratch_seg}/hosts/{scratch_host}", ADMIN, 204),
    Route("DELETE", "/v1/segments/{scratch_seg}", ADMIN, 204),
    Route("GET", "/v1/notifications", READ, 200),
    Route("GET", "/v1/notifications/{notification}", READ, 200, version="1.1"),
    Route("POST", "/v1/notifications", NOTIFY, 202,
          lambda r: {"notification": {"type": "VM", "hostname": r["host_name"],
                                      "generated_time": "2026-11-21T03:00:00",
                                      "payload": {"instance_uuid": str(uuid.uuid4()),
                                                  "vir_domain_event": "STOPPED_FAILED", "event": "LIFECYCLE"}}}),
    Route("GET", "/v1/notifications/{notification}/vmoves", READ, 200, version="1.3"),
    # no vmove exists yet (the engine writes them): allowed callers reach the lookup → 404
    Route("GET", "/v1/notifications/{notification}/vmoves/{missing}", READ, 404, version="1.3"),
]


class Api:
    def __init__(self, base: str, token: str | None):
        self.base, self.token = base, token
        self.http = requests.Session()

    def call(self, method, path, body=None, version=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["X-Auth-Token"] = self.token
        if version:
            headers["OpenStack-API-Version"] = f"instance-ha {version}"
        return self.http.request(method, self.base + path, json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def admin_api(keystone_api):
    return Api(keystone_api.base_url, harness.persona_token(keystone_api.auth_url, "admin"))


@pytest.fixture(scope="module")
def resources(admin_api):
    """A segment with a host and a COMPUTE_HOST notification, made by the admin."""
    seg = admin_api.call("POST", "/v1/segments", {"segment": {"name": "policy-" + uuid.uuid4().hex[:8],
                                                            "recovery_method": "auto",
                                                            "service_type": "COMPUTE"}})
    assert seg.status_code == 201, seg.text
    seg = seg.json()["segment"]
    host = admin_api.call("POST", f"/v1/segments/{seg['uuid']}/hosts",
                          {"host": {"name": "policy-host-" + uuid.uuid4().hex[:6], "type": "COMPUTE",
                                    "control_attributes": "SSH"}}).json()["host"]
    n = admin_api.call("POST", "/v1/notifications", {"notification": {
        "type": "COMPUTE_HOST", "hostname": host["name"], "generated_time": "2026-11-21T01:00:00",
        "payload": {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}}})
    assert n.status_code == 202, n.text
    return {"seg": seg["uuid"], "host": host["uuid"], "host_name": host["name"],
            "notification": n.json()["notification"]["notification_uuid"], "missing": str(uuid.uuid4())}


def _scratch(admin_api) -> dict:
    """A segment + host nobody sent notifications for (so it may be updated and deleted)."""
    seg = admin_api.call("POST", "/v1/segments", {"segment": {"name": "scratch-" + uuid.uuid4().hex[:8],
                                                            "recovery_method": "auto",
                                                            "service_type": "COMPUTE"}}).json()["segment"]
    host = admin_api.call("POST", f"/v1/segments/{seg['uuid']}/hosts",
                          {"host": {"name": "scratch-h-" + uuid.uuid4().hex[:6], "type": "COMPUTE",
                                    "control_attributes": "SSH"}}).json()["host"]
    return {"scratch_seg": seg["uuid"], "scratch_host": host["uuid"]}


def test_no_token_is_401_everywhere(keystone_api, resources, admin_api):
    anonymous = Api(keystone_api.base_url, None)
    values = {**resources, **_scratch(admin_api)}
    got = {f"{r.method} {r.path}": anonymous.call(r.method, r.path.format(**values),
                                                  r.body(values) if r.body else None, r.version).status_code
           for r in ROUTES}
    assert got == {key: 401 for key in got}
    bad = Api(keystone_api.base_url, "gAAAAA-not-a-token").call("GET", "/v1/segments")
    assert bad.status_code == 401
    assert "WWW-Authenticate" in bad.headers


@pytest.mark.parametrize("persona", ["admin", "reader", "service", "member", "project-reader"])
def test_route_matrix(keystone_api, resources, admin_api, persona):
    token = admin_api.token if persona == "admin" else harness.persona_token(keystone_api.auth_url, persona)
    caller = Api(keystone_api.base_url, token)
    values = {**resources, **_scratch(admin_api)}
    mismatches = []
    for route in ROUTES:
        allowed = route.rule in ALLOWED[persona]
        want = route.ok if allowed else 403
        resp = caller.call(route.method, route.path.format(**values),
                           route.body(values) if route.body else None, route.version)
        if resp.status_code != want:
            mismatches.append(f"{route.method} {route.path}: want {want}, got {resp.status_code} {resp.text[:200]}")
        elif want == 403:
            (fault,) = resp.json()
            assert fault == "forbidden", resp.text
    assert not mismatches, f"persona {persona}:\n" + "\n".join(mismatches)
