"""Every route x {no token, member, project reader, system reader, service, admin}.

"no token" goes through the real keystonemiddleware auth_token (it rejects a request
without a token before talking to any Keystone). The other personas use the app's
keystone-mode context code behind a TEST-ONLY identity middleware that sets the same
headers auth_token sets for a valid token (X-Identity-Status, X-Roles, X-Project-Id,
OpenStack-System-Scope). Real tokens against a real Keystone are the integration suite's.
"""

import uuid

import pytest

from masakari_ha.api import create_app
from masakari_ha.conf import CONF
from tests.functional.api.conftest import Api

PERSONAS = {
    "member": {"roles": "member,reader", "project": "p-member"},
    "project-reader": {"roles": "reader", "project": "p-reader"},
    "system-reader": {"roles": "reader", "system": "all"},
    "service": {"roles": "service", "project": "service"},
    "admin": {"roles": "admin,member,reader", "project": "admin"},
}

_IDENTITY_HEADERS = ("HTTP_X_IDENTITY_STATUS", "HTTP_X_ROLES", "HTTP_X_PROJECT_ID",
                     "HTTP_X_USER_ID", "HTTP_OPENSTACK_SYSTEM_SCOPE")


def test_identity(app):
    """TEST ONLY: what keystonemiddleware's auth_token passes on for a valid token."""

    def middleware(environ, start_response):
        persona = PERSONAS[environ.pop("HTTP_X_TEST_PERSONA")]
        for key in _IDENTITY_HEADERS:  # auth_token strips client-supplied identity headers
            environ.pop(key, None)
        environ["HTTP_X_IDENTITY_STATUS"] = "Confirmed"
        environ["HTTP_X_ROLES"] = persona["roles"]
        environ["HTTP_X_USER_ID"] = "user-" + persona["roles"]
        if "project" in persona:
            environ["HTTP_X_PROJECT_ID"] = persona["project"]
        if "system" in persona:
            environ["HTTP_OPENSTACK_SYSTEM_SCOPE"] = persona["system"]
        return app(environ, start_response)

    return middleware


test_identity.__test__ = False  # a fixture helper, not a test


class PersonaApi(Api):
    def __init__(self, application, persona):
        super().__init__(application)
        self.persona = persona

    def headers(self, version=None, extra=None):
        headers = super().headers(version, extra)
        headers["X-Test-Persona"] = self.persona
        return headers


@pytest.fixture
def keystone_app(api_conf):
    api_conf.set_override("auth_strategy", "keystone")
    return create_app(api_conf, auth_wrapper=test_identity)


@pytest.fixture
def admin(keystone_app):
    return PersonaApi(keystone_app, "admin")


def _fixture_data(admin):
    segment = admin.segment()
    host = admin.host(segment["uuid"])
    notification = admin.notify(host["name"])
    return {"sid": segment["uuid"], "hid": host["uuid"], "nid": notification["notification_uuid"],
            "hname": host["name"]}


def _unique():
    return uuid.uuid4().hex[:10]


# (name, method, path template, body factory, admin status, allowed personas)
READ = {"admin", "system-reader"}
WRITE = {"admin"}
ROUTES = [
    ("versions", "GET", "/v1/", None, 200, set(PERSONAS)),
    ("extensions:index", "GET", "/v1/extensions", None, 200, READ),
    ("extensions:detail", "GET", "/v1/extensions/segments", None, 200, READ),
    ("segments:index", "GET", "/v1/segments", None, 200, READ),
    ("segments:detail", "GET", "/v1/segments/{sid}", None, 200, READ),
    ("segments:create", "POST", "/v1/segments", lambda d: {"segment": {
        "name": _unique(), "recovery_method": "auto", "service_type": "COMPUTE"}}, 201, WRITE),
    ("segments:update", "PUT", "/v1/segments/{sid}",
     lambda d: {"segment": {"description": "x"}}, 200, WRITE),
    ("segments:delete", "DELETE", "/v1/segments/{sid}", None, 204, WRITE),
    ("hosts:index", "GET", "/v1/segments/{sid}/hosts", None, 200, READ),
    ("hosts:detail", "GET", "/v1/segments/{sid}/hosts/{hid}", None, 200, READ),
    ("hosts:create", "POST", "/v1/segments/{sid}/hosts", lambda d: {"host": {
        "name": _unique(), "type": "COMPUTE", "control_attributes": "SSH"}}, 201, WRITE),
    ("hosts:update", "PUT", "/v1/segments/{sid}/hosts/{hid}",
     lambda d: {"host": {"reserved": True}}, 200, WRITE),
    ("hosts:delete", "DELETE", "/v1/segments/{sid}/hosts/{hid}", None, 204, WRITE),
    ("notifications:index", "GET", "/v1/notifications", None, 200, READ),
    ("notifications:detail", "GET", "/v1/notifications/{nid}", None, 200, READ),
    ("notifications:create", "POST", "/v1/notifications", lambda d: {"notification": {
        "type": "PROCESS", "hostname": d["hname"], "generated_time": "2026-11-21T11:00:00",
        "payload": {"process_name": "nova-compute", "event": "STOPPED"}}}, 202,
     {"admin", "service"}),
    ("vmoves:index", "GET", "/v1/notifications/{nid}/vmoves", None, 200, READ),
]


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("name, method, path, body, admin_status, allowed", ROUTES,
                         ids=[route[0] for route in ROUTES])
def test_policy(keystone_app, admin, persona, name, method, path, body, admin_status, allowed):
    data = _fixture_data(admin)
    if method in ("PUT", "DELETE") and name.startswith(("segments", "hosts")):
        # Segment/host writes are refused while a notification is unfinished.
        from tests.functional.api.conftest import set_notification_status

        set_notification_status(data["nid"], "finished")
    client = PersonaApi(keystone_app, persona)
    response = client.request(method, path.format(**data), json=body(data) if body else None)
    if persona in allowed:
        assert response.status_code == admin_status, response.get_data(as_text=True)
    else:
        assert response.status_code == 403, response.get_data(as_text=True)
        action = {"hosts": "os-hosts"}.get(name.split(":")[0], name.split(":")[0])
        assert response.json == {"forbidden": {"code": 403, "message": (
            f"Policy doesn't allow os_masakari_api:{action}:{name.split(':')[1]} "
            "to be performed.")}}


def test_extension_list_shows_only_discoverable(keystone_app, admin):
    listed = admin.get("/v1/extensions").json["extensions"]
    assert {e["alias"] for e in listed} == {"versions", "extensions", "segments", "os-hosts",
                                            "notifications", "vmoves"}
    reader = PersonaApi(keystone_app, "system-reader").get("/v1/extensions").json["extensions"]
    assert reader == listed
    assert admin.get("/v1/extensions/nope").status_code == 404


def test_policy_file_overrides_defaults(api_conf, tmp_path):
    """Operators' policy.yaml wins: hide vmoves, let the service role read notifications."""
    from masakari_ha.api import policy as api_policy

    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"os_masakari_api:vmoves:discoverable": "!"\n'
                           '"os_masakari_api:notifications:index": "role:service"\n')
    api_conf.set_override("auth_strategy", "keystone")
    api_conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    api_policy.reset()
    application = create_app(api_conf, auth_wrapper=test_identity)
    admin = PersonaApi(application, "admin")
    assert "vmoves" not in {e["alias"] for e in admin.get("/v1/extensions").json["extensions"]}
    assert admin.get("/v1/extensions/vmoves").status_code == 404
    assert PersonaApi(application, "service").get("/v1/notifications").status_code == 200
    assert admin.get("/v1/notifications").status_code == 403


def test_policy_file_edit_takes_effect_after_the_recheck_interval(api_conf, tmp_path, monkeypatch):
    """The file is looked at on disk at most once per RULES_RECHECK_SECONDS; every request
    is still checked against the rules loaded then."""
    import os

    from masakari_ha.api import policy as api_policy

    clock = [1000.0]
    monkeypatch.setattr(api_policy.time, "monotonic", lambda: clock[0])
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"os_masakari_api:notifications:index": "role:service"\n')
    api_conf.set_override("auth_strategy", "keystone")
    api_conf.set_override("policy_file", str(policy_file), group="oslo_policy")
    api_policy.reset()
    application = create_app(api_conf, auth_wrapper=test_identity)
    admin = PersonaApi(application, "admin")
    assert admin.get("/v1/notifications").status_code == 403
    policy_file.write_text('"os_masakari_api:notifications:index": "role:admin"\n')
    os.utime(policy_file, (2_000_000_000, 2_000_000_000))   # a new mtime, whatever the clock
    clock[0] += api_policy.RULES_RECHECK_SECONDS / 2
    assert admin.get("/v1/notifications").status_code == 403   # not looked at yet
    clock[0] += api_policy.RULES_RECHECK_SECONDS
    assert admin.get("/v1/notifications").status_code == 200
    assert PersonaApi(application, "service").get("/v1/notifications").status_code == 403


# ---- no token: the real keystonemiddleware ----

@pytest.fixture
def authtoken_app(api_conf):
    api_conf.set_override("auth_strategy", "keystone")
    from keystonemiddleware import auth_token  # noqa: F401  registers [keystone_authtoken]

    api_conf.set_override("www_authenticate_uri", "http://127.0.0.1:15001/v3",
                          group="keystone_authtoken")
    api_conf.set_override("delay_auth_decision", False, group="keystone_authtoken")
    return Api(create_app(api_conf))


@pytest.mark.parametrize("name, method, path, body, admin_status, allowed", ROUTES,
                         ids=[route[0] for route in ROUTES])
def test_no_token_is_401(authtoken_app, name, method, path, body, admin_status, allowed):
    data = {"sid": str(uuid.uuid4()), "hid": str(uuid.uuid4()), "nid": str(uuid.uuid4()),
            "hname": "h"}
    response = authtoken_app.request(method, path.format(**data),
                                     json=body(data) if body else None)
    assert response.status_code == 401
    assert "Keystone uri=" in response.headers.get("WWW-Authenticate", "")
    assert response.headers["X-OpenStack-Request-ID"].startswith("req-")


def test_public_paths_need_no_token(authtoken_app):
    assert authtoken_app.get("/").status_code == 200
    assert authtoken_app.get("/healthcheck").status_code == 200


def test_identity_headers_without_confirmed_status_are_401(api_conf):
    api_conf.set_override("auth_strategy", "keystone")
    # An auth layer that lets an unauthenticated request through (delay_auth_decision).
    application = Api(create_app(api_conf, auth_wrapper=lambda app: app))
    response = application.get("/v1/segments", headers={"X-Roles": "admin"})
    assert response.status_code == 401
    assert response.json["unauthorized"]["code"] == 401


def test_noauth_is_admin_and_warns(api_conf, caplog):
    with caplog.at_level("WARNING"):
        application = Api(create_app(api_conf))
    assert "NO authentication" in caplog.text
    assert application.post("/v1/segments", json={"segment": {
        "name": "n", "recovery_method": "auto", "service_type": "COMPUTE"}}).status_code == 201
    assert CONF.auth_strategy == "noauth"
