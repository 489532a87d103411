"""Host failure on the field bed: real pacemaker fences through fence_maas, the real host
monitors report, the engine (a separate process on MariaDB + RabbitMQ) recovers on real Nova.

Scenarios of issue 6: ``auto``; ``reserved_host`` (the field report's before/after
``compute service list``); fencing that cannot be confirmed (BMC answers "unknown"); and the
failed compute coming back with ``auto_recover_host`` on.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_for
from tests.e2e.field.conftest import FIELD_BED, run_tool

pytestmark = pytest.mark.e2e

FAILED = "remote1"


def assert_fenced_by_maas(field, host: str) -> None:
    """The MAAS emulator recorded a hard power-off of ``host`` and of no other machine."""
    offs = [a for a in field.maas_actions() if a.get("op") == "power_off"]
    assert offs, f"MAAS emulator recorded no power-off: {field.maas_actions()}"
    assert {a["hostname"] for a in offs} == {host}, offs
    assert all(a.get("stop_mode") == "hard" for a in offs), offs


def fail_and_recover(field, host: str = FAILED) -> dict:
    """Kill ``host`` (pacemaker_remoted + nova-compute), wait for the monitors' notification and
    its final status; return the notification."""
    field.kill_host(host)
    note = field.wait_notification(host, timeout=90)
    assert note["payload"]["host_status"] == "NORMAL", note      # pacemaker fenced it
    assert note["payload"]["cluster_status"] == "OFFLINE", note
    return field.wait_final(note["notification_uuid"])


def test_host_failure_auto(field):
    """auto: every guest of the killed compute ends on another compute in its original power
    state; vmoves succeeded; the host is on maintenance, its service disabled and forced down."""
    active = field.boot(2, FAILED, "auto-a", metadata={"HA_Enabled": "True"})
    stopped = field.boot(1, FAILED, "auto-s")
    field.stop(stopped[0])
    bystander = field.boot(1, "remote2", "auto-b")

    final = fail_and_recover(field)
    assert final["status"] == "finished", (final, field.logs())
    assert_fenced_by_maas(field, FAILED)

    for sid in active + stopped:
        assert field.host_of(sid) not in (FAILED, field.reserved), sid
    assert {field.server(s).status for s in active} == {"ACTIVE"}
    assert field.server(stopped[0]).status == "SHUTOFF"
    assert field.host_of(bystander[0]) == "remote2"

    moves = field.vmoves(final["notification_uuid"])
    assert {m["instance_uuid"] for m in moves} == set(active + stopped), moves
    assert {m["status"] for m in moves} == {"succeeded"}, moves
    assert all(m["source_host"] == FAILED and m["dest_host"] not in (FAILED, None) for m in moves), moves

    assert field.hosts_view()[FAILED]["on_maintenance"] is True
    status, _state, forced = field.service_table()[FAILED]
    assert (status, forced) == ("disabled", True)
    assert field.service(FAILED).disabled_reason == "Masakari detected host failed."

    log = field.engine_log()
    uuid = final["notification_uuid"]
    assert f"Processing notification {uuid} of type: COMPUTE_HOST" in log
    for sid in active + stopped:
        assert f"Call evacuate command for instance {sid} on host" in log, sid
    assert f"Notification {uuid} exits with status: finished." in log


def test_host_failure_reserved_host(field):
    """reserved_host: the reserved compute (disabled in Nova) is enabled and takes the guests,
    its ``reserved`` flag cleared — the field report's before/after ``compute service list``."""
    field.set_recovery_method("reserved_host")
    guests = field.boot(2, FAILED, "rh")
    before = field.service_table()
    assert before == {
        "remote1": ("enabled", "up", False),
        "remote2": ("enabled", "up", False),
        "remote3": ("enabled", "up", False),
        "remote4": ("disabled", "up", False),
    }, before
    assert field.hosts_view()[field.reserved]["reserved"] is True

    final = fail_and_recover(field)
    assert final["status"] == "finished", (final, field.logs())
    assert_fenced_by_maas(field, FAILED)

    after = field.service_table()
    assert after == {
        "remote1": ("disabled", "down", True),
        "remote2": ("enabled", "up", False),
        "remote3": ("enabled", "up", False),
        "remote4": ("enabled", "up", False),
    }, after
    assert {field.host_of(g) for g in guests} == {field.reserved}
    assert {field.server(g).status for g in guests} == {"ACTIVE"}
    hosts = field.hosts_view()
    assert hosts[field.reserved]["reserved"] is False
    assert hosts[FAILED]["on_maintenance"] is True
    moves = field.vmoves(final["notification_uuid"])
    assert {(m["dest_host"], m["status"]) for m in moves} == {(field.reserved, "succeeded")}, moves


def test_fencing_not_confirmed_evacuates_nothing(field):
    """The BMC answers "unknown" to every power query: pacemaker cannot fence, the monitors
    report host_status=UNKNOWN, the engine's own MAAS fencing cannot confirm the power-off —
    nothing is evacuated and the notification says why."""
    guests = field.boot(2, FAILED, "nofence")
    field.maas_machine(FAILED, query_fault="unknown")
    field.kill_host(FAILED)
    note = field.wait_notification(FAILED, timeout=120)
    assert note["payload"]["host_status"] == "UNKNOWN", note
    final = field.wait_final(note["notification_uuid"], timeout=180)

    assert final["status"] == "error", (final, field.logs())
    message = (final.get("message") or "").lower()
    assert "fenc" in message or "power" in message, final
    assert not [m for m in field.evacuations() if m["instance_uuid"] in guests], field.evacuations()
    assert {field.host_of(g) for g in guests} == {FAILED}
    assert all(m["status"] != "succeeded" for m in field.vmoves(final["notification_uuid"]))
    assert field.service(FAILED).forced_down is False


def test_failed_compute_comes_back_with_auto_recover_host(field):
    """After an ``auto`` recovery the compute is repaired (remoted and nova-compute restarted,
    machine powered on): the host monitors report STARTED, and with
    ``[host_failure] auto_recover_host`` on the engine clears maintenance, un-forces the
    service (Nova refuses until the compute restarted and settled its evacuations) and enables it."""
    run_tool(FIELD_BED, "auto-recover-host", "on", timeout=180)
    guest = field.boot(1, FAILED, "back")[0]
    final = fail_and_recover(field)
    assert final["status"] == "finished", (final, field.logs())
    assert field.host_of(guest) != FAILED
    assert field.hosts_view()[FAILED]["on_maintenance"] is True
    assert field.service_table()[FAILED] == ("disabled", "down", True)

    field.maas_machine(FAILED, power_state="on")
    field.restart_host(FAILED)

    wait_for(lambda: field.hosts_view()[FAILED]["on_maintenance"] is False, 120,
             lambda: f"maintenance of {FAILED} cleared\n{field.logs()}")
    wait_for(lambda: field.service_table()[FAILED] == ("enabled", "up", False), 120,
             lambda: f"{FAILED} enabled, up and not forced down (now {field.service_table()[FAILED]})\n"
                     f"{field.logs()}")
    started = [n for n in field.notifications(FAILED) if n["payload"].get("event") == "STARTED"]
    assert [n["status"] for n in started if n["status"] == "finished"], started
    migrations = [m for m in field.evacuations() if m["instance_uuid"] == guest]
    assert [m["status"] for m in migrations] == ["completed"], migrations
