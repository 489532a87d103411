"""recovery_workflow_details (microversion 1.1) lists tasks in the configured task order."""

from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from tests.functional.engine.conftest import STOPPED, auto_priority_with_no_room


def _names(uuid):
    return [p["name"] for p in recovery_records.list_progress(uuid)]


def test_rows_follow_the_given_order_whatever_the_write_order(seed, db):
    seg = seed.segment()
    uuid = seed.notification(seed.host(seg, "compute-1"), seg, "COMPUTE_HOST", STOPPED)
    order = ("DisableComputeServiceTask", "PrepareHAEnabledInstancesTask", "EvacuateInstancesTask")
    recovery_records.record_progress(uuid, "FencingGate", message="fenced")
    recovery_records.record_progress(uuid, "EvacuateInstancesTask", message="late", order=order)
    recovery_records.record_progress(uuid, "DisableComputeServiceTask", message="early", order=order)
    recovery_records.record_progress(uuid, "PrepareHAEnabledInstancesTask", state="RUNNING", order=order)

    assert _names(uuid) == ["FencingGate", "DisableComputeServiceTask", "PrepareHAEnabledInstancesTask",
                            "EvacuateInstancesTask"]
    # Details of a row stay with it when it moves.
    details = {p["name"]: p["progress_details"] for p in recovery_records.list_progress(uuid)}
    assert [d["message"] for d in details["EvacuateInstancesTask"]] == ["late"]


def test_fallback_flow_lists_its_tasks_in_its_configured_order(cloud_env, seed, processor):
    # auto fails (no room), then the reserved_host flow runs; its task list starts with a
    # pre task the auto flow did not have. Upstream lists tasks by the configured list, so
    # that task comes before the ones both flows share, not after them (insertion order).
    group = "taskflow_driver_recovery_flows"
    CONF.set_override("host_auto_failure_recovery_tasks",
                      {"pre": ["disable_compute_service_task"], "main": ["prepare_HA_enabled_instances_task"],
                       "post": ["evacuate_instances_task"]}, group=group)
    CONF.set_override("host_rh_failure_recovery_tasks",
                      {"pre": ["no_op"], "main": ["disable_compute_service_task", "prepare_HA_enabled_instances_task",
                                                  "evacuate_instances_task"], "post": []}, group=group)
    _guest, uuid = auto_priority_with_no_room(cloud_env, seed)

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    assert _names(uuid) == ["FencingGate", "Noop", "DisableComputeServiceTask",
                            "PrepareHAEnabledInstancesTask", "EvacuateInstancesTask"]
