"""NovaClient decisions over a fake transport: negotiation, idempotency, pagination, errors.

The real novaclient and keystoneauth code runs; only the socket is replaced
(:mod:`tests.unit.compute.fake_transport`). Behaviour against a full Nova emulator over
real HTTP is in tests/functional/compute.
"""

from __future__ import annotations

import re

import pytest
from keystoneauth1 import session as ks_session

from masakari_ha.compute import exceptions as exc
from masakari_ha.compute.nova import NovaClient
from tests.unit.compute.fake_transport import FakeTransport

BASE = "http://nova.test/v2.1"


class FakeNova:
    """Just enough Nova state for the client's decisions."""

    def __init__(self, max_version="2.96", page_size=3):
        self.max_version = max_version
        self.page_size = page_size
        self.versioned_doc = True
        self.services = {"s-1": {"id": "s-1", "host": "c1", "binary": "nova-compute", "status": "enabled",
                                 "state": "up", "forced_down": False, "disabled_reason": None,
                                 "updated_at": None, "zone": "nova"}}
        self.servers = {f"u{i}": self._server(f"u{i}") for i in range(7)}
        self.migrations = [{"uuid": f"m{i}", "id": i, "instance_uuid": "u0", "source_compute": "c1",
                            "dest_compute": "c2", "migration_type": "evacuation", "status": "done",
                            "created_at": f"2026-01-01T00:00:0{i}.000000"} for i in range(5)]
        self.aggregates = {1: {"id": 1, "name": "agg", "hosts": ["c1"], "metadata": {}}}
        self.hypervisor_status = 200
        self.action_status: dict[str, tuple[int, str]] = {}
        self.done_evacuations_block_force_up = False
        self.requests = []

    @staticmethod
    def _server(uuid, vm_state="active", host="c1"):
        return {"id": uuid, "name": uuid, "OS-EXT-STS:vm_state": vm_state, "OS-EXT-STS:task_state": None,
                "OS-EXT-STS:power_state": 1, "OS-EXT-SRV-ATTR:host": host,
                "OS-EXT-SRV-ATTR:hypervisor_hostname": host, "locked": False, "metadata": {},
                "flavor": {"vcpus": 1, "ram": 512, "disk": 1}, "tenant_id": "p"}

    @staticmethod
    def fault(status, message):
        name = {400: "badRequest", 403: "forbidden", 404: "itemNotFound", 409: "conflictingRequest"}.get(
            status, "computeFault")
        return status, {name: {"code": status, "message": message}}

    def __call__(self, method, path, query, body, headers):
        self.requests.append((method, path, query, body, headers))
        q = {k: v[0] for k, v in query.items()}
        if path in ("/v2.1", "/v2.1/") and method == "GET":
            if not self.versioned_doc:
                return self.fault(404, "not here")
            return 200, {"version": {"id": "v2.1", "version": self.max_version, "min_version": "2.1"}}
        if path == "/" and method == "GET":
            return 200, {"versions": [{"id": "v2.1", "version": self.max_version, "min_version": "2.1"}]}
        if path == "/v2.1/os-services":
            return 200, {"services": [s for s in self.services.values()
                                      if s["host"] == q.get("host") and s["binary"] == q.get("binary")]}
        if m := re.fullmatch(r"/v2.1/os-services/([^/]+)", path):
            svc = self.services[m.group(1)]
            if body.get("forced_down") is False and self.done_evacuations_block_force_up:
                return self.fault(400, f"Unable to force up host {svc['host']} as `done` evacuation migration "
                                       "records remain associated with the host.")
            svc.update(body)
            return 200, {"service": svc}
        if path == "/v2.1/servers/detail":
            ordered = sorted(self.servers.values(), key=lambda s: s["id"])
            ordered = [s for s in ordered if s["OS-EXT-SRV-ATTR:host"] == q.get("host")]
            if "marker" in q:
                ordered = ordered[[s["id"] for s in ordered].index(q["marker"]) + 1:]
            return 200, {"servers": ordered[: self.page_size]}
        if m := re.fullmatch(r"/v2.1/servers/([^/]+)", path):
            return 200, {"server": self.servers[m.group(1)]}
        if m := re.fullmatch(r"/v2.1/servers/([^/]+)/action", path):
            action = next(iter(body))
            if action in self.action_status:
                return self.fault(*self.action_status[action])
            srv = self.servers[m.group(1)]
            if action == "os-stop":
                srv["OS-EXT-STS:vm_state"] = "stopped"
            elif action == "lock":
                srv["locked"] = True
            return 202, None
        if path == "/v2.1/os-migrations":
            start = 0
            if "marker" in q:
                start = [m["uuid"] for m in self.migrations].index(q["marker"]) + 1
            page = self.migrations[start: start + 2]
            links = []
            if start + 2 < len(self.migrations):
                links = [{"rel": "next", "href": f"{BASE}/os-migrations?marker={page[-1]['uuid']}"
                          f"&migration_type=evacuation"}]
            return 200, {"migrations": page, "migrations_links": links}
        if path == "/v2.1/os-aggregates":
            return 200, {"aggregates": list(self.aggregates.values())}
        if m := re.fullmatch(r"/v2.1/os-aggregates/(\d+)/action", path):
            agg = self.aggregates[int(m.group(1))]
            host = body["add_host"]["host"]
            return self.fault(409, f"Aggregate {agg['id']} already has host {host}.")
        if m := re.fullmatch(r"/v2.1/os-aggregates/(\d+)", path):
            return 200, {"aggregate": self.aggregates[int(m.group(1))]}
        if path == "/v2.1/os-hypervisors/detail":
            if self.hypervisor_status != 200:
                return self.fault(self.hypervisor_status, "Policy doesn't allow os_compute_api:os-hypervisors")
            return 200, {"hypervisors": [{"id": "h1", "hypervisor_hostname": "c1.example", "vcpus": 8,
                                          "vcpus_used": 2, "memory_mb": 4096, "memory_mb_used": 1024,
                                          "free_ram_mb": 3072, "local_gb": 40, "local_gb_used": 4,
                                          "free_disk_gb": 36, "running_vms": 2,
                                          "service": {"host": "c1", "id": "s-1"}}]}
        if path.startswith("/placement"):
            return self.placement(path, q)
        return self.fault(404, f"no route {method} {path}")

    placement_status = 200

    def placement(self, path, q):
        if self.placement_status != 200:
            return self.fault(self.placement_status, "placement trouble")
        if path == "/placement/resource_providers":
            known = {"c1.example": "rp-1"}
            return 200, {"resource_providers": [{"uuid": known[q["name"]], "name": q["name"]}]
                         if q.get("name") in known else []}
        if path == "/placement/resource_providers/rp-1/inventories":
            return 200, {"inventories": {
                "VCPU": {"total": 8, "reserved": 0, "allocation_ratio": 4.0, "max_unit": 8},
                "MEMORY_MB": {"total": 4096, "reserved": 512, "allocation_ratio": 1.0},
                "DISK_GB": {"total": 40, "reserved": 0, "allocation_ratio": 1.0}}}
        if path == "/placement/resource_providers/rp-1/usages":
            return 200, {"usages": {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 4}}
        return self.fault(404, f"no placement route {path}")


@pytest.fixture
def nova():
    return FakeNova()


def make_client(nova, cap="2.96", placement=None):
    sess = ks_session.Session()
    sess.session.mount("http://nova.test", FakeTransport(nova))
    return NovaClient(sess, adapter_options={"endpoint_override": BASE}, max_microversion=cap,
                      placement_endpoint_override=placement)


def version_header(nova, path_part):
    for _method, path, _q, _b, headers in nova.requests:
        if path_part in path:
            return headers.get("X-OpenStack-Nova-API-Version")
    raise AssertionError(f"no request to {path_part}")


@pytest.mark.parametrize("server,cap,expected", [("2.96", "2.96", "2.96"), ("2.93", "2.96", "2.93"),
                                                 ("2.96", "2.60", "2.60")])
def test_negotiates_and_sends_the_version(nova, server, cap, expected):
    nova.max_version = server
    client = make_client(nova, cap)
    assert str(client.microversion) == expected
    client.get_server("u1")
    assert version_header(nova, "/servers/u1") == expected
    assert client.evacuate_leaves_stopped is (expected >= "2.95")


def test_negotiation_falls_back_to_the_root_document(nova):
    nova.versioned_doc = False
    assert str(make_client(nova).microversion) == "2.96"


def test_too_old_nova_is_refused_clearly(nova):
    nova.max_version = "2.52"
    with pytest.raises(exc.NovaUnsupported, match="2.1-2.52"):
        make_client(nova).get_server("u1")


def test_negotiation_happens_once(nova):
    client = make_client(nova)
    client.get_server("u1")
    client.get_server("u2")
    assert sum(1 for r in nova.requests if r[1] == "/v2.1") == 1


def test_disable_already_disabled_is_a_no_op(nova):
    nova.services["s-1"].update(status="disabled", disabled_reason="operator")
    svc = make_client(nova).disable_service("c1", "masakari")
    assert svc.disabled and svc.disabled_reason == "operator"
    assert not [r for r in nova.requests if r[0] == "PUT"]


def test_disable_then_enable(nova):
    client = make_client(nova)
    assert client.disable_service("c1", "failed").disabled_reason == "failed"
    puts = [r for r in nova.requests if r[0] == "PUT"]
    assert puts[0][1] == "/v2.1/os-services/s-1" and puts[0][3] == {"status": "disabled", "disabled_reason": "failed"}
    assert not client.enable_service("c1").disabled
    assert not client.enable_service("c1").disabled  # second call: no PUT
    assert len([r for r in nova.requests if r[0] == "PUT"]) == 2


def test_force_down_by_service_id_and_idempotent(nova):
    client = make_client(nova)
    assert client.force_down("c1", True).forced_down
    assert client.force_down("c1", True).forced_down
    puts = [r for r in nova.requests if r[0] == "PUT"]
    assert [(p[1], p[3]) for p in puts] == [("/v2.1/os-services/s-1", {"forced_down": True})]


def test_force_up_refused(nova):
    nova.services["s-1"]["forced_down"] = True
    nova.done_evacuations_block_force_up = True
    with pytest.raises(exc.ForceUpRefused, match="c1"):
        make_client(nova).force_down("c1", False)


def test_unknown_host(nova):
    client = make_client(nova)
    assert client.compute_service_exists("c1") and not client.compute_service_exists("nope")
    with pytest.raises(exc.NovaNotFound, match="nope"):
        client.disable_service("nope", "x")


def test_stop_conflict_when_already_stopped_is_fine(nova):
    nova.servers["u1"]["OS-EXT-STS:vm_state"] = "stopped"
    nova.action_status["os-stop"] = (409, "Cannot 'stop' instance u1 while it is in vm_state stopped")
    make_client(nova).stop("u1")


@pytest.mark.parametrize("action,method,task", [("os-stop", "stop", "powering-off"),
                                                ("os-start", "start", "powering-on")])
def test_power_conflict_while_the_same_transition_runs_is_fine(nova, action, method, task):
    nova.servers["u1"]["OS-EXT-STS:task_state"] = task
    nova.action_status[action] = (409, f"Cannot '{method}' instance u1 while it is in task_state {task}")
    getattr(make_client(nova), method)("u1")


def test_start_conflict_otherwise_raises(nova):
    nova.servers["u1"]["OS-EXT-STS:vm_state"] = "stopped"
    nova.action_status["os-start"] = (409, "Cannot 'start' instance u1 while it is in task_state rebuilding")
    with pytest.raises(exc.NovaConflict, match="instance u1"):
        make_client(nova).start("u1")


def test_stop_conflict_otherwise_raises(nova):
    nova.action_status["os-stop"] = (409, "Cannot 'stop' instance u1 while it is in task_state rebuilding")
    with pytest.raises(exc.NovaConflict, match="instance u1"):
        make_client(nova).stop("u1")


@pytest.mark.parametrize("cap,sent", [("2.96", {"lock": {"locked_reason": "masakari"}}), ("2.72", {"lock": None})])
def test_lock_reason_only_from_2_73(nova, cap, sent):
    make_client(nova, cap).lock("u1", "masakari")
    actions = [r[3] for r in nova.requests if r[1].endswith("/action")]
    assert actions == [sent]


def test_evacuate_still_in_use(nova):
    nova.action_status["evacuate"] = (400, "Compute service of c1 is still in use.")
    with pytest.raises(exc.ComputeServiceStillInUse, match="u1"):
        make_client(nova).evacuate("u1")


def test_evacuate_sends_host_only_when_given(nova):
    client = make_client(nova)
    client.evacuate("u1")
    client.evacuate("u2", host="r1")
    actions = [r[3] for r in nova.requests if r[1].endswith("/action")]
    assert actions == [{"evacuate": {}}, {"evacuate": {"host": "r1"}}]


def test_server_errors_are_retryable(nova):
    nova.action_status["os-start"] = (503, "down for maintenance")
    with pytest.raises(exc.NovaUnavailable) as info:
        make_client(nova).start("u1")
    assert info.value.retryable and info.value.status_code == 503


def test_list_servers_reads_every_page(nova):
    nova.servers["other"] = nova._server("other", host="c2")
    servers = make_client(nova).list_servers_on_host("c1")
    assert sorted(s.id for s in servers) == [f"u{i}" for i in range(7)]
    lists = [r for r in nova.requests if r[1] == "/v2.1/servers/detail"]
    assert len(lists) == 4  # pages of 3, 3, 1, then the empty page that ends the walk
    assert all(r[2]["all_tenants"] == ["True"] and r[2]["host"] == ["c1"] for r in lists)


def test_list_evacuations_follows_next_links(nova):
    records = make_client(nova).list_evacuations(instance_uuid="u0", source_compute="c1")
    assert [m.id for m in records] == [f"m{i}" for i in range(5)]
    first = [r for r in nova.requests if r[1] == "/v2.1/os-migrations"][0]
    assert first[2] == {"instance_uuid": ["u0"], "migration_type": ["evacuation"], "source_compute": ["c1"]}


def test_add_host_already_member_is_fine_else_conflict(nova):
    client = make_client(nova)
    client.add_host_to_aggregate(1, "c1")
    with pytest.raises(exc.NovaConflict, match="c9"):
        client.add_host_to_aggregate(1, "c9")


def test_host_capacities_read_at_2_87(nova):
    caps = make_client(nova).host_capacities(["c1", "c1"])
    assert list(caps) == ["c1"]
    assert (caps["c1"].free_vcpus, caps["c1"].free_ram_mb, caps["c1"].free_disk_gb) == (6, 3072, 36)
    assert version_header(nova, "os-hypervisors") == "2.87"


@pytest.mark.parametrize("status", [403, 404, 500])
def test_host_capacities_fall_back_to_unknown(nova, status):
    nova.hypervisor_status = status
    caps = make_client(nova).host_capacities(["c1"])
    assert not caps["c1"].known


def test_state_changes_are_logged(nova, caplog):
    caplog.set_level("INFO", logger="masakari_ha.compute.nova")
    client = make_client(nova)
    client.evacuate("u1", host="r1")
    assert "Call evacuate command for instance u1 on host r1" in caplog.text


def test_host_capacities_from_placement_apply_allocation_ratios(nova):
    caps = make_client(nova, placement="http://nova.test/placement").host_capacities(["c1"])
    # VCPU (8 - 0) * 4.0 - 2 = 30; RAM (4096 - 512) * 1.0 - 1024 = 2560; disk 40 - 4 = 36.
    assert (caps["c1"].free_vcpus, caps["c1"].free_ram_mb, caps["c1"].free_disk_gb) == (30, 2560, 36)
    assert caps["c1"].running_vms == 2 and caps["c1"].total_vcpus is None  # ratios already applied


def test_placement_failure_falls_back_to_hypervisor_statistics(nova):
    nova.placement_status = 503
    client = make_client(nova, placement="http://nova.test/placement")
    assert client.host_capacities(["c1"])["c1"].free_vcpus == 6
    nova.placement_status = 200  # a transient failure: Placement is asked again next time
    assert client.host_capacities(["c1"])["c1"].free_vcpus == 30


def test_placement_forbidden_is_not_asked_again(nova):
    nova.placement_status = 403
    client = make_client(nova, placement="http://nova.test/placement")
    client.host_capacities(["c1"])
    client.host_capacities(["c1"])
    assert sum(1 for r in nova.requests if r[1].startswith("/placement")) == 1


def test_no_placement_in_catalog_uses_hypervisor_statistics(nova):
    caps = make_client(nova).host_capacities(["c1"])
    assert caps["c1"].free_vcpus == 6 and caps["c1"].total_vcpus == 8
