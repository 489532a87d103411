"""Two failure modes of the HA machinery itself, on the field bed.

* A monitor partitioned from the cluster (remote2's namespace link cut): its host monitor can no
  longer ask pacemaker anything and must not report the healthy hosts it cannot see; the cluster
  fences the cut-off node, which is the only host recovered.
* The engine process killed (SIGKILL) in the middle of an evacuation: a second engine takes the
  expired lease over and finishes; Nova's evacuation migration records prove that no guest was
  evacuated twice.
"""

from __future__ import annotations

import collections
import time

import pytest

from tests.e2e.conftest import wait_for
from tests.e2e.field.conftest import FIELD_BED, PCMK_LAB, run_tool

pytestmark = pytest.mark.e2e


def test_partitioned_monitor_evacuates_no_healthy_host(field):
    guests = {host: field.boot(1, host, f"part-{host}")[0] for host in ("remote1", "remote2", "remote3")}
    run_tool(PCMK_LAB, "partition", "2")
    cut_at = time.monotonic()

    # The cluster loses remote2 and fences it (through fence_maas); the monitors that still
    # see the cluster report it.  The partitioned monitor on remote2 must report nothing.
    note = field.wait_notification("remote2", timeout=120)
    final = field.wait_final(note["notification_uuid"])
    # Keep watching for a while after the cut: a confused monitor would report the others.
    remaining = 30 - (time.monotonic() - cut_at)
    if remaining > 0:
        time.sleep(remaining)

    others = [n for n in field.notifications() if n["hostname"] != "remote2"]
    assert others == [], others
    for host in ("remote1", "remote3"):
        assert field.host_of(guests[host]) == host
        assert field.service(host).forced_down is False
    evacuated = {m["instance_uuid"] for m in field.evacuations()}
    assert evacuated <= {guests["remote2"]}, evacuated
    offs = {a["hostname"] for a in field.maas_actions() if a.get("op") == "power_off"}
    assert offs == {"remote2"}, field.maas_actions()
    assert final["status"] == "finished", (final, field.logs())
    assert field.host_of(guests["remote2"]) not in ("remote2", field.reserved)


def test_engine_killed_mid_evacuation_second_engine_finishes_once(field):
    guests = field.boot(8, "remote1", "crash")
    run_tool(FIELD_BED, "start-engine", "engine-2")
    field.kill_host("remote1")
    note = field.wait_notification("remote1", timeout=90)
    uuid = note["notification_uuid"]

    def some_done():
        moves = field.vmoves(uuid)
        done = [m for m in moves if m["status"] == "succeeded"]
        return done and len(done) < len(guests) and moves

    wait_for(some_done, 120, lambda: f"the first evacuations of {uuid}\n{field.logs()}", interval=0.3)
    owner = next(name for name in ("engine-1", "engine-2")
                 if f"Processing notification {uuid}" in field.engine_log(name))
    run_tool(FIELD_BED, "stop-engine", owner, "--kill")
    survivor = "engine-2" if owner == "engine-1" else "engine-1"

    final = field.wait_final(uuid, timeout=240)
    assert final["status"] == "finished", (final, field.logs())
    assert f"Processing notification {uuid}" in field.engine_log(survivor)

    per_guest = collections.Counter(m["instance_uuid"] for m in field.evacuations()
                                    if m["instance_uuid"] in guests)
    assert per_guest == {g: 1 for g in guests}, per_guest
    assert all(field.host_of(g) not in ("remote1", field.reserved) for g in guests)
    assert {field.server(g).status for g in guests} == {"ACTIVE"}
    moves = field.vmoves(uuid)
    assert collections.Counter(m["instance_uuid"] for m in moves) == {g: 1 for g in guests}, moves
    assert {m["status"] for m in moves} == {"succeeded"}, moves
