"""Awkward path segments and query values on every read route: 4xx or 200, never a 500."""

import pytest

AWKWARD = ["%00", "a%00b", "%FF", "%C3%A9", "x" * 300, "%27%3B--", "-1", "99999999999999999999",
           "%20", "1.5", "true", "%E2%9C%93", "%ED%A0%80"]


@pytest.fixture
def ids(api):
    segment = api.segment()
    host = api.host(segment["uuid"], name="target")
    notification = api.notify("target")
    return {"sid": segment["uuid"], "hid": host["uuid"], "nid": notification["notification_uuid"]}


def _check(api, url, failures):
    response = api.get(url, version="1.3")
    if response.status_code >= 500 or "json" not in (response.content_type or ""):
        failures.append((url, response.status_code, response.get_data(as_text=True)[:200]))


def test_awkward_path_segments(api, ids):
    failures = []
    for value in AWKWARD:
        for template in ("/v1/segments/{v}", "/v1/segments/{v}/hosts",
                         "/v1/segments/{sid}/hosts/{v}", "/v1/notifications/{v}",
                         "/v1/notifications/{v}/vmoves", "/v1/notifications/{nid}/vmoves/{v}",
                         "/v1/extensions/{v}"):
            _check(api, template.format(v=value, **ids), failures)
    assert not failures, failures


@pytest.mark.parametrize("param", ["limit", "marker", "sort_key", "sort_dir", "page_size",
                                   "recovery_method", "service_type", "enabled", "type",
                                   "on_maintenance", "reserved", "name", "control_attributes",
                                   "status", "source_host_uuid", "generated-since"])
def test_awkward_query_values(api, ids, param):
    failures = []
    for value in AWKWARD:
        for path in ("/v1/segments", f"/v1/segments/{ids['sid']}/hosts", "/v1/notifications",
                     f"/v1/notifications/{ids['nid']}/vmoves"):
            _check(api, f"{path}?{param}={value}", failures)
    assert not failures, failures
