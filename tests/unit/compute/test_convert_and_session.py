"""Nova JSON → models, and the shared keystoneauth session built from [nova]."""

from __future__ import annotations

import dataclasses
import pickle
import threading

import pytest
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from oslo_config import cfg

from masakari_ha import compute
from masakari_ha.compute import _convert, session as compute_session
from masakari_ha.compute.models import HostCapacity, Server
from masakari_ha.conf import CONF
from masakari_ha.conf import nova as nova_conf


@pytest.fixture(autouse=True)
def _reset_session():
    compute_session.reset()
    yield
    compute_session.reset()


SERVER = {
    "id": "u1", "name": "web", "tenant_id": "p1", "locked": True,
    "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": None, "OS-EXT-STS:power_state": 1,
    "OS-EXT-SRV-ATTR:host": "c1", "OS-EXT-SRV-ATTR:hypervisor_hostname": "c1.example.org",
    "metadata": {"HA_Enabled": "True", "n": 3},
    "flavor": {"vcpus": 2, "ram": 2048, "disk": 20, "original_name": "m1.small"},
}


def test_server():
    srv = _convert.server(SERVER)
    assert srv == Server(id="u1", name="web", vm_state="active", task_state=None, power_state=1, host="c1",
                         hypervisor_hostname="c1.example.org", locked=True,
                         metadata={"HA_Enabled": "True", "n": "3"}, vcpus=2, ram_mb=2048, disk_gb=20,
                         tenant_id="p1")
    source = dict(SERVER["metadata"])
    assert _convert.server({**SERVER, "metadata": source}).metadata is not source
    assert hash(srv) == hash("u1")
    assert dataclasses.asdict(srv)["metadata"] == {"HA_Enabled": "True", "n": "3"}
    assert pickle.loads(pickle.dumps(srv)) == srv


def test_server_without_flavor_details_or_metadata():
    srv = _convert.server({"id": "u2", "flavor": {"id": "1"}, "metadata": None})
    assert (srv.vcpus, srv.ram_mb, srv.disk_gb, dict(srv.metadata), srv.locked) == (None, None, None, {}, False)


def test_service_and_migration_and_aggregate():
    svc = _convert.service({"id": "s-uuid", "host": "c1", "binary": "nova-compute", "status": "disabled",
                            "state": "down", "forced_down": True, "disabled_reason": "x", "updated_at": "t",
                            "zone": "nova"})
    assert svc.disabled and not svc.up and svc.forced_down and svc.id == "s-uuid"
    mig = _convert.migration({"id": 7, "uuid": "m-uuid", "instance_uuid": "u1", "source_compute": "c1",
                              "dest_compute": "c2", "migration_type": "evacuation", "status": "done",
                              "created_at": "2026-01-01T00:00:00.000000"})
    assert mig.id == "m-uuid" and mig.status == "done"
    assert _convert.migration({"id": 7, "instance_uuid": "u1", "status": "done"}).id == "7"
    agg = _convert.aggregate({"id": 3, "name": "ssd", "hosts": ["c1", "c2"], "metadata": {}})
    assert agg.id == 3 and agg.hosts == ("c1", "c2")


def test_capacity_sums_records_and_applies_used():
    hyps = [
        {"vcpus": 8, "vcpus_used": 2, "memory_mb": 16384, "memory_mb_used": 4096, "free_ram_mb": 12288,
         "local_gb": 100, "local_gb_used": 10, "free_disk_gb": 90, "running_vms": 2},
        {"vcpus": 4, "vcpus_used": 0, "memory_mb": 8192, "memory_mb_used": 512, "local_gb": 50,
         "local_gb_used": 0, "running_vms": 0},
    ]
    assert _convert.capacity("c1", hyps) == HostCapacity(
        host="c1", free_vcpus=10, free_ram_mb=12288 + 7680, free_disk_gb=140, running_vms=2,
        total_vcpus=12, total_ram_mb=24576, total_disk_gb=150)


def test_capacity_without_figures_is_unknown():
    cap = _convert.capacity("c1", [{"id": "x", "hypervisor_hostname": "c1", "state": "up"}])
    assert not cap.known and cap.free_vcpus is None and cap.free_ram_mb is None
    assert not _convert.capacity("c1", []).known


def test_hypervisors_of_host_match_exactly():
    hyps = [
        {"hypervisor_hostname": "c1.example.org", "service": {"host": "c1", "id": "s1"}},
        {"hypervisor_hostname": "c10.example.org", "service": {"host": "c10", "id": "s2"}},
        {"hypervisor_hostname": "c1"},
        {"hypervisor_hostname": "c1.fqdn"},
        {"hypervisor_hostname": "c11"},
    ]
    assert [h["hypervisor_hostname"] for h in _convert.hypervisors_of_host("c1", hyps)] == [
        "c1.example.org", "c1", "c1.fqdn"]


def test_session_is_shared_and_thread_safe():
    CONF.set_override("auth_type", "none", group="nova")
    CONF.set_override("endpoint_override", "http://127.0.0.1:9/v2.1", group="nova")
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(compute_session.get_session(CONF))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 1
    sess = seen[0]
    assert isinstance(sess, ks_session.Session)
    assert sess.timeout == 60.0
    compute_session.reset()
    assert compute_session.get_session(CONF) is not sess


def test_session_password_auth_and_timeout_option():
    # A private ConfigOpts: loading the password plugin registers its (required) options on
    # the conf it is given, which must not leak into the global CONF of later tests.
    conf = private_nova_conf()
    conf.set_override("auth_type", "password", group="nova")
    conf.register_opts(ks_loading.get_auth_plugin_conf_options("password"), group="nova")
    conf.set_override("auth_url", "http://keystone.test/v3", group="nova")
    conf.set_override("timeout", 7, group="nova")
    sess = compute_session.get_session(conf)
    assert type(sess.auth).__name__ == "Password"
    assert sess.timeout == 7.0
    assert compute_session.get_session(conf) is sess
    assert compute_session.get_session(CONF) is not sess  # another conf, another session


def private_nova_conf() -> cfg.ConfigOpts:
    """[nova] registered by group *name*: conf/nova.py's OptGroup object is shared with the
    global CONF, and oslo.config records options on the OptGroup itself."""
    conf = cfg.ConfigOpts()
    conf.register_opts(nova_conf.nova_opts, group="nova")
    ks_loading.register_session_conf_options(conf, "nova")
    ks_loading.register_auth_conf_options(conf, "nova")
    ks_loading.register_adapter_conf_options(conf, "nova", include_deprecated=False)
    conf([], default_config_files=[])
    return conf


def test_adapter_kwargs():
    CONF.set_override("endpoint_override", "http://nova.test/v2.1", group="nova")
    CONF.set_override("region_name", "RegionTwo", group="nova")
    CONF.set_override("valid_interfaces", ["internal"], group="nova")
    kwargs = compute_session.adapter_kwargs(CONF)
    assert kwargs["endpoint_override"] == "http://nova.test/v2.1"
    assert kwargs["region_name"] == "RegionTwo"
    assert kwargs["interface"] == ["internal"]
    assert kwargs["service_type"] == "compute"
    assert not {"version", "min_version", "max_version"} & set(kwargs)


def test_incomplete_nova_section_is_a_clear_error():
    conf = private_nova_conf()
    conf.register_opts(ks_loading.get_auth_plugin_conf_options("password"), group="nova")
    conf.set_override("auth_type", "password", group="nova")  # but no auth_url
    with pytest.raises(compute.NovaMisconfigured, match="auth"):
        compute.NovaClient.from_conf(conf)


def test_free_from_placement_inventory():
    from masakari_ha.compute.placement import combine, free_from_inventory

    free = free_from_inventory(
        {"VCPU": {"total": 16, "reserved": 2, "allocation_ratio": 16.0},
         "MEMORY_MB": {"total": 65536, "reserved": 512, "allocation_ratio": 1.5}},
        {"VCPU": 300, "MEMORY_MB": 90000})
    assert free == {"free_vcpus": 0, "free_ram_mb": 7536, "free_disk_gb": None}  # 224-300 floored at 0
    cap = combine("c1", [free, {"free_vcpus": 4, "free_ram_mb": 100, "free_disk_gb": 10}], 3)
    assert (cap.free_vcpus, cap.free_ram_mb, cap.free_disk_gb, cap.running_vms) == (4, 7636, None, 3)
