"""Unit tests for masakari_ha.engine.planning (pure decisions, no I/O)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from masakari_ha.compute.models import POWER_RUNNING, POWER_SHUTDOWN, HostCapacity, Migration, Server
from masakari_ha.engine import planning
from masakari_ha.engine.planning import VerdictState

HA_KEY = "HA_Enabled"
PRIO_KEY = planning.RESTART_PRIORITY_KEY


def srv(id_, *, name=None, vm_state="active", task_state=None, power_state=POWER_RUNNING, host="c1",
        locked=False, metadata=None, vcpus=1, ram_mb=512, disk_gb=1):
    return Server(id=id_, name=name if name is not None else id_, vm_state=vm_state, task_state=task_state,
                  power_state=power_state, host=host, hypervisor_hostname=host, locked=locked,
                  metadata=metadata or {}, vcpus=vcpus, ram_mb=ram_mb, disk_gb=disk_gb, tenant_id="t")


def ha(id_, value="True", **kw):
    meta = dict(kw.pop("metadata", {}) or {})
    meta[HA_KEY] = value
    return srv(id_, metadata=meta, **kw)


def select(servers, *, evacuate_all=False, ignore_error_state=False, **kw):
    return planning.select_instances(servers, ha_enabled_key=HA_KEY, evacuate_all=evacuate_all,
                                     ignore_error_state=ignore_error_state, **kw)


def ids(servers):
    return [s.id for s in servers]


# -- parse_bool -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["True", "true", "TRUE", "yes", "Yes", "1", "on", "ON", "t", "y", " true ", True])
def test_parse_bool_true(value):
    assert planning.parse_bool(value) is True


@pytest.mark.parametrize("value", ["False", "false", "no", "0", "off", "", "2", "enabled", "truthy", None, False])
def test_parse_bool_false(value):
    assert planning.parse_bool(value) is False


# -- select_instances ---------------------------------------------------------------------


def test_only_ha_enabled_by_default_and_reasons_for_the_rest():
    result = select([ha("a"), srv("b"), ha("c", "no")])
    assert ids(result.selected) == ["a"]
    assert {s.server.id: s.reason for s in result.skipped} == {
        "b": f"not HA-enabled (metadata {HA_KEY} not true)",
        "c": f"not HA-enabled (metadata {HA_KEY} not true)",
    }
    assert result.ha_enabled == frozenset({"a"})


def test_evacuate_all_puts_ha_enabled_first():
    result = select([srv("a"), ha("b"), srv("c"), ha("d")], evacuate_all=True)
    assert ids(result.selected) == ["b", "d", "a", "c"]
    assert result.skipped == ()
    assert result.ha_enabled == frozenset({"b", "d"})


@pytest.mark.parametrize("evacuate_all", [False, True])
def test_ignore_error_state_drops_error_guests_even_ha_enabled(evacuate_all):
    result = select([ha("a", vm_state="error"), srv("b", vm_state="error"), ha("c")],
                    evacuate_all=evacuate_all, ignore_error_state=True)
    assert ids(result.selected) == ["c"]
    reasons = {s.server.id: s.reason for s in result.skipped}
    assert reasons["a"].startswith("HA-enabled instance in error state ignored")
    assert reasons["b"].startswith("instance in error state ignored") or reasons["b"].startswith("not HA")


def test_error_state_kept_when_not_ignored():
    result = select([ha("a", vm_state="error")], ignore_error_state=False)
    assert ids(result.selected) == ["a"]


@pytest.mark.parametrize("state", sorted(planning.NOT_EVACUABLE_STATES))
def test_not_evacuable_states_skipped(state):
    result = select([ha("a", vm_state=state)], evacuate_all=True)
    assert result.selected == ()
    assert "cannot be evacuated" in result.skipped[0].reason


def test_restart_priority_orders_within_ha_group_then_name_then_id():
    servers = [
        ha("id3", name="web", metadata={PRIO_KEY: "5"}),
        ha("id1", name="db", metadata={PRIO_KEY: "10"}),
        ha("id2", name="app"),
        ha("id0", name="app"),
        srv("id9", name="batch", metadata={PRIO_KEY: "100"}),
        ha("id4", name="neg", metadata={PRIO_KEY: "-1"}),
    ]
    result = select(servers, evacuate_all=True)
    # HA group: 10, 5, 0 (app/id0, app/id2), -1; then non-HA regardless of its priority 100.
    assert ids(result.selected) == ["id1", "id3", "id0", "id2", "id4", "id9"]


@pytest.mark.parametrize("raw", ["high", "1.5", "ten", "0x10"])
def test_invalid_priority_falls_back_to_default_with_a_note(raw):
    servers = [ha("a", name="a", metadata={PRIO_KEY: raw}), ha("b", name="b", metadata={PRIO_KEY: "-1"}),
               ha("c", name="c", metadata={PRIO_KEY: "1"})]
    result = select(servers)
    assert ids(result.selected) == ["c", "a", "b"]
    assert len(result.notes) == 1 and result.notes[0][0].id == "a"
    assert raw in result.notes[0][1] and "default priority 0" in result.notes[0][1]


def test_priority_key_and_default_are_parameters():
    servers = [ha("a", metadata={"prio": "3"}), ha("b")]
    assert ids(select(servers, priority_key="prio", default_priority=5).selected) == ["b", "a"]
    assert ids(select(servers, priority_key="prio").selected) == ["a", "b"]


def test_priority_whitespace_and_empty():
    assert planning.restart_priority(ha("a", metadata={PRIO_KEY: " 7 "})) == (7, None)
    assert planning.restart_priority(ha("a", metadata={PRIO_KEY: ""})) == (0, None)


def test_duplicates_taken_once():
    result = select([ha("a"), ha("a"), ha("b")])
    assert ids(result.selected) == ["a", "b"]


def test_empty_input():
    result = select([])
    assert result.selected == () and result.skipped == ()


@pytest.mark.parametrize("seed", range(20))
def test_selection_is_deterministic_under_any_input_order(seed):
    rng = random.Random(seed)
    servers = []
    for i in range(30):
        meta = {}
        if rng.random() < 0.5:
            meta[HA_KEY] = rng.choice(["True", "yes", "1", "false", "no"])
        if rng.random() < 0.6:
            meta[PRIO_KEY] = rng.choice(["1", "2", "3", "x", "-5", "10"])
        servers.append(srv(f"id{i:02d}", name=rng.choice(["a", "b", "c"]), metadata=meta,
                           vm_state=rng.choice(["active", "stopped", "error", "paused", "shelved_offloaded"])))
    kwargs = dict(evacuate_all=bool(seed % 2), ignore_error_state=bool(seed % 3))
    reference = select(servers, **kwargs)
    shuffled = servers[:]
    rng.shuffle(shuffled)
    again = select(shuffled, **kwargs)
    assert ids(again.selected) == ids(reference.selected)
    # Partition: every server is either selected or skipped, never both.
    assert sorted(ids(reference.selected) + [s.server.id for s in reference.skipped]) == sorted(ids(servers))
    # Invariants of the ordering.
    keys = []
    for s in reference.selected:
        is_ha = s.id in reference.ha_enabled
        prio, _ = planning.restart_priority(s)
        keys.append((not is_ha, -prio, s.name, s.id))
        assert kwargs["evacuate_all"] or is_ha
        assert not (kwargs["ignore_error_state"] and s.vm_state == "error")
        assert s.vm_state not in planning.NOT_EVACUABLE_STATES
    assert keys == sorted(keys)


# -- evacuation_steps ----------------------------------------------------------------------

# (vm_state, task_state, power_state) -> (reset_before, stop_after, reset_after, final) at < 2.95
UPSTREAM_TABLE = [
    ("active", None, POWER_RUNNING, False, False, False, "active"),
    ("active", "rebooting", POWER_RUNNING, True, False, False, "active"),
    ("stopped", None, POWER_SHUTDOWN, False, False, False, "stopped"),
    ("stopped", "powering-on", POWER_SHUTDOWN, True, True, False, "stopped"),
    ("error", None, POWER_SHUTDOWN, False, True, True, "error"),
    ("error", "rebuilding", POWER_SHUTDOWN, True, True, True, "error"),
    ("paused", None, 3, True, True, False, "stopped"),
    ("suspended", None, 7, True, True, False, "stopped"),
    ("rescued", None, POWER_RUNNING, True, True, False, "stopped"),
    ("shelved", None, POWER_SHUTDOWN, True, True, False, "stopped"),
    ("resized", None, POWER_RUNNING, True, False, False, "active"),
    ("resized", None, POWER_SHUTDOWN, True, True, False, "stopped"),
    ("building", "spawning", 0, True, True, False, "stopped"),
]


@pytest.mark.parametrize("vm_state,task,power,reset_before,stop_after,reset_after,final", UPSTREAM_TABLE)
def test_evacuation_steps_match_upstream(vm_state, task, power, reset_before, stop_after, reset_after, final):
    steps = planning.evacuation_steps(srv("a", vm_state=vm_state, task_state=task, power_state=power))
    assert steps.reset_to_error_before is reset_before
    assert steps.stop_after is stop_after
    assert steps.reset_to_error_after is reset_after
    assert steps.start_after is False
    assert steps.final_vm_state == final
    assert steps.original_vm_state == vm_state
    assert steps.vm_state_at_evacuate == ("error" if reset_before else vm_state)
    expected = "stopped" if steps.vm_state_at_evacuate == "stopped" else "active"
    assert steps.expected_vm_state == expected


@pytest.mark.parametrize("vm_state,task,power,reset_before,stop_after,reset_after,final", UPSTREAM_TABLE)
def test_evacuation_steps_when_nova_leaves_guests_stopped(vm_state, task, power, reset_before, stop_after,
                                                           reset_after, final):
    steps = planning.evacuation_steps(srv("a", vm_state=vm_state, task_state=task, power_state=power),
                                      evacuate_leaves_stopped=True)
    assert steps.expected_vm_state == "stopped"
    assert steps.stop_after is False  # never stop what arrives stopped
    assert steps.start_after is (final == "active")
    assert steps.reset_to_error_before is reset_before
    assert steps.reset_to_error_after is reset_after
    assert steps.final_vm_state == final


@pytest.mark.parametrize("leaves_stopped", [False, True])
@pytest.mark.parametrize("row", UPSTREAM_TABLE)
def test_steps_reach_the_final_state(row, leaves_stopped):
    """Simulate the steps: the power actions always lead from Nova's result to the final state."""
    vm_state, task, power = row[:3]
    steps = planning.evacuation_steps(srv("a", vm_state=vm_state, task_state=task, power_state=power),
                                      evacuate_leaves_stopped=leaves_stopped)
    state = steps.expected_vm_state
    assert not (steps.stop_after and steps.start_after)
    if steps.stop_after:
        assert state == "active"
        state = "stopped"
    if steps.start_after:
        assert state == "stopped"
        state = "active"
    if steps.reset_to_error_after:
        state = "error"
    assert state == steps.final_vm_state


def test_lock_only_when_not_already_locked():
    assert planning.evacuation_steps(srv("a")).lock is True
    assert planning.evacuation_steps(srv("a", locked=True)).lock is False


@pytest.mark.parametrize("state", sorted(planning.NOT_EVACUABLE_STATES))
def test_not_evacuable_raises(state):
    with pytest.raises(planning.NotEvacuable, match="a"):
        planning.evacuation_steps(srv("a", vm_state=state))


def test_steps_reason_names_state():
    assert "task_state rebooting" in planning.evacuation_steps(srv("a", task_state="rebooting")).reason
    assert "paused" in planning.evacuation_steps(srv("a", vm_state="paused")).reason


# -- assign_reserved_hosts -----------------------------------------------------------------


def cap(host, vcpus=None, ram=None, disk=None, running=0, **kw):
    return HostCapacity(host=host, free_vcpus=vcpus, free_ram_mb=ram, free_disk_gb=disk, running_vms=running, **kw)


def test_all_on_the_roomiest_host_when_it_fits():
    guests = [srv(f"g{i}", vcpus=2, ram_mb=1024, disk_gb=10) for i in range(4)]
    placement = planning.assign_reserved_hosts(guests, [cap("r1", 16, 8192, 100), cap("r2", 32, 65536, 500)])
    assert set(placement.assignments.values()) == {"r2"}
    assert list(placement.assignments) == ids(guests)
    assert placement.unplaced == () and placement.hosts_used == ("r2",)


def test_spreads_when_one_host_cannot_take_all():
    guests = [srv(f"g{i}", vcpus=4, ram_mb=4096, disk_gb=10) for i in range(5)]
    placement = planning.assign_reserved_hosts(guests, {"r1": cap("r1", 8, 8192, 100), "r2": cap("r2", 12, 12288, 100)})
    assert placement.assignments == {"g0": "r2", "g1": "r2", "g2": "r2", "g3": "r1", "g4": "r1"}
    assert placement.unplaced == ()
    assert placement.hosts_used == ("r2", "r1")


def test_unplaced_when_nothing_fits_keeps_priority_order():
    guests = [srv("big", vcpus=64, ram_mb=1024), srv("s1", ram_mb=1024), srv("s2", ram_mb=1024)]
    placement = planning.assign_reserved_hosts(guests, [cap("r1", 8, 1536, 100)])
    assert placement.assignments == {"s1": "r1"}
    assert ids(placement.unplaced) == ["big", "s2"]


def test_max_per_host_caps_and_spreads():
    guests = [srv(f"g{i}") for i in range(5)]
    placement = planning.assign_reserved_hosts(guests, [cap("r1", 100, 100000, 1000), cap("r2", 50, 50000, 500)],
                                               max_per_host=2)
    assert placement.assignments == {"g0": "r1", "g1": "r1", "g2": "r2", "g3": "r2"}
    assert ids(placement.unplaced) == ["g4"]


def test_max_per_host_must_be_positive():
    with pytest.raises(ValueError):
        planning.assign_reserved_hosts([srv("a")], [cap("r1", 1, 1, 1)], max_per_host=0)


def test_unknown_capacity_hosts_come_last_and_are_noted():
    guests = [srv("a", ram_mb=1024), srv("b", ram_mb=1024)]
    placement = planning.assign_reserved_hosts(guests, [cap("unknown"), cap("r1", 8, 1024, 10)])
    assert placement.assignments == {"a": "r1", "b": "unknown"}
    assert any("unknown" in n for n in placement.notes)


def test_all_unknown_keeps_given_order_and_single_host():
    guests = [srv(f"g{i}") for i in range(10)]
    placement = planning.assign_reserved_hosts(guests, [cap("rA"), cap("rB")])
    assert set(placement.assignments.values()) == {"rA"}


def test_unknown_flavor_counts_as_zero_and_is_noted():
    guests = [srv("a", vcpus=None, ram_mb=None, disk_gb=None)]
    placement = planning.assign_reserved_hosts(guests, [cap("r1", 0, 0, 0)])
    assert placement.assignments == {"a": "r1"}
    assert any("flavor size of instance a unknown" in n for n in placement.notes)


def test_allocation_ratio_applies_to_totals():
    # 8 physical cores, 6 used by guests: 2 free; with ratio 4.0 there is room for 26 more vCPUs.
    host = cap("r1", vcpus=2, ram=100000, disk=1000, total_vcpus=8)
    guests = [srv(f"g{i}", vcpus=4) for i in range(6)]
    assert len(planning.assign_reserved_hosts(guests, [host]).unplaced) == 6  # none fit at ratio 1.0
    placement = planning.assign_reserved_hosts(guests, [host], cpu_allocation_ratio=4.0)
    assert len(placement.assignments) == 6 and placement.unplaced == ()
    guests.append(srv("g6", vcpus=4))
    assert ids(planning.assign_reserved_hosts(guests, [host], cpu_allocation_ratio=4.0).unplaced) == ["g6"]


def test_no_instances_no_assignments():
    placement = planning.assign_reserved_hosts([], [cap("r1", 1, 1, 1)])
    assert placement.assignments == {} and placement.unplaced == () and placement.hosts_used == ()


def test_no_hosts_everything_unplaced():
    placement = planning.assign_reserved_hosts([srv("a")], [])
    assert ids(placement.unplaced) == ["a"]


@pytest.mark.parametrize("seed", range(25))
def test_placement_never_overcommits(seed):
    rng = random.Random(seed)
    hosts = [cap(f"r{i}", rng.randint(0, 32), rng.randint(0, 65536), rng.randint(0, 500)) for i in range(rng.randint(1, 4))]
    guests = [srv(f"g{i}", vcpus=rng.choice([1, 2, 4, 8]), ram_mb=rng.choice([512, 2048, 8192]),
                  disk_gb=rng.choice([1, 20, 80])) for i in range(rng.randint(0, 30))]
    max_per_host = rng.choice([None, 1, 3, 10])
    placement = planning.assign_reserved_hosts(guests, hosts, max_per_host=max_per_host)
    assert sorted(list(placement.assignments) + ids(placement.unplaced)) == sorted(ids(guests))
    by_id = {g.id: g for g in guests}
    for h in hosts:
        mine = [by_id[i] for i, host in placement.assignments.items() if host == h.host]
        assert sum(g.vcpus for g in mine) <= h.free_vcpus
        assert sum(g.ram_mb for g in mine) <= h.free_ram_mb
        assert sum(g.disk_gb for g in mine) <= h.free_disk_gb
        assert max_per_host is None or len(mine) <= max_per_host
    # Unplaced guests really do not fit anywhere given what was left.
    for g in placement.unplaced:
        for h in hosts:
            mine = [by_id[i] for i, host in placement.assignments.items() if host == h.host]
            left = (h.free_vcpus - sum(x.vcpus for x in mine), h.free_ram_mb - sum(x.ram_mb for x in mine),
                    h.free_disk_gb - sum(x.disk_gb for x in mine))
            full = max_per_host is not None and len(mine) >= max_per_host
            assert full or g.vcpus > left[0] or g.ram_mb > left[1] or g.disk_gb > left[2]


# -- mass failure guard ---------------------------------------------------------------------


@pytest.mark.parametrize("failed,total,threshold,expected", [
    (1, 10, 30, False), (3, 10, 30, False), (4, 10, 30, True), (2, 4, 50, False), (3, 4, 50, True),
    (1, 1, 50, True), (10, 10, 100, False), (1, 10, 0, True), (0, 10, 0, False), (5, 0, 10, False),
    (1, 3, 33.4, False), (1, 3, 33.3, True), (1, 3, 34, False),
])
def test_mass_failure_exceeded(failed, total, threshold, expected):
    assert planning.mass_failure_exceeded(failed, total, threshold) is expected


def test_mass_failure_threshold_negative_rejected():
    with pytest.raises(ValueError):
        planning.mass_failure_exceeded(1, 10, -1)


@pytest.mark.parametrize("failed,total", itertools.product(range(0, 12), range(1, 12)))
def test_mass_failure_monotonic_in_failed_hosts(failed, total):
    for threshold in (0, 10, 25, 50, 75, 99.9):
        if planning.mass_failure_exceeded(failed, total, threshold):
            assert planning.mass_failure_exceeded(failed + 1, total, threshold)


def test_hosts_failed_in_window_counts_distinct_hosts_inside_window():
    now = dt.datetime(2026, 1, 1, 12, 0, 0)
    failures = [("a", now - dt.timedelta(seconds=10)), ("a", now - dt.timedelta(seconds=5)),
                ("b", now - dt.timedelta(seconds=300)), ("c", now - dt.timedelta(seconds=301)),
                ("d", now + dt.timedelta(seconds=1))]
    assert planning.hosts_failed_in_window(failures, now=now, window_seconds=300) == frozenset({"a", "b"})
    assert planning.failure_window_start(now, 60) == now - dt.timedelta(seconds=60)
    with pytest.raises(ValueError):
        planning.failure_window_start(now, -1)


# -- evacuation confirmation -------------------------------------------------------------------


def mig(id_, status, *, instance="a", source="c1", dest="c2", created="2026-01-01T12:00:00.000000",
        type_="evacuation"):
    return Migration(id=id_, instance_uuid=instance, source_compute=source, dest_compute=dest,
                     migration_type=type_, status=status, created_at=created)


def test_confirmed_by_done_record_and_new_host():
    verdict = planning.is_evacuation_confirmed(srv("a", host="c2"), [mig("m1", "done")], "c1",
                                               vm_state_before="active")
    assert verdict.state is VerdictState.CONFIRMED and verdict.confirmed
    assert verdict.dest_host == "c2" and verdict.migration_id == "m1"


@pytest.mark.parametrize("vm_state", ["active", "stopped"])
def test_confirmed_with_completed_record(vm_state):
    verdict = planning.is_evacuation_confirmed(srv("a", host="c3", vm_state=vm_state), [mig("m1", "completed")],
                                               "c1", vm_state_before="error")
    assert verdict.confirmed


@pytest.mark.parametrize("status", ["accepted", "pre-migrating", "migrating", "running"])
def test_pending_while_record_in_progress(status):
    verdict = planning.is_evacuation_confirmed(srv("a", host="c2"), [mig("m1", status)], "c1")
    assert verdict.pending and status in verdict.reason


def test_pending_without_record_even_if_host_changed():
    assert planning.is_evacuation_confirmed(srv("a", host="c2"), [], "c1").pending


def test_pending_while_still_on_source_or_task_running():
    assert planning.is_evacuation_confirmed(srv("a", host="c1"), [mig("m1", "done")], "c1").pending
    assert planning.is_evacuation_confirmed(srv("a", host="c2", task_state="rebuilding"),
                                            [mig("m1", "done")], "c1").pending
    assert planning.is_evacuation_confirmed(srv("a", host="c2", vm_state="rebuilding"),
                                            [mig("m1", "done")], "c1").pending


@pytest.mark.parametrize("status", ["failed", "error"])
def test_failed_record_fails(status):
    verdict = planning.is_evacuation_confirmed(srv("a", host="c1"), [mig("m1", status)], "c1")
    assert verdict.failed and status in verdict.reason and "a" in verdict.reason


def test_error_state_not_original_fails_immediately_when_settled():
    broken = srv("a", host="c2", vm_state="error")
    for records in ([], [mig("m1", "done")], [mig("m1", "completed")]):
        verdict = planning.is_evacuation_confirmed(broken, records, "c1", vm_state_before="active")
        assert verdict.failed and "vm_state error" in verdict.reason


def test_error_state_while_record_in_progress_or_task_running_waits():
    # Nova keeps the pre-evacuation vm_state while rebuilding; its record decides.
    in_error = srv("a", host="c2", vm_state="error")
    assert planning.is_evacuation_confirmed(in_error, [mig("m1", "pre-migrating")], "c1",
                                            vm_state_before="active").pending
    rebuilding = srv("a", host="c1", vm_state="error", task_state="rebuilding")
    assert planning.is_evacuation_confirmed(rebuilding, [], "c1", vm_state_before="active").pending


def test_error_state_that_was_original_is_not_a_failure():
    verdict = planning.is_evacuation_confirmed(srv("a", host="c1", vm_state="error"), [mig("m1", "accepted")],
                                               "c1", vm_state_before="error")
    assert verdict.pending


def test_records_of_other_instances_sources_or_types_ignored():
    records = [mig("x", "done", instance="other"), mig("y", "done", source="c9"),
               mig("z", "done", type_="live-migration")]
    assert planning.is_evacuation_confirmed(srv("a", host="c2"), records, "c1").pending


def test_newest_record_decides():
    records = [mig("old", "failed", created="2026-01-01T10:00:00.000000"),
               mig("new", "done", created="2026-01-01T11:00:00.000000")]
    for order in (records, records[::-1]):
        verdict = planning.is_evacuation_confirmed(srv("a", host="c2"), order, "c1")
        assert verdict.confirmed and verdict.migration_id == "new"


def test_since_ignores_an_older_evacuation_from_the_same_host():
    old = mig("old", "completed", created="2026-01-01T10:00:00.000000")
    since = dt.datetime(2026, 1, 1, 11, 0, 0)
    assert planning.is_evacuation_confirmed(srv("a", host="c2"), [old], "c1", since=since).pending
    aware = dt.datetime(2026, 1, 1, 9, 0, 0, tzinfo=dt.timezone.utc)
    assert planning.is_evacuation_confirmed(srv("a", host="c2"), [old], "c1", since=aware).confirmed


def test_find_evacuation_undated_only_when_nothing_dated():
    undated = mig("u", "done", created=None)
    dated = mig("d", "accepted")
    assert planning.find_evacuation([undated, dated], "a", "c1").id == "d"
    assert planning.find_evacuation([undated], "a", "c1").id == "u"
    assert planning.find_evacuation([], "a", "c1") is None
