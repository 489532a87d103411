"""Instance failure on the field bed: ``kill -9`` of a guest's qemu (a tiny domain in the real
libvirtd whose UUID is the Nova server's) → masakari-ha-instancemonitor (libvirt event
STOPPED_FAILED) → API (Keystone auth) → engine → Nova stop/start → the guest is ACTIVE again;
``openstack notification show`` (python-masakariclient through the Keystone catalog) lists the
finished recovery; the engine log has upstream's lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for
from tests.e2e.field.conftest import LIBVIRT_LAB, run_tool

pytestmark = pytest.mark.e2e


def openstack(field, *args: str) -> dict:
    env = dict(os.environ)
    env.update({k: v for k, v in field.env.items() if k.startswith("OS_")})
    cli = Path(sys.executable).parent / "openstack"
    proc = subprocess.run([str(cli), *args, "-f", "json"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"openstack {' '.join(args)}: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def test_killed_qemu_is_restarted_through_nova(field):
    host = field.env["MASAKARI_HA_FIELD_INSTANCE_MONITOR_HOST"]
    guest = field.boot(1, host, "vmcrash", metadata={"HA_Enabled": "True"})[0]
    domain = field.define_domain(guest)

    run_tool(LIBVIRT_LAB, "kill-qemu", domain)

    def vm_note():
        return [n for n in field.notifications(type_="VM") if n["payload"].get("instance_uuid") == guest]

    note = wait_for(vm_note, 60, lambda: f"the instance monitor's VM notification\n{field.logs()}")[0]
    assert note["hostname"] == host
    assert note["payload"]["event"] == "LIFECYCLE"
    assert note["payload"]["vir_domain_event"] == "STOPPED_FAILED"
    uuid = note["notification_uuid"]
    final = field.wait_final(uuid, timeout=180)
    assert final["status"] == "finished", (final, field.logs())

    server = field.server(guest)
    assert server.status == "ACTIVE"
    assert field.host_of(guest) == host
    actions = [a.action for a in field.nova.instance_action.list(guest)]
    assert "stop" in actions and "start" in actions, actions

    shown = openstack(field, "notification", "show", uuid)
    assert shown["status"] == "finished", shown
    assert shown["notification_uuid"] == uuid
    details = str(shown.get("recovery_workflow_details"))
    for task in ("StopInstanceTask", "StartInstanceTask", "ConfirmInstanceActiveTask"):
        assert task in details, shown

    log = field.engine_log()
    assert f"Processing notification {uuid} of type: VM" in log
    assert f"Notification {uuid} exits with status: finished." in log
