"""/v1/segments/{id}/hosts over HTTP."""

import pytest

HOST_FIELDS = {"id", "uuid", "name", "failover_segment_id", "failover_segment", "type", "reserved",
               "control_attributes", "on_maintenance", "created_at", "updated_at", "deleted_at",
               "deleted"}


def test_create_returns_201_with_embedded_segment(api):
    segment = api.segment()
    response = api.post(f"/v1/segments/{segment['uuid']}/hosts", json={"host": {
        "name": "compute-1", "type": "COMPUTE", "control_attributes": "SSH",
        "reserved": "True", "on_maintenance": "no"}})
    assert response.status_code == 201
    host = response.json["host"]
    assert set(host) == HOST_FIELDS
    assert host["failover_segment_id"] == segment["uuid"]
    assert host["failover_segment"] == segment
    assert host["reserved"] is True and host["on_maintenance"] is False
    assert host["deleted"] is False


@pytest.mark.parametrize("host, field", [
    ({"type": "COMPUTE", "control_attributes": "SSH"}, "name"),
    ({"name": "h", "control_attributes": "SSH"}, "type"),
    ({"name": "h", "type": "COMPUTE"}, "control_attributes"),
    ({"name": "h", "type": "COM PUTE", "control_attributes": "SSH"}, "host/type"),
    ({"name": "h", "type": None, "control_attributes": "SSH"}, "host/type"),
    ({"name": "h ", "type": "COMPUTE", "control_attributes": "SSH"}, "host/name"),
    ({"name": "h", "type": "COMPUTE", "control_attributes": "SSH", "reserved": "sure"}, "host/reserved"),
    ({"name": "h", "type": "COMPUTE", "control_attributes": "SSH", "on_maintenance": 3},
     "host/on_maintenance"),
    ({"name": "h", "type": "COMPUTE", "control_attributes": "SSH", "failover_segment_id": "x"},
     "failover_segment_id"),
])
def test_create_rejects_bad_bodies(api, host, field):
    segment = api.segment()
    response = api.post(f"/v1/segments/{segment['uuid']}/hosts", json={"host": host})
    assert response.status_code == 400
    assert field in response.json["badRequest"]["message"]


def test_create_in_unknown_segment_is_404(api):
    response = api.post("/v1/segments/00000000-0000-0000-0000-000000000000/hosts", json={"host": {
        "name": "h", "type": "COMPUTE", "control_attributes": "SSH"}})
    assert response.status_code == 404


def test_host_names_are_unique_across_segments(api):
    one, two = api.segment(), api.segment()
    api.host(one["uuid"], name="shared")
    response = api.post(f"/v1/segments/{two['uuid']}/hosts", json={"host": {
        "name": "shared", "type": "COMPUTE", "control_attributes": "SSH"}})
    assert response.status_code == 409
    assert response.json["conflictingRequest"]["message"] == "Host with name shared already exists."


def test_show_checks_segment_membership(api):
    one, two = api.segment(), api.segment()
    host = api.host(one["uuid"])
    assert api.get(f"/v1/segments/{one['uuid']}/hosts/{host['uuid']}").json["host"] == host
    assert api.get(f"/v1/segments/{two['uuid']}/hosts/{host['uuid']}").status_code == 404
    assert api.get(f"/v1/segments/{one['uuid']}/hosts/nope").status_code == 404
    assert api.get(f"/v1/segments/nope/hosts/{host['uuid']}").status_code == 404


def test_update_and_rename_conflict(api):
    segment = api.segment()
    host = api.host(segment["uuid"])
    api.host(segment["uuid"], name="other")
    response = api.put(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}", json={"host": {
        "on_maintenance": True, "reserved": "yes", "control_attributes": "IPMI\nline2"}})
    assert response.status_code == 200
    updated = response.json["host"]
    assert updated["on_maintenance"] is True and updated["reserved"] is True
    assert updated["control_attributes"] == "IPMI\nline2"
    conflict = api.put(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}",
                       json={"host": {"name": "other"}})
    assert conflict.status_code == 409
    assert api.put(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}",
                   json={"host": {}}).status_code == 400
    assert api.put(f"/v1/segments/{segment['uuid']}/hosts/00000000-0000-0000-0000-000000000000",
                   json={"host": {"reserved": False}}).status_code == 404


def test_delete(api):
    segment = api.segment()
    host = api.host(segment["uuid"])
    assert api.delete(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}").status_code == 204
    assert api.get(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}").status_code == 404
    assert api.delete(f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}").status_code == 404


def test_list_filters_all_filter(api):
    segment = api.segment()
    sid = segment["uuid"]
    a = api.host(sid, name="alpha", type="COMPUTE", control_attributes="SSH")
    b = api.host(sid, name="beta", type="XEN", control_attributes="IPMI", reserved=True)
    c = api.host(sid, name="gamma", on_maintenance=True)
    api.host(api.segment()["uuid"], name="elsewhere")

    def uuids(query):
        response = api.get(f"/v1/segments/{sid}/hosts{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return {h["uuid"] for h in response.json["hosts"]}

    assert uuids("") == {a["uuid"], b["uuid"], c["uuid"]}
    assert uuids("?type=XEN") == {b["uuid"]}
    assert uuids("?reserved=true") == {b["uuid"]}
    assert uuids("?reserved=0") == {a["uuid"], c["uuid"]}
    assert uuids("?on_maintenance=yes") == {c["uuid"]}
    assert uuids("?name=alpha") == {a["uuid"]}
    assert uuids("?control_attributes=IPMI") == {b["uuid"]}
    assert uuids("?name=nobody") == set()
    bad = api.get(f"/v1/segments/{sid}/hosts?on_maintenance=maybe")
    assert bad.status_code == 400
    assert "on_maintenance" in bad.json["badRequest"]["message"]
    assert api.get("/v1/segments/00000000-0000-0000-0000-000000000000/hosts").status_code == 404
