"""The real Flask API and an EngineService on the in-process fake:// bus (what
masakari-ha-all runs): a monitor's POST becomes guests running elsewhere, progress (1.1)
and vmoves (1.3) readable through the API, and auto_recover_host brings the host back."""

import threading
import time

import pytest

from masakari_ha import rpc
from masakari_ha.api import create_app
from masakari_ha.api import policy as api_policy
from masakari_ha.conf import CONF
from masakari_ha.engine.service import EngineService
from tests.functional.api.conftest import Api


@pytest.fixture
def stack(cloud_env):
    rpc.register_opts(CONF)
    CONF.set_override("transport_url", "fake://")
    CONF.set_override("auth_strategy", "noauth")
    CONF.set_override("validate_host_names", False, group="nova")
    api_policy.reset()
    service = EngineService(CONF, transport=rpc.get_transport(CONF)).start()
    yield Api(create_app(CONF)), service, cloud_env.cloud
    service.stop()
    api_policy.reset()
    rpc.cleanup()


def _wait_status(api, uuid, wanted, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/v1/notifications/{uuid}", version="1.1").json["notification"]
        if body["status"] in wanted:
            return body
        time.sleep(0.05)
    raise AssertionError(f"notification {uuid} still {body['status']}")


def _failed_host(api, cloud):
    for name in ("compute-1", "compute-2"):
        cloud.add_host(name)
    guests = [cloud.add_server("compute-1", metadata={"HA_Enabled": "True"}).uuid for _ in range(3)]
    segment = api.segment()
    for name in ("compute-1", "compute-2"):
        api.host(segment["uuid"], name)
    cloud.kill_host("compute-1")
    notification = api.notify("compute-1")
    return guests, notification


def test_posted_host_failure_is_recovered_and_visible_through_the_api(stack):
    api, _service, cloud = stack
    guests, notification = _failed_host(api, cloud)

    body = _wait_status(api, notification["notification_uuid"], {"finished", "error"})

    assert body["status"] == "finished", body["message"]
    assert [d["name"] for d in body["recovery_workflow_details"]] == [
        "FencingGate", "DisableComputeServiceTask", "PrepareHAEnabledInstancesTask", "EvacuateInstancesTask"]
    assert all(cloud.server(g).host == "compute-2" for g in guests)
    vmoves = api.get(f"/v1/notifications/{notification['notification_uuid']}/vmoves", version="1.3").json
    assert sorted(v["instance_uuid"] for v in vmoves["vmoves"]) == sorted(guests)
    assert {v["status"] for v in vmoves["vmoves"]} == {"succeeded"}


def test_auto_recover_host_brings_the_host_back_once_its_compute_restarted(stack):
    api, _service, cloud = stack
    CONF.set_override("auto_recover_host", True, group="host_failure")
    _guests, notification = _failed_host(api, cloud)
    _wait_status(api, notification["notification_uuid"], {"finished"})
    # Nova refuses to un-force until nova-compute restarted and completed its evacuations.
    threading.Timer(1.0, cloud.restart_compute, args=("compute-1",)).start()
    started = api.notify("compute-1", payload={"event": "STARTED", "host_status": "NORMAL",
                                                "cluster_status": "ONLINE"},
                         generated_time="2026-11-21T10:05:00")

    body = _wait_status(api, started["notification_uuid"], {"finished", "error"})

    assert body["status"] == "finished", body["message"]
    service = cloud.service("compute-1").service
    assert not service.disabled and not service.forced_down
    host = [h for h in api.get(f"/v1/segments/{_segment_of(api)}/hosts").json["hosts"]
            if h["name"] == "compute-1"][0]
    assert host["on_maintenance"] is False


def test_auto_recover_host_refused_while_compute_down_ends_in_error(stack):
    api, _service, cloud = stack
    CONF.set_override("auto_recover_host", True, group="host_failure")
    CONF.set_override("wait_period_after_service_update", 1)
    _guests, notification = _failed_host(api, cloud)
    _wait_status(api, notification["notification_uuid"], {"finished"})
    started = api.notify("compute-1", payload={"event": "STARTED", "host_status": "NORMAL",
                                                "cluster_status": "ONLINE"},
                         generated_time="2026-11-21T10:05:00")

    body = _wait_status(api, started["notification_uuid"], {"finished", "error"})

    assert body["status"] == "error"
    assert "still refuses to un-force" in body["message"]
    assert cloud.service("compute-1").service.forced_down


def _segment_of(api):
    return api.get("/v1/segments").json["segments"][0]["uuid"]
