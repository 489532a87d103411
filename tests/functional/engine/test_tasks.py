"""Every task against the Nova emulator, each run twice: the second run finds Nova already
in the wanted state and changes nothing (tasks check before they act)."""

import threading
import time

import pytest

from masakari_ha import compute
from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from masakari_ha.engine import errors
from masakari_ha.engine.control import RunControl
from masakari_ha.engine.tasks import host as host_tasks
from masakari_ha.engine.tasks import instance as instance_tasks
from masakari_ha.engine.tasks import process as process_tasks
from masakari_ha.engine.tasks import recover as recover_tasks

WRITES = ("services.update", "aggregates.action")


def _writes(cloud):
    counts = cloud.call_counts()
    return {k: v for k, v in counts.items() if k.startswith("action:") or k in WRITES}


@pytest.fixture
def nova(cloud_env):
    return compute.get_client(CONF)


@pytest.fixture
def control(seed):
    seg = seed.segment()
    host = seed.host(seg, "compute-1")
    return RunControl(seed.notification(host, seg, "COMPUTE_HOST", {"event": "STOPPED"}))


def _twice(cloud, run):
    first = run()
    before = _writes(cloud)
    second = run()
    assert _writes(cloud) == before, "the second run changed Nova"
    return first, second


def test_disable_compute_service_task_disables_and_forces_down(cloud_env, nova, control):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    task = host_tasks.DisableComputeServiceTask(None, nova, control=control)
    _twice(cloud, lambda: task.execute("compute-1"))
    service = cloud.service("compute-1").service
    assert service.disabled and service.forced_down


def test_prepare_orders_ha_first_and_records_vmoves_once(cloud_env, nova, control):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    plain = cloud.add_server("compute-1", name="a-plain").uuid
    ha = cloud.add_server("compute-1", name="z-ha", metadata={"HA_Enabled": "on"}).uuid
    task = host_tasks.PrepareHAEnabledInstancesTask(None, nova, control=control)
    first, second = _twice(cloud, lambda: task.execute("compute-1", control.notification_uuid))
    assert [i["id"] for i in first] == [ha, plain] == [i["id"] for i in second]
    assert len(recovery_records.list_vmoves(control.notification_uuid)) == 2


def test_prepare_without_evacuate_all_skips_plain_guests(cloud_env, nova, control):
    CONF.set_override("evacuate_all_instances", False, group="host_failure")
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    cloud.add_server("compute-1")
    task = host_tasks.PrepareHAEnabledInstancesTask(None, nova, control=control)
    with pytest.raises(errors.SkipRecovery, match="no instances needs to be evacuated"):
        task.execute("compute-1", control.notification_uuid)


def test_evacuate_instances_task_is_idempotent(cloud_env, nova, control):
    cloud = cloud_env.cloud
    for name in ("compute-1", "compute-2"):
        cloud.add_host(name)
    guests = [cloud.add_server("compute-1").uuid for _ in range(3)]
    cloud.kill_host("compute-1", immediate=True)
    prepare = host_tasks.PrepareHAEnabledInstancesTask(None, nova, control=control)
    instances = prepare.execute("compute-1", control.notification_uuid)
    task = host_tasks.EvacuateInstancesTask(None, nova, control=control)
    _twice(cloud, lambda: task.execute("compute-1", control.notification_uuid, instances))
    assert all(cloud.server(g).host == "compute-2" for g in guests)
    assert all(cloud.evacuate_calls(g) == 1 for g in guests)


def test_guests_are_locked_while_evacuated_and_an_owners_lock_stays(cloud_env, nova, control):
    cloud = cloud_env.cloud
    cloud.latency.evacuate_schedule, cloud.latency.evacuate = 0.2, 0.6
    for name in ("compute-1", "compute-2"):
        cloud.add_host(name)
    plain = cloud.add_server("compute-1").uuid
    owners = cloud.add_server("compute-1", locked=True).uuid
    cloud.kill_host("compute-1", immediate=True)
    instances = host_tasks.PrepareHAEnabledInstancesTask(None, nova, control=control).execute(
        "compute-1", control.notification_uuid)
    task = host_tasks.EvacuateInstancesTask(None, nova, control=control)
    runner = threading.Thread(target=task.execute, args=("compute-1", control.notification_uuid, instances))
    runner.start()
    seen = []
    while runner.is_alive():
        server = cloud.server(plain)
        seen.append((server.task_state is not None, server.locked))
        time.sleep(0.01)
    runner.join()
    # Locked while Nova evacuates it (from right after it accepted), unlocked at the end.
    assert (True, True) in seen
    assert cloud.server(plain).host == "compute-2" and not cloud.server(plain).locked
    assert cloud.server(owners).locked  # the owner's lock is left alone


def test_evacuation_failure_is_recorded_and_fails_the_task(cloud_env, nova, control):
    cloud = cloud_env.cloud
    for name in ("compute-1", "compute-2"):
        cloud.add_host(name)
    good, bad = cloud.add_server("compute-1").uuid, cloud.add_server("compute-1").uuid
    cloud.fail_evacuations([bad])
    cloud.kill_host("compute-1", immediate=True)
    instances = host_tasks.PrepareHAEnabledInstancesTask(None, nova, control=control).execute(
        "compute-1", control.notification_uuid)
    task = host_tasks.EvacuateInstancesTask(None, nova, control=control)
    with pytest.raises(errors.RecoveryFailure, match=f"Failed to evacuate instances '{bad}'"):
        task.execute("compute-1", control.notification_uuid, instances)
    status = {v["instance_uuid"]: v["status"] for v in recovery_records.list_vmoves(control.notification_uuid)}
    assert status == {good: "succeeded", bad: "failed"}


def test_instance_tasks_stop_start_confirm_are_idempotent(cloud_env, nova, control):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    vm = cloud.add_server("compute-1", metadata={"HA_Enabled": "True"}).uuid
    stop = instance_tasks.StopInstanceTask(None, nova, control=control)
    was_locked, _ = _twice(cloud, lambda: stop.execute(vm))
    assert was_locked is False and cloud.server(vm).vm_state == "stopped" and cloud.server(vm).locked
    _twice(cloud, lambda: instance_tasks.StartInstanceTask(None, nova, control=control).execute(vm))
    instance_tasks.ConfirmInstanceActiveTask(None, nova, control=control).execute(vm, was_locked)
    assert cloud.server(vm).vm_state == "active" and not cloud.server(vm).locked


def test_stop_instance_task_ignores_paused_guests(cloud_env, nova, control):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    vm = cloud.add_server("compute-1", metadata={"HA_Enabled": "True"}, vm_state="paused").uuid
    with pytest.raises(errors.IgnoreRecovery, match="'paused' state"):
        instance_tasks.StopInstanceTask(None, nova, control=control).execute(vm)


def test_process_tasks_disable_and_confirm(cloud_env, nova, control):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    _twice(cloud, lambda: process_tasks.DisableComputeNodeTask(None, nova, control=control).execute(
        "nova-compute", "compute-1"))
    process_tasks.ConfirmComputeNodeDisabledTask(None, nova, control=control).execute("nova-compute", "compute-1")
    assert cloud.service("compute-1").service.disabled


def test_enable_compute_service_task_unforces_and_enables(cloud_env, nova, control):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    host_tasks.DisableComputeServiceTask(None, nova, control=control).execute("compute-1")
    _twice(cloud, lambda: recover_tasks.EnableComputeServiceTask(None, nova, control=control).execute("compute-1"))
    service = cloud.service("compute-1").service
    assert not service.disabled and not service.forced_down
