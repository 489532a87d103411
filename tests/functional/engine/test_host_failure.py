"""Field scenarios of a compute host failure, against the Nova emulator over HTTP."""

import datetime

import pytest

from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from tests.functional.engine.conftest import STOPPED, auto_priority_with_no_room


def _cloud(cloud, hosts=("compute-1", "compute-2", "compute-3")):
    for name in hosts:
        cloud.add_host(name)


def _guests(cloud, host="compute-1"):
    """One guest per interesting vm_state, as upstream's per-state table lists them."""
    made = {
        "active": cloud.add_server(host, metadata={"HA_Enabled": "True"}),
        "active-plain": cloud.add_server(host),
        "stopped": cloud.add_server(host, vm_state="stopped"),
        "error": cloud.add_server(host, vm_state="error"),
        "paused": cloud.add_server(host, vm_state="paused"),
    }
    return {k: v.uuid for k, v in made.items()}


def _expect_original_states(cloud, guests, failed="compute-1"):
    for kind, uuid in guests.items():
        server = cloud.server(uuid)
        assert server.host not in (None, failed), kind
        assert server.task_state is None, kind
        assert not server.locked, kind
        expected = {"active": "active", "active-plain": "active", "stopped": "stopped",
                    "error": "error", "paused": "stopped"}[kind]
        assert server.vm_state == expected, (kind, server.vm_state)
        assert cloud.evacuate_calls(uuid) == 1, kind


@pytest.mark.parametrize("microversion,keep_power_state,starts", [
    ("2.53", True, 0),
    # Evacuate requests capped at 2.94: Nova starts the running guests itself.
    ("2.96", True, 0),
    # Evacuate at 2.96: Nova leaves evacuated guests stopped, the engine starts the two
    # that were running (and only those).
    ("2.96", False, 2),
])
def test_auto_every_guest_on_another_host_in_its_power_state(cloud_env, seed, processor, microversion,
                                                             keep_power_state, starts):
    CONF.set_override("api_max_microversion", microversion, group="nova")
    CONF.set_override("keep_power_state_on_evacuation", keep_power_state, group="host_failure")
    cloud = cloud_env.cloud
    _cloud(cloud)
    guests = _guests(cloud)
    seg = seed.segment(recovery_method="auto")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3")
    cloud.kill_host("compute-1")  # Nova still thinks it is up: only force-down makes evacuate work
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    _expect_original_states(cloud, guests)
    assert cloud.call_counts().get("action:os-start", 0) == starts
    service = cloud.service("compute-1")
    assert service.service.disabled and service.service.forced_down
    assert service.service.disabled_reason == "Masakari detected host failed."
    assert seed.host_row(failed).on_maintenance
    vmoves = recovery_records.list_vmoves(uuid)
    assert sorted(v["instance_uuid"] for v in vmoves) == sorted(guests.values())
    assert {v["status"] for v in vmoves} == {"succeeded"}
    assert all(v["dest_host"] in ("compute-2", "compute-3") for v in vmoves)
    progress = recovery_records.list_progress(uuid)
    assert [p["name"] for p in progress] == ["FencingGate", "DisableComputeServiceTask",
                                             "PrepareHAEnabledInstancesTask", "EvacuateInstancesTask"]
    assert progress[-1]["progress_details"][-1]["message"] == "Evacuation process completed!"


def test_reserved_host_enabled_reserved_cleared_failed_host_on_maintenance(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    _cloud(cloud)
    nova = cloud_env.novaclient("2.53")
    spare = [s for s in nova.services.list(host="compute-3", binary="nova-compute")][0]
    nova.services.disable_log_reason(spare.id, "reserved for masakari")
    guests = [cloud.add_server("compute-1").uuid for _ in range(3)]
    seg = seed.segment(recovery_method="reserved_host")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    reserved = seed.host(seg, "compute-3", reserved=True)
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    assert all(cloud.server(g).host == "compute-3" for g in guests)
    assert not cloud.service("compute-3").service.disabled
    assert not seed.host_row(reserved).reserved
    assert seed.host_row(failed).on_maintenance


def test_reserved_hosts_spread_when_one_cannot_take_all(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    for name in ("compute-1", "compute-2"):
        cloud.add_host(name)
    cloud.add_host("spare-1", vcpus=2, memory_mb=1024)
    cloud.add_host("spare-2", vcpus=2, memory_mb=1024)
    guests = [cloud.add_server("compute-1").uuid for _ in range(4)]  # m1.tiny: 1 vCPU, 512 MB
    seg = seed.segment(recovery_method="reserved_host")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "spare-1", reserved=True)
    seed.host(seg, "spare-2", reserved=True)
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    hosts = sorted(cloud.server(g).host for g in guests)
    assert hosts == ["spare-1", "spare-1", "spare-2", "spare-2"]


def test_auto_priority_falls_back_to_reserved_host(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    guest, uuid = auto_priority_with_no_room(cloud_env, seed)

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    server = cloud.server(guest)
    assert server.host == "compute-3"
    assert server.vm_state == "active"


def test_rh_priority_falls_back_to_auto_without_reserved_hosts(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    _cloud(cloud)
    guest = cloud.add_server("compute-1").uuid
    seg = seed.segment(recovery_method="rh_priority")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3")
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert processor.process(uuid) == "finished", seed.get(uuid).message
    assert cloud.server(guest).host in ("compute-2", "compute-3")
    assert cloud.evacuate_calls(guest) == 1


def test_fencing_not_confirmed_nothing_evacuated(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    _cloud(cloud)
    guest = cloud.add_server("compute-1").uuid
    seg = seed.segment()
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", dict(STOPPED, host_status="UNKNOWN"))

    assert processor.process(uuid) == "error"

    notification = seed.get(uuid)
    assert "Fencing check failed for host compute-1" in notification.message
    assert cloud.evacuate_calls(guest) == 0
    assert cloud.server(guest).host == "compute-1"
    assert not cloud.service("compute-1").service.disabled
    assert not seed.host_row(failed).on_maintenance


def test_mass_failure_holds_new_recoveries_in_error(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    names = ["compute-1", "compute-2", "compute-3", "compute-4"]
    _cloud(cloud, names)
    guest = cloud.add_server("compute-3").uuid
    seg = seed.segment()
    hosts = {name: seed.host(seg, name) for name in names}
    now = datetime.datetime.utcnow().replace(microsecond=0)
    seed.notification(hosts["compute-1"], seg, "COMPUTE_HOST", STOPPED, now - datetime.timedelta(seconds=30))
    seed.notification(hosts["compute-2"], seg, "COMPUTE_HOST", STOPPED, now - datetime.timedelta(seconds=20))
    uuid = seed.notification(hosts["compute-3"], seg, "COMPUTE_HOST", STOPPED, now)

    assert processor.process(uuid) == "error"

    message = seed.get(uuid).message
    assert "Mass failure guard: 3 of 4 hosts" in message
    assert cloud.evacuate_calls(guest) == 0
    # Held before the fencing gate: the host was not powered off (maybe only partitioned).
    assert "FencingGate" not in [p["name"] for p in recovery_records.list_progress(uuid)]
    assert CONF.host_failure.mass_failure_threshold == 50


def test_host_without_guests_finishes_with_skip(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    _cloud(cloud)
    seg = seed.segment()
    failed = seed.host(seg, "compute-1")
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)
    assert processor.process(uuid) == "finished"
    assert "no instances needs to be evacuated" in seed.get(uuid).message


def test_reserved_host_joins_every_aggregate_of_the_failed_host(cloud_env, seed, processor):
    CONF.set_override("add_reserved_host_to_aggregate", True, group="host_failure")
    cloud = cloud_env.cloud
    _cloud(cloud)
    cloud.add_aggregate("az-a", hosts=["compute-1", "compute-2"])
    cloud.add_aggregate("gpu", hosts=["compute-1"])
    cloud.add_aggregate("other", hosts=["compute-2"])
    guest = cloud.add_server("compute-1").uuid
    seg = seed.segment(recovery_method="reserved_host")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3", reserved=True)
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    members = {a.name: set(a.hosts) for a in cloud.list_aggregates()}
    assert "compute-3" in members["az-a"] and "compute-3" in members["gpu"]
    assert "compute-3" not in members["other"]
    assert cloud.server(guest).host == "compute-3"


def test_failed_host_that_was_reserved_leaves_the_reserve(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    _cloud(cloud)
    seg = seed.segment()
    failed = seed.host(seg, "compute-1", reserved=True)
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)
    assert processor.process(uuid) == "finished"
    row = seed.host_row(failed)
    assert row.on_maintenance and not row.reserved


def test_nova_errors_and_slow_answers_do_not_double_evacuate(cloud_env, seed, processor):
    CONF.set_override("timeout", 0.5, group="nova")
    cloud = cloud_env.cloud
    _cloud(cloud)
    guests = [cloud.add_server("compute-1").uuid for _ in range(4)]
    cloud.inject("action:evacuate", status=500, times=2)           # refused: must be retried
    cloud.inject("action:evacuate", status=None, delay=1.0, times=2)  # accepted, answer too late
    cloud.inject("servers.get", status=503, times=5)               # polling through a hiccup
    seg = seed.segment()
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3")
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert processor.process(uuid) == "finished", seed.get(uuid).message

    assert {g: cloud.evacuate_calls(g) for g in guests} == {g: 1 for g in guests}
    assert all(cloud.server(g).host in ("compute-2", "compute-3") for g in guests)


def test_priority_method_failing_both_ways_names_both_reasons(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    _cloud(cloud, ("compute-1", "compute-2"))
    cloud.set_capacity_full("compute-2")
    guest = cloud.add_server("compute-1").uuid
    seg = seed.segment(recovery_method="auto_priority")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert processor.process(uuid) == "error"

    message = seed.get(uuid).message
    assert f"auto recovery failed: Failed to evacuate instances '{guest}'" in message
    assert "reserved_host recovery failed: No reserved_hosts available" in message
