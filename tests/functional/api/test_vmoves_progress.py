"""VMoves (1.3) and recovery_workflow_details (1.1), both read from the database."""

import datetime
import json
import uuid

import pytest

from masakari_ha.db import session as db_session
from masakari_ha.db.models import RecoveryTaskProgress, VMove

VMOVE_FIELDS = {"id", "uuid", "notification_uuid", "instance_uuid", "instance_name", "source_host",
                "dest_host", "start_time", "end_time", "type", "status", "message", "created_at",
                "updated_at", "deleted_at", "deleted"}


def _add_vmove(notification_uuid, name, status="succeeded", deleted=False):
    with db_session.transaction(write=True) as session:
        row = VMove(uuid=str(uuid.uuid4()), notification_uuid=notification_uuid,
                    instance_uuid=str(uuid.uuid4()), instance_name=name, source_host="compute-1",
                    dest_host="compute-2", type="evacuation", status=status, deleted=0,
                    start_time=datetime.datetime(2026, 11, 21, 10, 0, 1, 250000),
                    end_time=datetime.datetime(2026, 11, 21, 10, 0, 9))
        session.add(row)
        session.flush()
        if deleted:
            row.mark_deleted()
        return row.uuid


@pytest.fixture
def host_notification(api):
    segment = api.segment()
    api.host(segment["uuid"], name="compute-1")
    return api.notify("compute-1")


def test_vmoves_list_show_and_filters(api, host_notification):
    nid = host_notification["notification_uuid"]
    ok = _add_vmove(nid, "vm-a")
    failed = _add_vmove(nid, "vm-b", status="failed")
    _add_vmove(nid, "vm-gone", deleted=True)
    response = api.get(f"/v1/notifications/{nid}/vmoves", version="1.3")
    assert response.status_code == 200
    vmoves = response.json["vmoves"]
    assert {v["uuid"] for v in vmoves} == {ok, failed}
    assert set(vmoves[0]) == VMOVE_FIELDS
    one = api.get(f"/v1/notifications/{nid}/vmoves/{ok}", version="1.3").json["vmove"]
    assert one["instance_name"] == "vm-a"
    assert one["start_time"] == "2026-11-21T10:00:01.250000"
    assert one["end_time"] == "2026-11-21T10:00:09.000000"
    filtered = api.get(f"/v1/notifications/{nid}/vmoves?status=failed", version="1.3")
    assert [v["uuid"] for v in filtered.json["vmoves"]] == [failed]
    assert api.get(f"/v1/notifications/{nid}/vmoves?type=evacuation").status_code == 200
    assert api.get(f"/v1/notifications/{nid}/vmoves?status=lost").status_code == 400
    paged = api.get(f"/v1/notifications/{nid}/vmoves?sort_key=instance_name&sort_dir=asc"
                    f"&marker={ok}").json["vmoves"]
    assert [v["uuid"] for v in paged] == [failed]


def test_vmove_errors(api, host_notification):
    nid = host_notification["notification_uuid"]
    vm_notification = api.notify("compute-1", ntype="VM", payload={
        "instance_uuid": str(uuid.uuid4()), "vir_domain_event": "STOPPED_FAILED",
        "event": "LIFECYCLE"})
    vid = vm_notification["notification_uuid"]
    response = api.get(f"/v1/notifications/{vid}/vmoves")
    assert response.status_code == 400
    assert response.json["badRequest"]["message"] == f"This notification {vid} without vm moves."
    assert api.get(f"/v1/notifications/{vid}/vmoves/x").status_code == 400
    assert api.get("/v1/notifications/missing/vmoves").status_code == 404
    assert api.get(f"/v1/notifications/{nid}/vmoves/missing").status_code == 404
    # A vmove of another notification is not found under this one (upstream did not check).
    other_host = api.host(api.segment()["uuid"], name="compute-9")
    other = api.notify(other_host["name"])
    foreign = _add_vmove(other["notification_uuid"], "vm-x")
    assert api.get(f"/v1/notifications/{nid}/vmoves/{foreign}").status_code == 404


def test_recovery_workflow_details_from_1_1(api, host_notification):
    nid = host_notification["notification_uuid"]
    with db_session.transaction(write=True) as session:
        session.add_all([
            RecoveryTaskProgress(notification_uuid=nid, position=2, name="EvacuateInstancesTask",
                                 state="RUNNING", progress=0.5, progress_details=json.dumps([
                                     {"timestamp": "2026-11-21 10:00:05.000001",
                                      "message": "Evacuating vm-a", "progress": 0.5}])),
            RecoveryTaskProgress(notification_uuid=nid, position=1,
                                 name="DisableComputeServiceTask", state="SUCCESS", progress=1.0,
                                 progress_details=json.dumps([
                                     {"timestamp": "2026-11-21 10:00:01.000001",
                                      "message": "Disabling compute service", "progress": 0.0},
                                     {"timestamp": "2026-11-21 10:00:02.000001",
                                      "message": "Disabled", "progress": 1.0}])),
        ])
    old = api.get(f"/v1/notifications/{nid}", version="1.0").json["notification"]
    assert "recovery_workflow_details" not in old
    details = api.get(f"/v1/notifications/{nid}", version="1.1").json["notification"][
        "recovery_workflow_details"]
    assert [d["name"] for d in details] == ["DisableComputeServiceTask", "EvacuateInstancesTask"]
    assert details[0] == {"name": "DisableComputeServiceTask", "state": "SUCCESS", "progress": 1.0,
                          "progress_details": [
                              {"timestamp": "2026-11-21 10:00:01.000001",
                               "message": "Disabling compute service", "progress": "0.0"},
                              {"timestamp": "2026-11-21 10:00:02.000001", "message": "Disabled",
                               "progress": "1.0"}]}
    assert details[1]["progress"] == 0.5


def test_workflow_details_empty_before_the_engine_started(api, host_notification):
    response = api.get(f"/v1/notifications/{host_notification['notification_uuid']}",
                       version="latest")
    assert response.json["notification"]["recovery_workflow_details"] == []
