"""os-services rules, power actions, lock/reset/metadata and server listing of the cloud model."""

import pytest

from masakari_ha.simulator.nova import model
from masakari_ha.simulator.nova.model import NovaError

from .conftest import force_down


def test_unforce_refused_until_source_restarted(cloud):
    server = cloud.add_server("compute-1")
    svc = force_down(cloud, "compute-1")
    cloud.evacuate(server.uuid)
    cloud.advance(5.0)
    with pytest.raises(NovaError) as err:
        cloud.update_service(svc.uuid, forced_down=False)
    assert err.value.code == 400
    assert "Unable to force up host compute-1 as `done` evacuation migration records" in (
        err.value.message)
    assert cloud.service("compute-1").service.forced_down
    cloud.restart_compute("compute-1")
    assert cloud.list_migrations(instance_uuid=server.uuid)[0].status == "completed"
    assert not cloud.service("compute-1").up  # still forced down after the restart
    view = cloud.update_service(svc.uuid, status="enabled", forced_down=False)
    assert view.up and not view.service.disabled and view.service.disabled_reason is None


def test_unforce_allowed_without_evacuations(cloud):
    svc = force_down(cloud, "compute-2")
    assert cloud.update_service(svc.uuid, forced_down=False).up


def test_disable_keeps_reason_enable_clears_it(cloud):
    svc = cloud.find_service("compute-1", "nova-compute")
    view = cloud.update_service(svc.uuid, status="disabled", disabled_reason="Masakari detected")
    assert view.service.disabled and view.service.disabled_reason == "Masakari detected"
    assert view.up
    view = cloud.update_service(svc.id, status="enabled")
    assert not view.service.disabled and view.service.disabled_reason is None


def test_force_down_only_for_compute(cloud):
    scheduler = cloud.find_service("controller", "nova-scheduler")
    with pytest.raises(NovaError) as err:
        cloud.update_service(scheduler.uuid, forced_down=True)
    assert err.value.code == 400


def test_unknown_service_404(cloud):
    with pytest.raises(NovaError) as err:
        cloud.update_service("7b8f7e3c-0000-0000-0000-000000000000", status="enabled")
    assert err.value.code == 404


def test_list_services_filters(cloud):
    assert len(cloud.list_services()) == 5
    assert [v.service.host for v in cloud.list_services(binary="nova-compute")] == [
        "compute-1", "compute-2", "compute-3"]
    assert [v.service.binary for v in cloud.list_services(host="compute-2")] == ["nova-compute"]


def test_stop_then_start(cloud):
    server = cloud.add_server("compute-1")
    cloud.stop(server.uuid)
    assert cloud.server(server.uuid).task_state == model.POWERING_OFF
    cloud.advance(3.0)
    now = cloud.server(server.uuid)
    assert (now.vm_state, now.task_state, now.power_state) == ("stopped", None, model.SHUTDOWN)
    with pytest.raises(NovaError) as err:
        cloud.stop(server.uuid)
    assert err.value.code == 409 and "vm_state stopped" in err.value.message
    cloud.start(server.uuid)
    cloud.advance(3.0)
    assert cloud.server(server.uuid).vm_state == "active"
    with pytest.raises(NovaError):
        cloud.start(server.uuid)


def test_stop_on_dead_host_hangs_until_restart(cloud):
    server = cloud.add_server("compute-1")
    cloud.kill_host("compute-1")
    cloud.stop(server.uuid)
    cloud.advance(30.0)
    assert cloud.server(server.uuid).task_state == model.POWERING_OFF
    cloud.restart_compute("compute-1")
    assert cloud.server(server.uuid).vm_state == "stopped"


def test_locked_guest_refuses_non_admin_actions(cloud):
    server = cloud.add_server("compute-1")
    cloud.lock(server.uuid, reason="masakari recovery")
    snap = cloud.server(server.uuid)
    assert (snap.locked, snap.locked_reason) == (True, "masakari recovery")
    with pytest.raises(NovaError) as err:
        cloud.stop(server.uuid, admin=False)
    assert err.value.code == 409
    with pytest.raises(NovaError):
        cloud.unlock(server.uuid, admin=False)
    cloud.stop(server.uuid, admin=True)
    cloud.unlock(server.uuid)
    assert not cloud.server(server.uuid).locked


def test_reset_state(cloud):
    server = cloud.add_server("compute-1", vm_state="paused")
    cloud.reset_state(server.uuid, "error")
    assert (cloud.server(server.uuid).vm_state, cloud.server(server.uuid).task_state) == (
        "error", None)
    with pytest.raises(NovaError) as err:
        cloud.reset_state(server.uuid, "stopped")
    assert err.value.code == 400


def test_metadata_set_replace_delete(cloud):
    server = cloud.add_server("compute-1", metadata={"a": "1"})
    assert cloud.set_metadata(server.uuid, {"HA_Enabled": "True"}) == {"a": "1",
                                                                       "HA_Enabled": "True"}
    assert cloud.set_metadata(server.uuid, {"b": "2"}, replace=True) == {"b": "2"}
    cloud.delete_metadata(server.uuid, "b")
    with pytest.raises(NovaError) as err:
        cloud.delete_metadata(server.uuid, "b")
    assert err.value.code == 404
    with pytest.raises(NovaError):
        cloud.set_metadata(server.uuid, {"k": 1})


def test_list_servers_pages_newest_first(cloud):
    made = [cloud.add_server("compute-1").uuid for _ in range(5)]
    cloud.add_server("compute-2")
    page, size = cloud.list_servers(host="compute-1", limit=2)
    assert size == 2 and [s.uuid for s in page] == made[::-1][:2]
    page2, _ = cloud.list_servers(host="compute-1", limit=2, marker=page[-1].uuid)
    page3, _ = cloud.list_servers(host="compute-1", limit=2, marker=page2[-1].uuid)
    assert [s.uuid for s in page + page2 + page3] == made[::-1]
    with pytest.raises(NovaError) as err:
        cloud.list_servers(marker="not-a-server")
    assert err.value.code == 400


def test_max_limit_caps_pages(cloud):
    cloud.max_limit = 3
    for _ in range(5):
        cloud.add_server("compute-1")
    page, size = cloud.list_servers(limit=100)
    assert (len(page), size) == (3, 3)


def test_list_servers_by_project(cloud):
    cloud.add_server("compute-1", project_id="p1")
    cloud.add_server("compute-1", project_id="p2")
    assert [s.project_id for s in cloud.list_servers(project_id="p2")[0]] == ["p2"]
    assert len(cloud.list_servers()[0]) == 2


def test_aggregates(cloud):
    agg = cloud.add_aggregate("ha-agg", ["compute-1"], availability_zone="az1")
    assert agg.hosts == ["compute-1"] and agg.metadata == {"availability_zone": "az1"}
    cloud.aggregate_add_host(agg.id, "compute-2")
    with pytest.raises(NovaError) as err:
        cloud.aggregate_add_host(agg.id, "compute-2")
    assert err.value.code == 409
    with pytest.raises(NovaError) as err:
        cloud.aggregate_add_host(agg.id, "nowhere")
    assert err.value.code == 404
    assert cloud.aggregate_remove_host(str(agg.id), "compute-1").hosts == ["compute-2"]


def test_hypervisor_usage(cloud):
    cloud.add_server("compute-1")
    cloud.add_server("compute-1", flavor=model.Flavor("2", "m1.small", 2, 2048, 20))
    hv = {h["host"].name: h for h in cloud.list_hypervisors()}
    assert (hv["compute-1"]["vcpus_used"], hv["compute-1"]["memory_mb_used"]) == (3, 2560)
    assert hv["compute-1"]["running_vms"] == 2
    assert [h["host"].name for h in cloud.list_hypervisors("compute-2")] == ["compute-2"]


def test_add_host_twice_and_server_on_unknown_host(cloud):
    with pytest.raises(NovaError):
        cloud.add_host("compute-1")
    with pytest.raises(NovaError):
        cloud.add_server("nowhere")
    with pytest.raises(ValueError):
        cloud.add_server("compute-1", vm_state="dancing")


def test_advance_requires_manual_clock():
    from masakari_ha.simulator.nova.cloud import SimulatedCloud

    with pytest.raises(TypeError):
        SimulatedCloud().advance(1)


def test_crashed_guest_is_stopped_by_nova_after_power_sync(cloud):
    cloud.latency.power_sync = 15.0
    server = cloud.add_server("compute-1")
    cloud.crash(server.uuid)
    cloud.advance(14.0)
    assert (cloud.server(server.uuid).vm_state, cloud.server(server.uuid).power_state) == (
        "active", model.RUNNING)
    cloud.advance(1.0)
    assert (cloud.server(server.uuid).vm_state, cloud.server(server.uuid).power_state) == (
        "stopped", model.SHUTDOWN)
    with pytest.raises(NovaError) as err:
        cloud.crash(server.uuid)
    assert err.value.code == 409
