"""NovaClient against the Nova emulator over real HTTP, authenticated by the Keystone emulator."""

from __future__ import annotations

import dataclasses
import datetime
import threading
import time

import pytest

from masakari_ha import compute
from masakari_ha.engine import planning
from tests.functional.compute.nova_conf import private_nova_conf


def wait_for(predicate, timeout=5.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def test_negotiates_highest_common_microversion(nova_env):
    client = nova_env.make_client()
    assert str(client.microversion) == "2.96"
    assert client.evacuate_leaves_stopped is True
    capped = nova_env.make_client(api_max_microversion="2.94")
    assert str(capped.microversion) == "2.94" and capped.evacuate_leaves_stopped is False


def test_one_token_for_many_calls_and_threads(nova_env):
    client = nova_env.make_client()
    before = nova_env.identity.issued
    threads = [threading.Thread(target=lambda: [client.get_compute_service("compute-1") for _ in range(5)])
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert nova_env.identity.issued - before == 1


def test_reauthenticates_when_token_expires(nova_env):
    client = nova_env.make_client()
    assert client.compute_service_exists("compute-1")
    issued = nova_env.identity.issued
    nova_env.identity.expire_all()
    assert client.compute_service_exists("compute-2")
    assert nova_env.identity.issued == issued + 1


def test_wrong_password_is_forbidden(nova_env):
    client = nova_env.make_client(password="wrong")
    with pytest.raises(compute.NovaForbidden):
        client.compute_service_exists("compute-1")


def test_service_lookup(nova_env):
    client = nova_env.make_client()
    assert client.compute_service_exists("compute-1")
    assert not client.compute_service_exists("compute-9")
    assert not client.compute_service_exists("compute")  # exact names only
    svc = client.get_compute_service("compute-2")
    assert (svc.host, svc.binary, svc.status, svc.state, svc.forced_down) == (
        "compute-2", "nova-compute", "enabled", "up", False)
    with pytest.raises(compute.NovaNotFound, match="compute-9"):
        client.get_compute_service("compute-9")


def test_disable_and_enable_are_idempotent(nova_env):
    client = nova_env.make_client()
    svc = client.disable_service("compute-1", "Disabled by masakari_ha")
    assert svc.disabled and svc.disabled_reason == "Disabled by masakari_ha"
    again = client.disable_service("compute-1", "another reason")
    assert again.disabled_reason == "Disabled by masakari_ha"
    assert not client.enable_service("compute-1").disabled
    assert not client.enable_service("compute-1").disabled
    assert nova_env.cloud.service("compute-1").service.disabled is False


@pytest.mark.parametrize("cap", ["2.53", "2.96"])
def test_disable_and_force_down_is_one_update_and_idempotent(nova_env, cap):
    cloud = nova_env.cloud
    client = nova_env.make_client(api_max_microversion=cap)
    client.get_compute_service("compute-1")  # negotiated, token held
    before = cloud.call_counts()
    svc = client.disable_and_force_down("compute-1", "Disabled by masakari_ha")
    assert (svc.disabled, svc.forced_down, svc.disabled_reason) == (True, True, "Disabled by masakari_ha")
    after = cloud.call_counts()
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "services.list": 1, "services.update": 1}
    model = cloud.service("compute-1").service
    assert model.disabled and model.forced_down
    # Nothing left to change: read only.
    assert client.disable_and_force_down("compute-1", "another reason").disabled_reason == "Disabled by masakari_ha"
    assert cloud.call_counts()["services.update"] == after["services.update"]


def test_disable_and_force_down_keeps_an_operators_reason(nova_env):
    client = nova_env.make_client()
    client.disable_service("compute-2", "maintenance by ops")
    svc = client.disable_and_force_down("compute-2", "Disabled by masakari_ha")
    assert (svc.disabled_reason, svc.forced_down) == ("maintenance by ops", True)
    assert nova_env.cloud.service("compute-2").service.disabled_reason == "maintenance by ops"


def test_evacuate_needs_the_source_down_then_confirms_by_migration(nova_env):
    cloud = nova_env.cloud
    guest = cloud.add_server("compute-1", metadata={"HA_Enabled": "True"})
    client = nova_env.make_client(api_max_microversion="2.94")
    cloud.kill_host("compute-1")  # dead, but Nova has not noticed yet
    with pytest.raises(compute.ComputeServiceStillInUse, match="still in use"):
        client.evacuate(guest.uuid)
    assert client.force_down("compute-1", True).forced_down
    assert client.force_down("compute-1", True).forced_down  # no-op
    before = client.get_server(guest.uuid)
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    client.evacuate(guest.uuid)

    def verdict():
        v = planning.is_evacuation_confirmed(client.get_server(guest.uuid),
                                             client.list_evacuations(instance_uuid=guest.uuid),
                                             "compute-1", vm_state_before=before.vm_state, since=since)
        assert not v.failed, v.reason
        return v if v.confirmed else None

    result = wait_for(verdict)
    after = client.get_server(guest.uuid)
    assert result.dest_host == after.host != "compute-1"
    assert after.vm_state == "active"  # < 2.95 keeps the guest running
    assert cloud.evacuate_calls(guest.uuid) == 1

    with pytest.raises(compute.ForceUpRefused, match="compute-1"):
        client.force_down("compute-1", False)
    cloud.restart_compute("compute-1")
    assert not client.force_down("compute-1", False).forced_down
    statuses = {m.status for m in client.list_evacuations(source_compute="compute-1")}
    assert statuses == {"completed"}


def test_evacuated_guest_arrives_stopped_at_2_95(nova_env):
    cloud = nova_env.cloud
    guest = cloud.add_server("compute-2")
    client = nova_env.make_client()
    cloud.kill_host("compute-2", immediate=True)
    client.evacuate(guest.uuid, host="compute-3")
    wait_for(lambda: planning.is_evacuation_confirmed(
        client.get_server(guest.uuid), client.list_evacuations(instance_uuid=guest.uuid), "compute-2").confirmed)
    server = client.get_server(guest.uuid)
    assert server.host == "compute-3" and server.vm_state == "stopped"
    # The engine's plan for the guest as it was before the failure: start it again.
    steps = planning.evacuation_steps(dataclasses.replace(server, vm_state="active", host="compute-2"),
                                      evacuate_leaves_stopped=client.evacuate_leaves_stopped)
    assert steps.start_after and steps.final_vm_state == "active"


def test_failed_evacuation_is_reported_failed(nova_env):
    cloud = nova_env.cloud
    guest = cloud.add_server("compute-1")
    cloud.fail_evacuations([guest.uuid])
    client = nova_env.make_client()
    client.force_down("compute-1", True)
    client.evacuate(guest.uuid)
    verdict = wait_for(lambda: (lambda v: v if not v.pending else None)(planning.is_evacuation_confirmed(
        client.get_server(guest.uuid), client.list_evacuations(instance_uuid=guest.uuid), "compute-1",
        vm_state_before="active")))
    assert verdict.failed


def test_lists_every_server_of_a_host_across_pages(nova_env):
    cloud = nova_env.cloud
    ids = {cloud.add_server("compute-3", metadata={"i": str(i)}).uuid for i in range(12)}
    cloud.add_server("compute-4")
    other_project = nova_env.identity.add_project("tenant-b")
    ids.add(cloud.add_server("compute-3", project_id=other_project.id).uuid)
    servers = nova_env.make_client().list_servers_on_host("compute-3")
    assert {s.id for s in servers} == ids  # 13 > max_limit 5: three pages, all projects
    assert all(s.host == "compute-3" and s.vcpus and s.ram_mb is not None for s in servers)


def test_stop_start_lock_unlock_reset_are_idempotent(nova_env):
    cloud = nova_env.cloud
    guest = cloud.add_server("compute-1").uuid
    client = nova_env.make_client()
    client.stop(guest)
    wait_for(lambda: client.get_server(guest).vm_state == "stopped")
    client.stop(guest)  # Nova answers 409; the guest is stopped, so that is fine
    client.start(guest)
    wait_for(lambda: client.get_server(guest).vm_state == "active")
    client.start(guest)
    client.lock(guest, "masakari_ha recovery")
    client.lock(guest, "masakari_ha recovery")
    assert client.get_server(guest).locked
    assert cloud.server(guest).locked_reason == "masakari_ha recovery"
    client.unlock(guest)
    client.unlock(guest)
    assert not client.get_server(guest).locked
    client.reset_state(guest, "error")
    assert client.get_server(guest).vm_state == "error"
    client.reset_state(guest, "active")
    assert client.get_server(guest).vm_state == "active"
    with pytest.raises(ValueError):
        client.reset_state(guest, "stopped")


def test_stop_conflict_in_other_state_raises(nova_env):
    cloud = nova_env.cloud
    guest = cloud.add_server("compute-1", vm_state="active", task_state="rebooting").uuid
    with pytest.raises(compute.NovaConflict, match=guest):
        nova_env.make_client().stop(guest)


def test_aggregates(nova_env):
    agg = nova_env.cloud.add_aggregate("ssd", hosts=["compute-1"])
    client = nova_env.make_client()
    client.add_host_to_aggregate(agg.id, "compute-2")
    client.add_host_to_aggregate(agg.id, "compute-2")  # already a member: no error
    [listed] = [a for a in client.list_aggregates() if a.id == agg.id]
    assert listed.name == "ssd" and set(listed.hosts) == {"compute-1", "compute-2"}
    with pytest.raises(compute.NovaNotFound):
        client.add_host_to_aggregate(9999, "compute-2")


def test_host_capacities(nova_env):
    cloud = nova_env.cloud
    for _ in range(3):
        cloud.add_server("compute-4")
    caps = nova_env.make_client().host_capacities(["compute-4", "compute-1", "nowhere"])
    usage = cloud.usage("compute-4")
    host = cloud.hosts["compute-4"]
    assert caps["compute-4"].free_vcpus == host.vcpus - usage["vcpus_used"]
    assert caps["compute-4"].free_ram_mb == host.memory_mb - usage["memory_mb_used"]
    assert caps["compute-4"].free_disk_gb == host.local_gb - usage["local_gb_used"]
    assert caps["compute-4"].running_vms == 3
    # Placement (when the emulator offers it) applies allocation ratios itself and reports no
    # totals; the os-hypervisors fallback reports them for the planner.
    assert caps["compute-4"].total_vcpus in (None, host.vcpus)
    assert caps["compute-1"].running_vms == 0
    assert not caps["nowhere"].known


def test_errors_are_translated(nova_env):
    cloud = nova_env.cloud
    guest = cloud.add_server("compute-1").uuid
    client = nova_env.make_client()
    with pytest.raises(compute.NovaNotFound, match="no-such-uuid"):
        client.get_server("no-such-uuid")
    cloud.inject("servers.get", status=500, times=1)
    with pytest.raises(compute.NovaUnavailable) as info:
        client.get_server(guest)
    assert info.value.retryable and guest in str(info.value)
    assert client.get_server(guest).id == guest


def test_timeout_is_unavailable(nova_env):
    cloud = nova_env.cloud
    guest = cloud.add_server("compute-1").uuid
    client = nova_env.make_client(timeout=1)
    client.get_server(guest)
    cloud.inject("servers.get", status=None, delay=2.5, times=1)
    with pytest.raises(compute.NovaUnavailable, match="cannot reach Nova"):
        client.get_server(guest)


def test_endpoint_override_wins_over_the_catalog(nova_env):
    guest = nova_env.cloud.add_server("compute-1").uuid
    nova_env.set_endpoint("compute", "nova", "http://127.0.0.1:1/v2.1")  # nothing listens there
    client = nova_env.make_client(endpoint_override=nova_env.nova_url, region_name="RegionOne",
                                  valid_interfaces=["internal", "public"])
    assert client.get_server(guest).id == guest
    broken = nova_env.make_client()
    with pytest.raises(compute.NovaUnavailable, match="cannot reach Nova"):
        broken.get_server(guest)



@pytest.mark.parametrize("cap", ["2.53", "2.72", "2.87"])
def test_older_microversions_work_end_to_end(nova_env, cap):
    cloud = nova_env.cloud
    running = cloud.add_server("compute-2").uuid
    stopped = cloud.add_server("compute-2", vm_state="stopped").uuid
    client = nova_env.make_client(api_max_microversion=cap)
    assert str(client.microversion) == cap and not client.evacuate_leaves_stopped
    client.lock(running, "recovery")  # no reason sent below 2.73
    assert client.get_server(running).locked
    assert client.disable_service("compute-2", "down").disabled
    assert client.force_down("compute-2", True).forced_down
    for uuid in (running, stopped):
        client.evacuate(uuid)
    wait_for(lambda: all(planning.is_evacuation_confirmed(
        client.get_server(u), client.list_evacuations(instance_uuid=u), "compute-2").confirmed
        for u in (running, stopped)))
    assert client.get_server(running).vm_state == "active"
    assert client.get_server(stopped).vm_state == "stopped"
    assert client.host_capacities(["compute-1"])["compute-1"].known


def test_no_1000_server_cap_at_novas_default_max_limit(sim_factory):
    env = sim_factory(hosts=["compute-1"], latency="fast")  # Nova's default [api] max_limit 1000
    for _ in range(1203):
        env.cloud.add_server("compute-1")
    compute.reset()
    conf = private_nova_conf()
    env.configure_nova(conf)
    servers = compute.NovaClient.from_conf(conf).list_servers_on_host("compute-1")
    assert len({s.id for s in servers}) == 1203
    assert env.cloud.call_counts()["servers.list"] == 3  # 1000 + 203 + the empty page that ends it
    compute.reset()


def test_capacity_from_placement_sees_what_the_scheduler_sees(nova_env):
    cloud = nova_env.cloud
    cloud.add_host("compute-9", vcpus=16, memory_mb=32768, local_gb=100,
                   hypervisor_hostname="compute-9.cloud.example")
    cloud.add_server("compute-9")
    client = nova_env.make_client()
    cap = client.host_capacities(["compute-9"])["compute-9"]
    usage = cloud.usage("compute-9")
    assert (cap.free_vcpus, cap.free_ram_mb, cap.free_disk_gb, cap.running_vms) == (
        16 - usage["vcpus_used"], 32768 - usage["memory_mb_used"], 100 - usage["local_gb_used"], 1)
    assert cap.total_vcpus is None  # came from Placement (ratios applied there)
    cloud.set_capacity_full("compute-9")
    full = client.host_capacities(["compute-9"])["compute-9"]
    assert (full.free_vcpus, full.free_ram_mb, full.free_disk_gb) == (0, 0, 0)


def test_capacity_without_placement_falls_back_to_hypervisors(sim_factory):
    env = sim_factory(hosts=["compute-1"], latency="fast", placement=False)
    env.cloud.add_server("compute-1")
    compute.reset()
    conf = private_nova_conf()
    env.configure_nova(conf)
    cap = compute.NovaClient.from_conf(conf).host_capacities(["compute-1"])["compute-1"]
    host = env.cloud.hosts["compute-1"]
    assert cap.total_vcpus == host.vcpus and cap.free_vcpus == host.vcpus - env.cloud.usage("compute-1")["vcpus_used"]
    compute.reset()


def test_fqdn_hypervisor_names_do_not_break_confirmation(nova_env):
    """Upstream compares hypervisor_hostname with the failed host name; we use the service host."""
    cloud = nova_env.cloud
    cloud.add_host("node-a", hypervisor_hostname="node-a.cloud.example")
    cloud.add_host("node-b", hypervisor_hostname="node-b.cloud.example")
    for name in ("compute-1", "compute-2", "compute-3", "compute-4"):
        cloud.set_capacity_full(name)
    guest = cloud.add_server("node-a").uuid
    client = nova_env.make_client()
    assert client.get_server(guest).hypervisor_hostname == "node-a.cloud.example"
    client.force_down("node-a", True)
    client.evacuate(guest)
    verdict = wait_for(lambda: (lambda v: v if v.confirmed else None)(planning.is_evacuation_confirmed(
        client.get_server(guest), client.list_evacuations(instance_uuid=guest), "node-a",
        vm_state_before="active")))
    assert verdict.dest_host == "node-b"
    assert client.get_server(guest).hypervisor_hostname == "node-b.cloud.example"
