"""Field scenario: a guest crashes (libvirt STOPPED_FAILED) and is restarted."""

from masakari_ha.db import recovery_records

VM_CRASH = {"event": "LIFECYCLE", "vir_domain_event": "STOPPED_FAILED"}


def _crash(cloud, host, ha):
    server = cloud.add_server(host, metadata={"HA_Enabled": "True"} if ha else {})
    cloud.servers[server.uuid].vm_state = "stopped"  # the guest died under Nova
    cloud.servers[server.uuid].power_state = 4
    return server.uuid


def test_ha_enabled_vm_crash_is_restarted(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    seg = seed.segment()
    host = seed.host(seg, "compute-1")
    vm = _crash(cloud, "compute-1", ha=True)
    uuid = seed.notification(host, seg, "VM", dict(VM_CRASH, instance_uuid=vm))

    assert processor.process(uuid) == "finished"

    server = cloud.server(vm)
    assert server.vm_state == "active"
    assert not server.locked
    names = [p["name"] for p in recovery_records.list_progress(uuid)]
    assert names == ["StopInstanceTask", "StartInstanceTask", "ConfirmInstanceActiveTask"]
    assert all(p["state"] == "SUCCESS" for p in recovery_records.list_progress(uuid))


def test_vm_without_ha_flag_is_skipped_and_left_alone(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    cloud.add_host("compute-1")
    seg = seed.segment()
    host = seed.host(seg, "compute-1")
    vm = _crash(cloud, "compute-1", ha=False)
    uuid = seed.notification(host, seg, "VM", dict(VM_CRASH, instance_uuid=vm))

    assert processor.process(uuid) == "finished"
    assert cloud.server(vm).vm_state == "stopped"
    assert "not Ha_Enabled" in seed.get(uuid).message


def test_event_outside_whitelist_is_ignored(cloud_env, seed, processor):
    cloud_env.cloud.add_host("compute-1")
    seg = seed.segment()
    host = seed.host(seg, "compute-1")
    uuid = seed.notification(host, seg, "VM", {"event": "LIFECYCLE", "vir_domain_event": "STOPPED_DESTROYED",
                                               "instance_uuid": "0c3b1c2e-5a0d-4d5e-8f6a-1b2c3d4e5f60"})
    assert processor.process(uuid) == "ignored"


def test_disabled_segment_ignores_notification(cloud_env, seed, processor):
    cloud_env.cloud.add_host("compute-1")
    seg = seed.segment(enabled=False)
    host = seed.host(seg, "compute-1")
    uuid = seed.notification(host, seg, "VM", dict(VM_CRASH, instance_uuid="0c3b1c2e-5a0d-4d5e-8f6a-1b2c3d4e5f60"))
    assert processor.process(uuid) == "ignored"
    assert seed.get(uuid).message == "Recovery aboart: the segment HA is disabled."
