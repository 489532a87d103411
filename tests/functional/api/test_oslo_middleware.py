"""oslo.middleware in front of the API: CORS (``[cors]``) and HTTPProxyToWSGI
(``[oslo_middleware] enable_proxy_headers_parsing``), through the real app."""

import pytest

from masakari_ha.api import create_app
from tests.functional.api.conftest import Api

ORIGIN = "https://dashboard.example.org"


@pytest.fixture
def cors_conf(api_conf):
    api_conf.set_override("allowed_origin", [ORIGIN], group="cors")
    return api_conf


def _preflight(api, path, origin=ORIGIN, method="POST", headers="X-Auth-Token,OpenStack-API-Version"):
    return api.client.open(path, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers})


def test_preflight_from_allowed_origin(cors_conf):
    api = Api(create_app(cors_conf))
    response = _preflight(api, "/v1/notifications")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "X-Auth-Token,OpenStack-API-Version"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["X-OpenStack-Request-ID"].startswith("req-")


def test_preflight_needs_no_token(cors_conf):
    """A browser sends the preflight without X-Auth-Token: auth_token's 401 must not
    reach it (CORS sits outside authentication, as in upstream's pipeline)."""
    cors_conf.set_override("auth_strategy", "keystone")
    from keystonemiddleware import auth_token  # noqa: F401  registers [keystone_authtoken]

    cors_conf.set_override("www_authenticate_uri", "http://127.0.0.1:15001/v3",
                           group="keystone_authtoken")
    cors_conf.set_override("delay_auth_decision", False, group="keystone_authtoken")
    api = Api(create_app(cors_conf))
    assert api.get("/v1/segments").status_code == 401
    response = _preflight(api, "/v1/segments", method="GET")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    # and the 401 itself carries the CORS headers, so the browser can show it
    refused = api.get("/v1/segments", headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_actual_request_exposes_request_id_and_version(cors_conf):
    api = Api(create_app(cors_conf))
    response = api.get("/v1/segments", headers={"Origin": ORIGIN}, version="1.2")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].split(",")
    assert "X-OpenStack-Request-ID" in exposed and "OpenStack-API-Version" in exposed
    assert "Origin" in response.headers["Vary"]


def test_other_origin_and_unlisted_header_get_no_cors_headers(cors_conf):
    api = Api(create_app(cors_conf))
    assert "Access-Control-Allow-Origin" not in _preflight(
        api, "/v1/segments", origin="https://evil.example.com").headers
    assert "Access-Control-Allow-Origin" not in _preflight(
        api, "/v1/segments", headers="X-Not-Allowed").headers
    response = api.get("/v1/segments", headers={"Origin": "https://evil.example.com"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_allowed_headers_option_is_honoured(cors_conf):
    cors_conf.set_override("allow_headers", ["X-Custom"], group="cors")
    api = Api(create_app(cors_conf))
    assert _preflight(api, "/v1/segments", headers="X-Custom").headers[
        "Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in _preflight(
        api, "/v1/segments", headers="X-Auth-Token").headers


def test_without_allowed_origin_no_cors(api):
    response = api.get("/v1/segments", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Origin" not in _preflight(api, "/v1/segments").headers


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ha.example.org",
             "X-Forwarded-Prefix": "/instance-ha"}


def test_proxy_headers_parsed_when_enabled(api_conf):
    api_conf.set_override("enable_proxy_headers_parsing", True, group="oslo_middleware")
    api = Api(create_app(api_conf))
    response = api.get("/", headers=FORWARDED)
    assert response.json["versions"][0]["links"][0]["href"] == (
        "https://ha.example.org/instance-ha/v1/")
    rfc7239 = api.get("/v1", headers={"Forwarded": "for=10.0.0.9;proto=https;host=ha.example.net"})
    assert rfc7239.json["version"]["links"][0]["href"] == "https://ha.example.net/v1/"


def test_proxy_headers_ignored_by_default(api):
    response = api.get("/", headers=FORWARDED)
    assert response.json["versions"][0]["links"][0]["href"] == "http://localhost/v1/"


def test_both_middlewares_together(cors_conf):
    cors_conf.set_override("enable_proxy_headers_parsing", True, group="oslo_middleware")
    api = Api(create_app(cors_conf))
    response = api.get("/", headers={**FORWARDED, "Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.json["versions"][0]["links"][0]["href"].startswith("https://ha.example.org/")
