"""The Nova emulator through real HTTP with python-novaclient + keystoneauth1 (the engine's client)."""

import time

import pytest
from novaclient import exceptions as nova_exc

HA = {"HA_Enabled": "True"}


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def compute_service(nova, host):
    (svc,) = nova.services.list(host=host, binary="nova-compute")
    return svc


def test_services_disable_and_force_down(sim_env):
    nova = sim_env.novaclient("2.53")
    svc = compute_service(nova, "compute-1")
    assert (svc.status, svc.state, svc.forced_down) == ("enabled", "up", False)
    nova.services.disable_log_reason(svc.id, "Masakari detected host failed.")
    nova.services.force_down(svc.id, True)
    svc = compute_service(nova, "compute-1")
    assert (svc.status, svc.state, svc.forced_down) == ("disabled", "down", True)
    assert svc.disabled_reason == "Masakari detected host failed."


def test_legacy_service_calls_before_253(sim_env):
    nova = sim_env.novaclient("2.11")
    svc = compute_service(nova, "compute-2")
    assert isinstance(svc.id, int)
    nova.services.disable_log_reason("compute-2", "nova-compute", "old style")
    nova.services.force_down("compute-2", "nova-compute", True)
    svc = compute_service(nova, "compute-2")
    assert (svc.status, svc.disabled_reason, svc.forced_down) == ("disabled", "old style", True)
    nova.services.enable("compute-2", "nova-compute")
    assert compute_service(nova, "compute-2").status == "enabled"


def test_evacuate_refused_while_up_then_accepted_after_force_down(sim_env):
    server = sim_env.cloud.add_server("compute-1", metadata=HA)
    nova = sim_env.novaclient("2.53")
    with pytest.raises(nova_exc.BadRequest) as err:
        nova.servers.evacuate(server.uuid)
    assert "Compute service of compute-1 is still in use." in str(err.value)
    nova.services.force_down(compute_service(nova, "compute-1").id, True)
    nova.servers.evacuate(server.uuid)
    assert wait_for(lambda: getattr(nova.servers.get(server.uuid), "OS-EXT-STS:vm_state")
                    == "active" and nova.servers.get(server.uuid).to_dict()[
                        "OS-EXT-STS:task_state"] is None)
    got = nova.servers.get(server.uuid).to_dict()
    assert got["OS-EXT-SRV-ATTR:hypervisor_hostname"] in ("compute-2", "compute-3")
    assert got["OS-EXT-SRV-ATTR:host"] == got["OS-EXT-SRV-ATTR:hypervisor_hostname"]
    assert sim_env.cloud.evacuate_calls(server.uuid) == 1


def test_migration_record_progression_and_unforce(sim_env):
    sim_env.cloud.latency.evacuate_schedule = 0.15
    sim_env.cloud.latency.evacuate = 0.3
    server = sim_env.cloud.add_server("compute-1")
    nova = sim_env.novaclient("2.59")
    svc = compute_service(nova, "compute-1")
    nova.services.force_down(svc.id, True)
    nova.servers.evacuate(server.uuid)
    seen = []

    def status():
        (mig,) = nova.migrations.list(instance_uuid=server.uuid, migration_type="evacuation",
                                      source_compute="compute-1")
        if not seen or seen[-1] != mig.status:
            seen.append(mig.status)
        return mig.status == "done"

    assert wait_for(status)
    assert seen[0] == "accepted" and seen[-1] == "done"
    with pytest.raises(nova_exc.BadRequest) as err:
        nova.services.force_down(svc.id, False)
    assert "`done` evacuation migration records remain" in str(err.value)
    sim_env.cloud.restart_compute("compute-1")
    (mig,) = nova.migrations.list(instance_uuid=server.uuid)
    assert mig.status == "completed"
    assert nova.services.force_down(svc.id, False).forced_down is False


def test_evacuate_at_295_arrives_stopped(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    nova = sim_env.novaclient("2.95")
    nova.services.force_down(compute_service(nova, "compute-1").id, True)
    nova.servers.evacuate(server.uuid)
    assert wait_for(lambda: nova.servers.get(server.uuid).to_dict()["OS-EXT-STS:vm_state"]
                    == "stopped")
    assert nova.servers.get(server.uuid).status == "SHUTOFF"


def test_evacuate_to_named_host_and_same_host(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    nova = sim_env.novaclient("2.53")
    nova.services.force_down(compute_service(nova, "compute-1").id, True)
    with pytest.raises(nova_exc.BadRequest, match="same one"):
        nova.servers.evacuate(server.uuid, host="compute-1")
    with pytest.raises(nova_exc.NotFound):
        nova.servers.evacuate(server.uuid, host="compute-9")
    nova.servers.evacuate(server.uuid, host="compute-3")
    assert wait_for(lambda: sim_env.cloud.server(server.uuid).task_state is None)
    assert sim_env.cloud.server(server.uuid).host == "compute-3"


def test_server_listing_pages_through_all_guests(sim_factory):
    env = sim_factory(hosts=["compute-1", "compute-2"], servers_per_host=7, max_limit=5)
    nova = env.novaclient("2.53")
    first_page = nova.servers.list(search_opts={"host": "compute-1", "all_tenants": True})
    assert len(first_page) == 5  # novaclient without limit: one page of max_limit
    everything = nova.servers.list(search_opts={"host": "compute-1", "all_tenants": True},
                                   limit=-1)
    assert len(everything) == 7 and {s.to_dict()["OS-EXT-SRV-ATTR:host"] for s in everything} == {
        "compute-1"}
    assert len({s.id for s in everything}) == 7
    paged = nova.servers.list(search_opts={"all_tenants": True}, limit=3)
    assert len(paged) == 3


def test_server_fields(sim_env):
    server = sim_env.cloud.add_server("compute-2", metadata=HA, vm_state="stopped")
    nova = sim_env.novaclient("2.73")
    got = nova.servers.get(server.uuid).to_dict()
    assert got["OS-EXT-STS:vm_state"] == "stopped"
    assert got["OS-EXT-STS:power_state"] == 4
    assert got["OS-EXT-STS:task_state"] is None
    assert got["status"] == "SHUTOFF"
    assert got["locked"] is False and got["locked_reason"] is None
    assert got["metadata"] == HA
    assert got["flavor"]["vcpus"] == 1
    with pytest.raises(nova_exc.NotFound):
        nova.servers.get("0dd4c5d6-4d0e-4b4e-9bb4-000000000000")


def test_stop_start_lock_unlock_reset(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    nova = sim_env.novaclient("2.73")
    nova.servers.lock(server.uuid, reason="masakari")
    got = nova.servers.get(server.uuid).to_dict()
    assert (got["locked"], got["locked_reason"]) == (True, "masakari")
    nova.servers.stop(server.uuid)
    assert wait_for(lambda: nova.servers.get(server.uuid).status == "SHUTOFF")
    with pytest.raises(nova_exc.Conflict):
        nova.servers.stop(server.uuid)
    nova.servers.start(server.uuid)
    assert wait_for(lambda: nova.servers.get(server.uuid).status == "ACTIVE")
    nova.servers.unlock(server.uuid)
    nova.servers.reset_state(server.uuid, "error")
    assert nova.servers.get(server.uuid).to_dict()["OS-EXT-STS:vm_state"] == "error"
    assert sim_env.cloud.call_counts()["action:os-stop"] == 2


def test_metadata_routes(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    nova = sim_env.novaclient("2.53")
    nova.servers.set_meta(server.uuid, {"HA_Enabled": "True", "x": "1"})
    nova.servers.set_meta_item(server.uuid, "x", "2")
    assert nova.servers.get(server.uuid).metadata == {"HA_Enabled": "True", "x": "2"}
    nova.servers.delete_meta(server.uuid, ["x"])
    assert sim_env.cloud.server(server.uuid).metadata == {"HA_Enabled": "True"}


def test_hypervisors_and_aggregates(sim_env):
    sim_env.cloud.add_server("compute-1")
    nova = sim_env.novaclient("2.53")
    (hv,) = nova.hypervisors.search("compute-1", servers=True)
    assert hv.hypervisor_hostname == "compute-1" and len(hv.servers) == 1
    detail = {h.hypervisor_hostname: h for h in nova.hypervisors.list(detailed=True)}
    assert detail["compute-1"].vcpus_used == 1 and detail["compute-2"].running_vms == 0
    agg = nova.aggregates.create("ha", None)
    nova.aggregates.add_host(agg.id, "compute-1")
    with pytest.raises(nova_exc.Conflict):
        nova.aggregates.add_host(agg.id, "compute-1")
    assert [a.hosts for a in nova.aggregates.list()] == [["compute-1"]]


def test_injected_500_and_slow_response(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    nova = sim_env.novaclient("2.53")
    sim_env.cloud.inject("servers.get", status=500, instance=server.uuid, times=1)
    with pytest.raises(nova_exc.ClientException) as err:
        nova.servers.get(server.uuid)
    assert err.value.code == 500
    assert nova.servers.get(server.uuid).id == server.uuid  # only once
    sim_env.cloud.inject("services.list", status=None, delay=0.3, times=1)
    started = time.monotonic()
    nova.services.list()
    assert time.monotonic() - started >= 0.3


def test_injected_evacuate_failure_over_http(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    sim_env.cloud.fail_evacuations([server.uuid])
    nova = sim_env.novaclient("2.53")
    nova.services.force_down(compute_service(nova, "compute-1").id, True)
    nova.servers.evacuate(server.uuid)
    assert wait_for(lambda: nova.servers.get(server.uuid).status == "ERROR")
    assert nova.migrations.list(instance_uuid=server.uuid)[0].status == "failed"


def test_non_admin_is_refused_admin_apis(sim_env):
    nova = sim_env.novaclient("2.53", username="demo", password="demopass", project_name="demo")
    with pytest.raises(nova_exc.Forbidden):
        nova.services.list()
    assert nova.servers.list() == []


def test_microversion_headers_and_errors(sim_env):
    import requests

    token = sim_env.session().get_token()
    r = requests.get(sim_env.nova_url + "/os-services", timeout=5, headers={
        "X-Auth-Token": token, "OpenStack-API-Version": "compute 2.53"})
    assert r.headers["OpenStack-API-Version"] == "compute 2.53"
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.53"
    r = requests.get(sim_env.nova_url + "/os-services", timeout=5, headers={
        "X-Auth-Token": token, "OpenStack-API-Version": "compute 2.99"})
    assert r.status_code == 406
    r = requests.get(sim_env.nova_url + "/os-services", timeout=5)
    assert r.status_code == 401 and "unauthorized" in r.json()
    r = requests.get(sim_env.nova_base_url + "/", timeout=5)
    assert r.json()["versions"][0]["version"] == "2.96"
    r = requests.post(sim_env.nova_url + "/servers/x/action", data=b"\xff", timeout=5,
                      headers={"X-Auth-Token": token})
    assert r.status_code == 400


def test_novaclient_discovers_latest_version(sim_env):
    from novaclient import api_versions, client

    nova = client.Client("2.1", session=sim_env.session())
    found = api_versions.discover_version(nova, api_versions.APIVersion("2.latest"))
    assert found == api_versions.APIVersion("2.96")


def test_placement_inventories_and_usages(sim_env):
    from keystoneauth1 import adapter

    sim_env.cloud.add_server("compute-1")
    sim_env.cloud.set_capacity_full("compute-2")
    placement = adapter.Adapter(sim_env.session(), service_type="placement")
    (rp,) = placement.get("/resource_providers?name=compute-1").json()["resource_providers"]
    inv = placement.get(f"/resource_providers/{rp['uuid']}/inventories").json()["inventories"]
    use = placement.get(f"/resource_providers/{rp['uuid']}/usages").json()["usages"]
    assert inv["VCPU"]["total"] == 64 and use == {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    hv = {h.hypervisor_hostname: h.id for h in sim_env.novaclient("2.53").hypervisors.list()}
    assert rp["uuid"] == hv["compute-1"]
    (full,) = placement.get("/resource_providers?name=compute-2").json()["resource_providers"]
    inv = placement.get(f"/resource_providers/{full['uuid']}/inventories").json()["inventories"]
    assert inv["MEMORY_MB"]["reserved"] == inv["MEMORY_MB"]["total"]
    missing = placement.get("/resource_providers/nope/usages", raise_exc=False)
    assert missing.status_code == 404 and missing.json()["errors"][0]["status"] == 404
    demo = adapter.Adapter(sim_env.session(username="demo", password="demopass",
                                           project_name="demo"), service_type="placement")
    assert demo.get("/resource_providers", raise_exc=False).status_code == 403


def test_fqdn_hypervisor_hostname_is_reported(sim_env):
    sim_env.cloud.add_host("compute-4", hypervisor_hostname="compute-4.example.org")
    server = sim_env.cloud.add_server("compute-4")
    nova = sim_env.novaclient("2.53")
    got = nova.servers.get(server.uuid).to_dict()
    assert got["OS-EXT-SRV-ATTR:host"] == "compute-4"
    assert got["OS-EXT-SRV-ATTR:hypervisor_hostname"] == "compute-4.example.org"
    (hv,) = nova.hypervisors.search("example.org", servers=True)
    assert hv.hypervisor_hostname == "compute-4.example.org" and len(hv.servers) == 1


def test_wait_idle_waits_for_transitions(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    sim_env.cloud.latency.stop = 0.2
    sim_env.cloud.stop(server.uuid)
    assert not sim_env.cloud.wait_idle(timeout=0.01)
    assert sim_env.cloud.wait_idle(timeout=5)
    assert sim_env.cloud.server(server.uuid).vm_state == "stopped"


def test_paging_links_and_legacy_hypervisor_search(sim_factory):
    import requests

    env = sim_factory(hosts=["compute-1"], servers_per_host=3)
    token = env.session().get_token()
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.53"}
    page = requests.get(env.nova_url + "/servers/detail?all_tenants=1&limit=2", timeout=5,
                        headers=headers).json()
    (link,) = page["servers_links"]
    assert link["rel"] == "next" and f"marker={page['servers'][-1]['id']}" in link["href"]
    rest = requests.get(link["href"], timeout=5, headers=headers).json()
    assert len(rest["servers"]) == 1 and "servers_links" not in rest
    nova_old = env.novaclient("2.1")
    (hv,) = nova_old.hypervisors.search("compute-1", servers=True)
    assert isinstance(hv.id, int) and len(hv.servers) == 3
    r = requests.get(env.nova_url + "/os-hypervisors/compute-1/search", timeout=5,
                     headers=headers)
    assert r.status_code == 404  # removed in 2.53


def test_concurrent_evacuations_are_counted_exactly(sim_factory):
    import concurrent.futures

    env = sim_factory(hosts=["compute-1", "compute-2", "compute-3"], servers_per_host=0)
    guests = [env.cloud.add_server("compute-1").uuid for _ in range(40)]
    nova = env.novaclient("2.53")
    nova.services.force_down(compute_service(nova, "compute-1").id, True)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(nova.servers.evacuate, guests))
    assert env.cloud.wait_idle(10)
    assert env.cloud.evacuate_calls() == {uuid: 1 for uuid in guests}
    placed = env.cloud.usage("compute-2")["running_vms"] + env.cloud.usage("compute-3")[
        "running_vms"]
    assert placed == 40 and env.cloud.usage("compute-1")["running_vms"] == 0
    assert env.cloud.call_counts()["action:evacuate"] == 40
