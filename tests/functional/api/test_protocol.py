"""Wire protocol: versions, microversion negotiation, fault bodies, malformed requests,
request ids and the health check."""

import json
import re

import pytest

from masakari_ha.conf import CONF


def test_root_lists_versions_without_version_headers(api):
    response = api.get("/")
    assert response.status_code == 200
    assert response.json == {"versions": [{
        "id": "v1.0", "status": "CURRENT", "version": "1.3", "min_version": "1.0",
        "updated": "2016-07-01T11:33:21Z",
        "links": [{"rel": "self", "href": "http://localhost/v1/"}]}]}
    assert "OpenStack-API-Version" not in response.headers


@pytest.mark.parametrize("path", ["/v1", "/v1/"])
def test_v1_describes_itself(api, path):
    response = api.get(path)
    assert response.status_code == 200
    version = response.json["version"]
    assert version["version"] == "1.3" and version["min_version"] == "1.0"
    assert version["links"][1]["rel"] == "describedby"
    assert version["media-types"][0]["type"] == "application/vnd.openstack.masakari+json;version=1"


def test_link_prefix_option(api):
    CONF.set_override("osapi_masakari_link_prefix", "https://ha.example.org/instance-ha/")
    assert api.get("/").json["versions"][0]["links"][0]["href"] == (
        "https://ha.example.org/instance-ha/v1/")


def test_unknown_root_path_is_300_choices(api):
    response = api.get("/foo/bar")
    assert response.status_code == 300
    assert response.json["choices"][0]["links"][0]["href"] == "http://localhost/v1/foo/bar"


def test_unknown_v1_path_is_404_fault(api):
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["itemNotFound"]["code"] == 404


@pytest.mark.parametrize("header, expected", [
    (None, "1.0"),
    ("instance-ha 1.0", "1.0"),
    ("instance-ha 1.1", "1.1"),
    ("instance-ha 1.2", "1.2"),
    ("instance-ha 1.3", "1.3"),
    ("instance-ha latest", "1.3"),
    ("compute 2.1, instance-ha 1.2", "1.2"),
    ("compute 2.1", "1.0"),
])
def test_version_negotiation(api, header, expected):
    headers = {"OpenStack-API-Version": header} if header else {}
    response = api.client.get("/v1/segments", headers=headers)
    assert response.status_code == 200
    assert response.headers["OpenStack-API-Version"] == f"masakari {expected}"
    assert response.headers["Vary"] == "OpenStack-API-Version"


@pytest.mark.parametrize("header", ["instance-ha 2.0", "instance-ha 1.4", "instance-ha 3.0",
                                    "instance-ha 1.99"])
def test_out_of_range_version_is_406(api, header):
    response = api.client.get("/v1/segments", headers={"OpenStack-API-Version": header})
    assert response.status_code == 406
    fault = response.json["masakariFault"]
    assert fault["code"] == 406
    assert "not supported" in fault["message"]


@pytest.mark.parametrize("header", ["instance-ha 1.a", "instance-ha 1", "instance-ha 01.2",
                                    "instance-ha 1.02", "instance-ha v1.2", "instance-ha 1.2.3",
                                    "instance-ha 0.9"])
def test_malformed_version_is_400(api, header):
    response = api.client.get("/v1/segments", headers={"OpenStack-API-Version": header})
    assert response.status_code == 400
    assert "Must be of format MajorNum.MinorNum" in response.json["badRequest"]["message"]


def test_fault_responses_carry_the_instance_ha_version_header(api):
    response = api.get("/v1/segments/missing", version="1.2")
    assert response.status_code == 404
    assert response.headers["OpenStack-API-Version"] == "instance-ha 1.2"
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json) == {"itemNotFound"}
    assert set(response.json["itemNotFound"]) == {"code", "message"}


def test_request_id_header(api):
    first = api.get("/v1/segments").headers["X-OpenStack-Request-ID"]
    second = api.get("/").headers["X-OpenStack-Request-ID"]
    pattern = r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    assert re.match(pattern, first) and re.match(pattern, second) and first != second
    faulted = api.get("/v1/segments/x")
    assert re.match(pattern, faulted.headers["X-OpenStack-Request-ID"])


# ---- malformed requests: always a 4xx fault naming the problem, never a 500 ----

@pytest.fixture
def segment_path(api):
    return f"/v1/segments/{api.segment()['uuid']}"


@pytest.mark.parametrize("raw, needle", [
    (b"{not json", "Malformed request body"),
    (b'{"segment": {"name": "x",}}', "Malformed request body"),
    (b'{"segment": {"name": NaN}}', "Malformed request body"),
    (b"\xff\xfe{}", "not valid UTF-8"),
    (b'{"segment": {"name": "caf\xe9"}}', "not valid UTF-8"),
    (b"[]", "Invalid input"),
    (b'"segment"', "Invalid input"),
    (b"null", "Invalid input"),
    (b"[" * 100000 + b"]" * 100000, ""),
])
def test_malformed_bodies_are_400(api, segment_path, raw, needle):
    CONF.set_override("max_request_body_size", 1024 * 1024)
    app = api.__class__(__import__("masakari_ha.api", fromlist=["create_app"]).create_app(CONF))
    for method, path in (("PUT", segment_path), ("POST", "/v1/segments"),
                         ("POST", "/v1/notifications"), ("POST", segment_path + "/hosts")):
        response = app.request(method, path, data=raw)
        assert response.status_code == 400, (method, path, response.get_data(as_text=True))
        assert needle in response.json["badRequest"]["message"]


def test_empty_body_is_400(api, segment_path):
    response = api.request("POST", "/v1/segments", data=b"")
    assert response.status_code == 400
    assert "Invalid input" in response.json["badRequest"]["message"]


def test_oversize_body_is_413(api):
    CONF.set_override("max_request_body_size", 2048)
    from masakari_ha.api import create_app

    small = api.__class__(create_app(CONF))
    big = {"segment": {"name": "s", "recovery_method": "auto", "service_type": "COMPUTE",
                       "description": "x" * 5000}}
    response = small.post("/v1/segments", json=big)
    assert response.status_code == 413
    assert response.json["overLimit"]["code"] == 413
    assert "max_request_body_size" in response.json["overLimit"]["message"]
    ok = dict(big)
    ok["segment"] = dict(big["segment"], description="x" * 100)
    assert small.post("/v1/segments", json=ok).status_code == 201


def test_non_json_content_type_is_415(api):
    response = api.request("POST", "/v1/segments", data=b"name=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json["badMediaType"]["code"] == 415


def test_vendor_json_content_type_is_accepted(api):
    body = json.dumps({"segment": {"name": "v", "recovery_method": "auto",
                                   "service_type": "COMPUTE"}}).encode()
    response = api.request("POST", "/v1/segments", data=body,
                           content_type="application/vnd.openstack.masakari+json")
    assert response.status_code == 201


@pytest.mark.parametrize("query, needle", [
    ("limit=abc", "limit"), ("limit=-1", "limit"), ("limit=1.5", "limit"),
    ("page_size=x", "page_size"), ("sort_key=password", "Sort key"),
    ("sort_dir=sideways", "sort_dir"), ("sort_key=created_at&sort_dir=asc&sort_dir=desc", "sort_dir"),
    ("marker=99999", "Marker"), ("marker=00000000-0000-0000-0000-000000000000", "Marker"),
    ("marker=" + "x" * 300, "marker"),
])
def test_bad_query_values_are_400(api, query, needle):
    host = api.host(api.segment()["uuid"])
    for path in ("/v1/segments", f"/v1/segments/{host['failover_segment_id']}/hosts",
                 "/v1/notifications"):
        response = api.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.get_data(as_text=True))
        assert needle in response.json["badRequest"]["message"]


def test_unexpected_errors_are_500_faults_not_html(api, monkeypatch):
    from masakari_ha.db import segments as segments_db

    def boom(*_args, **_kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(segments_db, "list_segments", boom)
    response = api.get("/v1/segments")
    assert response.status_code == 500
    fault = response.json["masakariFault"]
    assert fault["code"] == 500 and "Unexpected API Error" in fault["message"]
    assert "simulated bug" not in fault["message"]


# ---- health check ----

def test_healthcheck(api, tmp_path):
    assert api.get("/healthcheck").get_data(as_text=True) == "OK"
    assert api.request("HEAD", "/healthcheck").status_code == 200
    flag = tmp_path / "disable"
    CONF.set_override("disable_by_file_path", str(flag), group="healthcheck")
    assert api.get("/healthcheck").status_code == 200
    flag.write_text("")
    response = api.get("/healthcheck")
    assert response.status_code == 503 and response.get_data(as_text=True) == "DISABLED BY FILE"


def test_healthcheck_reports_an_unreachable_database(api):
    from masakari_ha.db import session as db_session

    CONF.set_override("connection", "sqlite:////nonexistent-dir/x.sqlite", group="database")
    db_session.dispose_engines()
    response = api.get("/healthcheck")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "DATABASE UNREACHABLE"


def test_trailing_slashes_are_tolerated(api):
    segment = api.segment()
    assert api.get("/v1/segments/").status_code == 200
    assert api.get(f"/v1/segments/{segment['uuid']}/hosts/").status_code == 200
    assert api.get("/v1/notifications/").status_code == 200
