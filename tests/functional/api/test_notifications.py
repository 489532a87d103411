"""/v1/notifications over HTTP: intake rules, duplicates, maintenance, reads."""

import pytest

from masakari_ha.conf import CONF
from tests.functional.api.conftest import set_notification_status

NOTIFICATION_FIELDS = {"id", "notification_uuid", "generated_time", "source_host_uuid", "type",
                       "payload", "status", "failover_segment_uuid", "message", "created_at",
                       "updated_at", "deleted_at", "deleted"}

VM_PAYLOAD = {"instance_uuid": "96ab1c42-668c-4f2d-8689-afa3301d4ee9",
              "vir_domain_event": "STOPPED_FAILED", "event": "LIFECYCLE"}
PROCESS_PAYLOAD = {"process_name": "nova-compute", "event": "STOPPED"}


@pytest.fixture
def host(api):
    segment = api.segment()
    return api.host(segment["uuid"], name="compute-1")


def test_create_is_202_status_new(api, host):
    response = api.post("/v1/notifications", json={"notification": {
        "type": "COMPUTE_HOST", "hostname": "compute-1", "generated_time": "2017-04-24 08:34:46",
        "payload": {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}}})
    assert response.status_code == 202
    notification = response.json["notification"]
    assert set(notification) == NOTIFICATION_FIELDS
    assert notification["status"] == "new"
    assert notification["source_host_uuid"] == host["uuid"]
    assert notification["failover_segment_uuid"] == host["failover_segment_id"]
    assert notification["generated_time"] == "2017-04-24T08:34:46.000000"
    assert notification["payload"] == {"event": "STOPPED", "host_status": "NORMAL",
                                       "cluster_status": "OFFLINE"}
    assert notification["message"] is None


@pytest.mark.parametrize("ntype, payload", [("VM", VM_PAYLOAD), ("PROCESS", PROCESS_PAYLOAD),
                                            ("COMPUTE_HOST", {"event": "STARTED"})])
def test_each_type_is_accepted(api, host, ntype, payload):
    assert api.notify("compute-1", ntype=ntype, payload=payload)["type"] == ntype


@pytest.mark.parametrize("generated_time, stored", [
    ("2017-04-23T07:18:51.523726", "2017-04-23T07:18:51.523726"),
    ("2017-04-23T09:18:51+02:00", "2017-04-23T07:18:51.000000"),
    ("2017-04-23T07:18:51Z", "2017-04-23T07:18:51.000000"),
])
def test_generated_time_formats(api, host, generated_time, stored):
    notification = api.notify("compute-1", generated_time=generated_time)
    assert notification["generated_time"] == stored


@pytest.mark.parametrize("body, field", [
    ({"type": "DISK", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {}}, "notification/type"),
    ({"type": "VM", "hostname": "compute 1", "generated_time": "2017-01-01T00:00:00",
      "payload": VM_PAYLOAD}, "notification/hostname"),
    ({"type": "VM", "hostname": "compute-1", "generated_time": "yesterday",
      "payload": VM_PAYLOAD}, "notification/generated_time"),
    ({"type": "VM", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": "x"}, "notification/payload"),
    ({"type": "VM", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00"}, "payload"),
    ({"type": "VM", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": VM_PAYLOAD, "extra": 1}, "extra"),
    ({"type": "VM", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {**VM_PAYLOAD, "instance_uuid": "nope"}}, "notification/payload/instance_uuid"),
    ({"type": "VM", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {"event": "LIFECYCLE"}}, "instance_uuid"),
    ({"type": "COMPUTE_HOST", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {"event": "stopped"}}, "notification/payload/event"),
    ({"type": "COMPUTE_HOST", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {"event": "STOPPED", "host_status": "BROKEN"}}, "notification/payload/host_status"),
    ({"type": "COMPUTE_HOST", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {"event": "STOPPED", "extra": "x"}}, "extra"),
    ({"type": "PROCESS", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {"process_name": "nova-compute"}}, "event"),
    ({"type": "PROCESS", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {"process_name": "x", "event": "STOPPED", "bad key!": "x"}}, "bad key!"),
    ({"type": "PROCESS", "hostname": "compute-1", "generated_time": "2017-01-01T00:00:00",
      "payload": {"process_name": 7, "event": "STOPPED"}}, "notification/payload/process_name"),
])
def test_bad_bodies_are_400_naming_the_field(api, host, body, field):
    response = api.post("/v1/notifications", json={"notification": body})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in response.json["badRequest"]["message"]


def test_unknown_host_is_400(api, host):
    response = api.notify("nobody", expect=400)
    assert response == {"badRequest": {"code": 400,
                                       "message": "Host with name nobody could not be found."}}


def test_deleted_host_is_unknown(api, host):
    api.delete(f"/v1/segments/{host['failover_segment_id']}/hosts/{host['uuid']}")
    api.notify("compute-1", expect=400)


def test_host_on_maintenance_is_409(api, host):
    api.put(f"/v1/segments/{host['failover_segment_id']}/hosts/{host['uuid']}",
            json={"host": {"on_maintenance": True}})
    response = api.notify("compute-1", expect=409)
    assert response["conflictingRequest"]["message"] == (
        "Notification received from host compute-1 of type 'COMPUTE_HOST' is ignored as the "
        "host is already under maintenance.")
    # auto_recover_host is off: a STARTED event is refused too.
    api.notify("compute-1", payload={"event": "STARTED", "host_status": "NORMAL"}, expect=409)


def test_auto_recover_host_lets_started_through_maintenance(api, host):
    from oslo_config import cfg

    group = cfg.OptGroup("host_failure")
    if "host_failure" not in CONF or "auto_recover_host" not in CONF.host_failure:
        CONF.register_opt(cfg.BoolOpt("auto_recover_host", default=False), group=group)
    CONF.set_override("auto_recover_host", True, group="host_failure")
    api.put(f"/v1/segments/{host['failover_segment_id']}/hosts/{host['uuid']}",
            json={"host": {"on_maintenance": True}})
    accepted = api.notify("compute-1", payload={"event": "STARTED", "host_status": "NORMAL"})
    assert accepted["status"] == "new"
    api.notify("compute-1", payload={"event": "STOPPED", "host_status": "NORMAL"}, expect=409)
    api.notify("compute-1", ntype="PROCESS", payload={"process_name": "x", "event": "STARTED"},
               expect=409)


def test_duplicates(api, host):
    first = api.notify("compute-1", generated_time="2026-11-21T10:00:00")
    # Same type, host and payload within the interval (either side): duplicate, whatever status.
    set_notification_status(first["notification_uuid"], "finished")
    dup = api.notify("compute-1", generated_time="2026-11-21T10:02:59", expect=409)
    assert dup["conflictingRequest"]["message"] == (
        "Notification received from host compute-1 of type COMPUTE_HOST is duplicate.")
    api.notify("compute-1", generated_time="2026-11-21T09:59:00", expect=409)
    # Outside the interval (180 s): accepted.
    api.notify("compute-1", generated_time="2026-11-21T10:03:01")
    # Different payload: accepted.
    api.notify("compute-1", generated_time="2026-11-21T10:00:00",
               payload={"event": "STOPPED", "host_status": "UNKNOWN"})
    # Different type: accepted.
    api.notify("compute-1", ntype="PROCESS", payload=PROCESS_PAYLOAD,
               generated_time="2026-11-21T10:00:00")


def test_duplicate_detection_interval_option(api, host):
    CONF.set_override("duplicate_notification_detection_interval", 10)
    api.notify("compute-1", generated_time="2026-11-21T10:00:00")
    api.notify("compute-1", generated_time="2026-11-21T10:00:09", expect=409)
    api.notify("compute-1", generated_time="2026-11-21T10:00:30")


def test_show_and_404(api, host):
    created = api.notify("compute-1")
    response = api.get(f"/v1/notifications/{created['notification_uuid']}")
    assert response.status_code == 200
    assert response.json["notification"] == created
    assert "recovery_workflow_details" not in response.json["notification"]
    assert api.get("/v1/notifications/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_put_and_delete_are_405(api, host, method):
    created = api.notify("compute-1")
    response = api.request(method, f"/v1/notifications/{created['notification_uuid']}",
                           json={"notification": {}})
    assert response.status_code == 405
    assert response.json["badMethod"]["code"] == 405


def test_list_filters(api, host):
    other = api.host(host["failover_segment_id"], name="compute-2")
    a = api.notify("compute-1", generated_time="2026-11-21T10:00:00")
    b = api.notify("compute-2", ntype="PROCESS", payload=PROCESS_PAYLOAD,
                   generated_time="2026-11-21T11:00:00")
    c = api.notify("compute-2", ntype="VM", payload=VM_PAYLOAD, generated_time="2026-11-21T12:00:00")
    set_notification_status(c["notification_uuid"], "running")

    def uuids(query):
        response = api.get("/v1/notifications" + query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {n["notification_uuid"] for n in response.json["notifications"]}

    assert uuids("") == {a["notification_uuid"], b["notification_uuid"], c["notification_uuid"]}
    assert uuids("?status=running") == {c["notification_uuid"]}
    assert uuids("?status=new") == {a["notification_uuid"], b["notification_uuid"]}
    assert uuids("?type=PROCESS") == {b["notification_uuid"]}
    assert uuids(f"?source_host_uuid={other['uuid']}") == {b["notification_uuid"],
                                                           c["notification_uuid"]}
    assert uuids("?generated-since=2026-11-21T11:00:00") == {b["notification_uuid"],
                                                             c["notification_uuid"]}
    # 12:30+01:00 is 11:30 UTC.
    assert uuids("?generated-since=2026-11-21T12:30:00%2B01:00") == {c["notification_uuid"]}
    for bad in ("?generated-since=soon", "?status=bogus", "?type=DISK"):
        response = api.get("/v1/notifications" + bad)
        assert response.status_code == 400, bad
    assert "generated-since" in api.get("/v1/notifications?generated-since=x").json[
        "badRequest"]["message"]
