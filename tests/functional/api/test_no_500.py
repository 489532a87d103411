"""Every field of every write request, replaced by every awkward JSON value: always a 4xx
fault (or success), never a 500."""

import pytest

WEIRD = [None, True, 0, -1, 2 ** 70, 1.5, "", " ", "x" * 300, "\u0000", "é✓", "\ud800",
         [], {}, ["a"], {"a": "b"}, "2017-02-30T00:00:00", "../../etc", "<script>", "1; DROP"]

TEMPLATES = {
    ("POST", "/v1/segments"): {"segment": {"name": "s", "recovery_method": "auto",
                                           "service_type": "COMPUTE", "description": "d",
                                           "enabled": True}},
    ("PUT", "/v1/segments/{sid}"): {"segment": {"name": "s2", "recovery_method": "auto",
                                                "service_type": "COMPUTE", "description": "d",
                                                "enabled": True}},
    ("POST", "/v1/segments/{sid}/hosts"): {"host": {"name": "h", "type": "COMPUTE",
                                                    "control_attributes": "SSH",
                                                    "reserved": False, "on_maintenance": False}},
    ("PUT", "/v1/segments/{sid}/hosts/{hid}"): {"host": {"name": "h2", "type": "COMPUTE",
                                                         "control_attributes": "SSH",
                                                         "reserved": False,
                                                         "on_maintenance": False}},
    ("POST", "/v1/notifications"): {"notification": {
        "type": "COMPUTE_HOST", "hostname": "target", "generated_time": "2026-11-21T10:00:00",
        "payload": {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "ONLINE"}}},
}


def _variants(template):
    (envelope, fields), = template.items()
    for field in fields:
        for value in WEIRD:
            body = {envelope: dict(fields)}
            body[envelope][field] = value
            yield f"{field}={value!r}"[:40], body
        if isinstance(fields[field], dict):
            for sub in fields[field]:
                for value in WEIRD:
                    body = {envelope: dict(fields)}
                    body[envelope][field] = dict(fields[field], **{sub: value})
                    yield f"{field}.{sub}={value!r}"[:40], body
    for value in WEIRD:
        yield f"envelope={value!r}"[:40], {envelope: value}


@pytest.mark.parametrize("method, path", list(TEMPLATES))
def test_awkward_values_never_500(api, method, path):
    segment = api.segment()
    host = api.host(segment["uuid"], name="target")
    url = path.format(sid=segment["uuid"], hid=host["uuid"])
    failures = []
    for label, body in _variants(TEMPLATES[(method, path)]):
        for version in ("1.0", "1.2"):
            response = api.request(method, url, json=body, version=version)
            if response.status_code >= 500 or "application/json" not in response.content_type:
                failures.append((label, version, response.status_code,
                                 response.get_data(as_text=True)[:200]))
            elif response.status_code >= 400:
                (fault,) = response.json.values()
                assert set(fault) == {"code", "message"}
    assert not failures, failures
