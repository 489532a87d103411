"""Evacuation as real Nova does it: refusals, transitions, migration records, scheduler."""

import pytest

from masakari_ha.simulator.nova import model
from masakari_ha.simulator.nova.model import NovaError

from .conftest import DOWN_TIME, force_down


def test_refused_while_source_service_is_up(cloud):
    server = cloud.add_server("compute-1")
    with pytest.raises(NovaError) as err:
        cloud.evacuate(server.uuid)
    assert err.value.code == 400
    assert err.value.message == "Compute service of compute-1 is still in use."
    assert cloud.evacuate_calls(server.uuid) == 0
    assert cloud.list_migrations() == []


def test_disabled_but_not_down_is_still_in_use(cloud):
    server = cloud.add_server("compute-1")
    svc = cloud.find_service("compute-1", "nova-compute")
    cloud.update_service(svc.uuid, status="disabled", disabled_reason="x")
    with pytest.raises(NovaError, match="still in use"):
        cloud.evacuate(server.uuid)


def test_killed_host_goes_down_only_after_service_down_time(cloud):
    server = cloud.add_server("compute-1")
    cloud.kill_host("compute-1")
    cloud.advance(DOWN_TIME - 1)
    assert cloud.service("compute-1").up
    with pytest.raises(NovaError, match="still in use"):
        cloud.evacuate(server.uuid)
    cloud.advance(2)
    assert not cloud.service("compute-1").up
    assert cloud.evacuate(server.uuid).status == model.MIGRATION_ACCEPTED


def test_immediate_kill_is_down_at_once(cloud):
    cloud.kill_host("compute-2", immediate=True)
    assert not cloud.service("compute-2").up


def test_accepted_after_force_down_and_progresses_to_done(cloud):
    server = cloud.add_server("compute-1", metadata={"HA_Enabled": "True"})
    force_down(cloud, "compute-1")
    mig = cloud.evacuate(server.uuid)
    assert (mig.status, mig.migration_type, mig.source_compute) == ("accepted", "evacuation",
                                                                     "compute-1")
    now = cloud.server(server.uuid)
    assert (now.task_state, now.host) == (model.REBUILDING, "compute-1")
    cloud.advance(1.0)
    now = cloud.server(server.uuid)
    assert now.task_state == model.REBUILD_SPAWNING
    assert now.host in ("compute-2", "compute-3")
    assert cloud.list_migrations(instance_uuid=server.uuid)[0].status == "pre-migrating"
    cloud.advance(4.0)
    now = cloud.server(server.uuid)
    assert (now.vm_state, now.task_state, now.power_state) == ("active", None, model.RUNNING)
    mig = cloud.list_migrations(instance_uuid=server.uuid)[0]
    assert (mig.status, mig.dest_compute) == ("done", now.host)
    assert cloud.evacuate_calls(server.uuid) == 1


def test_second_evacuate_while_rebuilding_is_409(cloud):
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    cloud.evacuate(server.uuid)
    with pytest.raises(NovaError) as err:
        cloud.evacuate(server.uuid)
    assert err.value.code == 409
    assert "task_state rebuilding" in err.value.message
    assert cloud.evacuate_calls(server.uuid) == 1


@pytest.mark.parametrize("state", ["paused", "suspended", "rescued", "resized", "shelved"])
def test_only_active_stopped_error_are_evacuable(cloud, state):
    server = cloud.add_server("compute-1", vm_state=state)
    force_down(cloud, "compute-1")
    with pytest.raises(NovaError) as err:
        cloud.evacuate(server.uuid)
    assert err.value.code == 409
    assert f"vm_state {state}" in err.value.message


@pytest.mark.parametrize("before,target,after", [
    ("active", None, "active"), ("stopped", None, "stopped"), ("error", None, "active"),
    ("active", "stopped", "stopped"),  # microversion >= 2.95
])
def test_arrival_state(cloud, before, target, after):
    server = cloud.add_server("compute-1", vm_state=before)
    force_down(cloud, "compute-1")
    cloud.evacuate(server.uuid, target_state=target)
    cloud.advance(5.0)
    assert cloud.server(server.uuid).vm_state == after
    assert cloud.server(server.uuid).power_state == model.POWER_FOR_VM_STATE[after]


def test_same_host_and_unknown_host_refused(cloud):
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    with pytest.raises(NovaError) as err:
        cloud.evacuate(server.uuid, host="compute-1")
    assert (err.value.code, err.value.message) == (400, "The target host can't be the same one.")
    with pytest.raises(NovaError) as err:
        cloud.evacuate(server.uuid, host="nowhere")
    assert err.value.code == 404


def test_named_disabled_target_fails_in_scheduler(cloud):
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    target = cloud.find_service("compute-2", "nova-compute")
    cloud.update_service(target.uuid, status="disabled", disabled_reason="maintenance")
    cloud.evacuate(server.uuid, host="compute-2")
    cloud.advance(1.0)
    now = cloud.server(server.uuid)
    assert (now.vm_state, now.task_state, now.host) == ("error", None, "compute-1")
    assert "No valid host" in now.fault["message"]
    assert cloud.list_migrations(instance_uuid=server.uuid)[0].status == "error"


def test_named_target_is_used(cloud):
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    cloud.evacuate(server.uuid, host="compute-3")
    cloud.advance(5.0)
    assert cloud.server(server.uuid).host == "compute-3"


def test_scheduler_skips_down_and_full_hosts(cloud):
    cloud.add_host("compute-4")
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    cloud.kill_host("compute-2", immediate=True)
    cloud.set_capacity_full("compute-3")
    cloud.evacuate(server.uuid)
    cloud.advance(5.0)
    assert cloud.server(server.uuid).host == "compute-4"


def test_no_capacity_anywhere_is_no_valid_host(cloud):
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    cloud.set_capacity_full("compute-2")
    cloud.set_capacity_full("compute-3")
    cloud.evacuate(server.uuid)
    cloud.advance(5.0)
    assert cloud.server(server.uuid).vm_state == "error"
    assert cloud.list_migrations()[0].status == "error"


def test_capacity_is_counted_per_flavor(cloud):
    small = cloud.add_host("small", vcpus=2, memory_mb=1024, local_gb=10)
    assert small.name == "small"
    for name in ("compute-2", "compute-3"):
        cloud.set_capacity_full(name)
    servers = [cloud.add_server("compute-1") for _ in range(3)]
    force_down(cloud, "compute-1")
    for server in servers:
        cloud.evacuate(server.uuid)
    cloud.advance(5.0)
    states = sorted(cloud.server(s.uuid).vm_state for s in servers)
    assert states == ["active", "active", "error"]
    assert cloud.usage("small")["running_vms"] == 2


def test_injected_evacuation_failure(cloud):
    good, bad = cloud.add_server("compute-1"), cloud.add_server("compute-1")
    cloud.fail_evacuations([bad.uuid])
    force_down(cloud, "compute-1")
    cloud.evacuate(good.uuid)
    cloud.evacuate(bad.uuid)
    cloud.advance(5.0)
    assert cloud.server(good.uuid).vm_state == "active"
    failed = cloud.server(bad.uuid)
    assert (failed.vm_state, failed.host) == ("error", "compute-1")
    assert cloud.list_migrations(instance_uuid=bad.uuid)[0].status == "failed"


def test_destination_dying_mid_rebuild_leaves_guest_stuck(cloud):
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    cloud.evacuate(server.uuid, host="compute-2")
    cloud.advance(1.0)
    cloud.kill_host("compute-2")
    cloud.advance(10.0)
    assert cloud.server(server.uuid).task_state == model.REBUILD_SPAWNING
    assert cloud.list_migrations()[0].status == "pre-migrating"


def test_locked_guest_can_be_evacuated_by_admin(cloud):
    server = cloud.add_server("compute-1", locked=True)
    force_down(cloud, "compute-1")
    cloud.evacuate(server.uuid)
    cloud.advance(5.0)
    assert cloud.server(server.uuid).vm_state == "active"
    assert cloud.server(server.uuid).locked


def test_hypervisor_hostname_may_differ_from_service_host(cloud):
    cloud.add_host("compute-4", hypervisor_hostname="compute-4.example.org")
    for name in ("compute-2", "compute-3"):
        cloud.set_capacity_full(name)
    server = cloud.add_server("compute-1")
    force_down(cloud, "compute-1")
    cloud.evacuate(server.uuid)
    cloud.advance(5.0)
    mig = cloud.list_migrations(instance_uuid=server.uuid)[0]
    assert (mig.source_node, mig.dest_compute, mig.dest_node) == (
        "compute-1", "compute-4", "compute-4.example.org")
    assert cloud.node_of(cloud.server(server.uuid).host) == "compute-4.example.org"
    assert [h["host"].name for h in cloud.list_hypervisors("example.org")] == ["compute-4"]
