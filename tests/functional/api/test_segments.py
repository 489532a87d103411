"""/v1/segments over HTTP: every status code, field and rule of upstream v1."""

import pytest

from tests.functional.api.conftest import set_notification_status

SEGMENT_FIELDS = {"id", "uuid", "name", "description", "recovery_method", "service_type",
                  "enabled", "created_at", "updated_at", "deleted_at", "deleted"}


def test_create_returns_201_with_upstream_fields(api):
    response = api.post("/v1/segments", json={"segment": {
        "name": "seg1", "recovery_method": "auto", "service_type": "COMPUTE",
        "description": "line one\nline two"}})
    assert response.status_code == 201
    segment = response.json["segment"]
    assert set(segment) == SEGMENT_FIELDS
    assert segment["name"] == "seg1"
    assert segment["enabled"] is True
    assert segment["deleted"] is False and segment["deleted_at"] is None
    assert segment["description"] == "line one\nline two"
    assert segment["created_at"].endswith(".000000") and "T" in segment["created_at"]
    assert response.headers["OpenStack-API-Version"] == "masakari 1.0"
    assert response.headers["Vary"] == "OpenStack-API-Version"


@pytest.mark.parametrize("method", ["auto", "reserved_host", "auto_priority", "rh_priority"])
def test_every_recovery_method_is_accepted(api, method):
    assert api.segment(recovery_method=method)["recovery_method"] == method


@pytest.mark.parametrize("segment, field", [
    ({"recovery_method": "auto", "service_type": "COMPUTE"}, "name"),
    ({"name": "", "recovery_method": "auto", "service_type": "COMPUTE"}, "segment/name"),
    ({"name": " lead", "recovery_method": "auto", "service_type": "COMPUTE"}, "segment/name"),
    ({"name": "x" * 256, "recovery_method": "auto", "service_type": "COMPUTE"}, "segment/name"),
    ({"name": 5, "recovery_method": "auto", "service_type": "COMPUTE"}, "segment/name"),
    ({"name": "a\x07b", "recovery_method": "auto", "service_type": "COMPUTE"}, "segment/name"),
    ({"name": "s", "recovery_method": "magic", "service_type": "COMPUTE"}, "segment/recovery_method"),
    ({"name": "s", "recovery_method": "auto"}, "service_type"),
    ({"name": "s", "recovery_method": "auto", "service_type": "COMPUTE", "color": "red"}, "color"),
    ({"name": "s", "recovery_method": "auto", "service_type": "COMPUTE", "enabled": True}, "enabled"),
])
def test_create_rejects_bad_bodies_naming_the_field(api, segment, field):
    response = api.post("/v1/segments", json={"segment": segment})
    assert response.status_code == 400
    assert field in response.json["badRequest"]["message"]
    assert response.json["badRequest"]["code"] == 400


def test_create_rejects_missing_envelope_and_extra_top_level_keys(api):
    assert api.post("/v1/segments", json={"name": "x"}).status_code == 400
    body = {"segment": {"name": "s", "recovery_method": "auto", "service_type": "C"}, "x": 1}
    response = api.post("/v1/segments", json=body)
    assert response.status_code == 400 and "'x'" in response.json["badRequest"]["message"]


@pytest.mark.parametrize("value, expected", [
    (False, False), ("false", False), ("No", False), ("0", False), ("OFF", False),
    (True, True), ("yes", True), ("1", True), ("On", True), ("TRUE", True)])
def test_enabled_accepts_boolean_strings_from_1_2(api, value, expected):
    response = api.post("/v1/segments", version="1.2", json={"segment": {
        "name": "s", "recovery_method": "auto", "service_type": "COMPUTE", "enabled": value}})
    assert response.status_code == 201
    assert response.json["segment"]["enabled"] is expected


@pytest.mark.parametrize("value", ["maybe", 1, None, []])
def test_enabled_rejects_other_values(api, value):
    response = api.post("/v1/segments", version="1.2", json={"segment": {
        "name": "s", "recovery_method": "auto", "service_type": "COMPUTE", "enabled": value}})
    assert response.status_code == 400
    assert "enabled" in response.json["badRequest"]["message"]


def test_duplicate_name_is_409_and_reusable_after_delete(api):
    first = api.segment(name="dup")
    response = api.post("/v1/segments", json={"segment": {
        "name": "dup", "recovery_method": "auto", "service_type": "COMPUTE"}})
    assert response.status_code == 409
    assert response.json == {"conflictingRequest": {
        "code": 409, "message": "Failover segment with name dup already exists."}}
    assert api.delete(f"/v1/segments/{first['uuid']}").status_code == 204
    assert api.segment(name="dup")["name"] == "dup"


def test_show_and_404(api):
    segment = api.segment()
    response = api.get(f"/v1/segments/{segment['uuid']}")
    assert response.status_code == 200
    assert response.json["segment"] == segment
    for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", str(segment["id"])):
        missing = api.get(f"/v1/segments/{bad}")
        assert missing.status_code == 404
        assert missing.json["itemNotFound"]["code"] == 404


def test_update_changes_fields_and_sets_updated_at(api):
    segment = api.segment()
    response = api.put(f"/v1/segments/{segment['uuid']}", version="1.2", json={"segment": {
        "name": "renamed", "description": None, "recovery_method": "reserved_host",
        "enabled": "false"}})
    assert response.status_code == 200
    updated = response.json["segment"]
    assert (updated["name"], updated["recovery_method"], updated["enabled"]) == (
        "renamed", "reserved_host", False)
    assert updated["updated_at"] is not None
    assert api.get(f"/v1/segments/{segment['uuid']}").json["segment"]["name"] == "renamed"


def test_update_needs_at_least_one_field_and_known_fields(api):
    segment = api.segment()
    empty = api.put(f"/v1/segments/{segment['uuid']}", json={"segment": {}})
    assert empty.status_code == 400
    assert "at least one of" in empty.json["badRequest"]["message"]
    unknown = api.put(f"/v1/segments/{segment['uuid']}", json={"segment": {"uuid": "x"}})
    assert unknown.status_code == 400
    assert api.put(f"/v1/segments/{segment['uuid']}", version="1.1",
                   json={"segment": {"enabled": False}}).status_code == 400


def test_update_to_taken_name_is_409_and_unknown_is_404(api):
    api.segment(name="taken")
    other = api.segment()
    conflict = api.put(f"/v1/segments/{other['uuid']}", json={"segment": {"name": "taken"}})
    assert conflict.status_code == 409
    missing = api.put("/v1/segments/00000000-0000-0000-0000-000000000000",
                      json={"segment": {"name": "x"}})
    assert missing.status_code == 404


def test_delete_soft_deletes_the_segment_and_its_hosts(api):
    segment = api.segment()
    host = api.host(segment["uuid"], name="h-del")
    deleted = api.delete(f"/v1/segments/{segment['uuid']}")
    assert deleted.status_code == 204
    assert deleted.get_data() == b"" and "Content-Type" not in deleted.headers
    assert api.get(f"/v1/segments/{segment['uuid']}").status_code == 404
    assert api.get(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}").status_code == 404
    assert api.delete(f"/v1/segments/{segment['uuid']}").status_code == 404
    # The host name is free again.
    other = api.segment()
    assert api.host(other["uuid"], name="h-del")["name"] == "h-del"


@pytest.mark.parametrize("status, blocked", [
    ("new", True), ("running", True), ("error", True),
    ("finished", False), ("failed", False), ("ignored", False)])
def test_segment_under_recovery_guard(api, status, blocked):
    segment = api.segment()
    host = api.host(segment["uuid"])
    notification = api.notify(host["name"])
    set_notification_status(notification["notification_uuid"], status)
    update = api.put(f"/v1/segments/{segment['uuid']}", json={"segment": {"description": "x"}})
    delete_host = api.delete(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}")
    if blocked:
        assert update.status_code == 409
        assert "in-use" in update.json["conflictingRequest"]["message"]
        assert delete_host.status_code == 409
        assert api.delete(f"/v1/segments/{segment['uuid']}").status_code == 409
    else:
        assert update.status_code == 200
        assert delete_host.status_code == 204
        assert api.delete(f"/v1/segments/{segment['uuid']}").status_code == 204


def test_list_filters(api):
    a = api.segment(recovery_method="auto", service_type="COMPUTE")
    b = api.segment(recovery_method="reserved_host", enabled=False)
    c = api.post("/v1/segments", json={"segment": {
        "name": "c", "recovery_method": "auto", "service_type": "OTHER"}}).json["segment"]

    def names(query, version=None):
        response = api.get("/v1/segments" + query, version=version)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {s["uuid"] for s in response.json["segments"]}

    assert names("") == {a["uuid"], b["uuid"], c["uuid"]}
    assert names("?recovery_method=auto") == {a["uuid"], c["uuid"]}
    assert names("?service_type=OTHER") == {c["uuid"]}
    assert names("?enabled=false", version="1.2") == {b["uuid"]}
    assert names("?enabled=true", version="1.2") == {a["uuid"], c["uuid"]}
    assert api.get("/v1/segments?recovery_method=bogus").status_code == 400
    assert api.get("/v1/segments?enabled=perhaps", version="1.2").status_code == 400
