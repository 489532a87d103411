"""Process (nova-compute) failure, custom task lists in upstream's syntax, and third-party
task names from the entry point namespace."""

from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records

STOPPED = {"event": "STOPPED", "process_name": "nova-compute"}


def _one_host(cloud_env, seed):
    cloud_env.cloud.add_host("compute-1")
    seg = seed.segment()
    return seg, seed.host(seg, "compute-1")


def test_nova_compute_stopped_disables_service_and_sets_maintenance(cloud_env, seed, processor):
    seg, host = _one_host(cloud_env, seed)
    uuid = seed.notification(host, seg, "PROCESS", STOPPED)

    assert processor.process(uuid) == "finished"

    service = cloud_env.cloud.service("compute-1").service
    assert service.disabled and service.disabled_reason == "Masakari detected process failed."
    assert seed.host_row(host).on_maintenance
    assert [p["name"] for p in recovery_records.list_progress(uuid)] == [
        "DisableComputeNodeTask", "ConfirmComputeNodeDisabledTask"]


def test_other_process_is_skipped(cloud_env, seed, processor):
    seg, host = _one_host(cloud_env, seed)
    uuid = seed.notification(host, seg, "PROCESS", {"event": "STOPPED", "process_name": "libvirtd"})
    assert processor.process(uuid) == "finished"
    assert "only nova-compute" in seed.get(uuid).message
    assert not cloud_env.cloud.service("compute-1").service.disabled


def test_nova_compute_started_reenables_with_auto_recover_host(cloud_env, seed, processor):
    seg, host = _one_host(cloud_env, seed)
    processor.process(seed.notification(host, seg, "PROCESS", STOPPED))
    CONF.set_override("auto_recover_host", True, group="host_failure")
    uuid = seed.notification(host, seg, "PROCESS", dict(STOPPED, event="STARTED"))

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    assert not cloud_env.cloud.service("compute-1").service.disabled
    assert not seed.host_row(host).on_maintenance


def test_nova_compute_started_without_auto_recover_host_changes_nothing(cloud_env, seed, processor):
    seg, host = _one_host(cloud_env, seed)
    processor.process(seed.notification(host, seg, "PROCESS", STOPPED))
    uuid = seed.notification(host, seg, "PROCESS", dict(STOPPED, event="STARTED"))
    assert processor.process(uuid) == "finished"
    assert cloud_env.cloud.service("compute-1").service.disabled


def test_custom_instance_flow_in_upstream_ini_syntax(cloud_env, seed, processor, tmp_path):
    conf_file = tmp_path / "custom.conf"
    conf_file.write_text(
        "[taskflow_driver_recovery_flows]\n"
        "instance_failure_recovery_tasks = pre:['stop_instance_task', 'no_op'],"
        "main:['start_instance_task'],post:['confirm_instance_active_task']\n")
    CONF(["--config-file", str(conf_file)], project="masakari_ha", default_config_files=[])
    seg, host = _one_host(cloud_env, seed)
    vm = cloud_env.cloud.add_server("compute-1", metadata={"HA_Enabled": "yes"}, vm_state="stopped").uuid
    uuid = seed.notification(host, seg, "VM", {"event": "LIFECYCLE", "vir_domain_event": "STOPPED_FAILED",
                                               "instance_uuid": vm})

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    assert [p["name"] for p in recovery_records.list_progress(uuid)] == [
        "StopInstanceTask", "Noop", "StartInstanceTask", "ConfirmInstanceActiveTask"]
    assert cloud_env.cloud.server(vm).vm_state == "active"


def test_unknown_custom_task_fails_with_a_clear_message(cloud_env, seed, processor):
    CONF.set_override("instance_failure_recovery_tasks", {"pre": ["reboot_the_world_task"]},
                      group="taskflow_driver_recovery_flows")
    seg, host = _one_host(cloud_env, seed)
    uuid = seed.notification(host, seg, "VM", {"event": "LIFECYCLE", "vir_domain_event": "STOPPED_FAILED",
                                               "instance_uuid": "0c3b1c2e-5a0d-4d5e-8f6a-1b2c3d4e5f60"})
    assert processor.process(uuid) == "error"
    assert "'reboot_the_world_task' is not registered" in seed.get(uuid).message
