"""The embedded default end to end, with real processes and the stock clients.

``masakari-ha-all`` (no [nova]) on a free port with a temp state dir starts the simulated
cloud; the stock ``openstack`` CLI (python-openstackclient + python-masakariclient) with the
environment the simulation printed creates a segment with three hosts and marks a guest
HA_Enabled; ``masakari-ha-sim crash-instance`` and ``kill-host`` break things; both
notifications must finish with the guests ACTIVE where expected, and ``/metrics`` (parsed with
Prometheus' parser) must show the notifications and the MAAS fencing.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo(tmp_path):
    port = _free_port()
    state = tmp_path / "state"
    conf = tmp_path / "demo.conf"
    conf.write_text(f"[DEFAULT]\nstate_path = {state}\nmasakari_api_listen_port = {port}\n"
                    "[simulation]\nkeystone_port = 0\nnova_port = 0\nmaas_port = 0\n"
                    "control_port = 0\nmonitor_interval = 0.5\n")
    log = open(tmp_path / "all.log", "w")
    proc = subprocess.Popen([str(BIN / "masakari-ha-all"), "--config-file", str(conf)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    description = state / "simulation.json"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert proc.poll() is None, (tmp_path / "all.log").read_text()[-3000:]
            if description.exists():
                try:
                    if requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
            assert time.monotonic() < deadline, (tmp_path / "all.log").read_text()[-3000:]
            time.sleep(0.2)
        info = json.loads(description.read_text())
        info["log"] = tmp_path / "all.log"
        info["port"] = port
        yield info
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert not description.exists()   # removed when the simulation stops


def _env(demo) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(demo["environment"])
    return env


def run(demo, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / argv[0]), *argv[1:]], env=_env(demo), text=True,
                            capture_output=True, timeout=120)
    if check:
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
    return result


def openstack_json(demo, *argv: str):
    return json.loads(run(demo, "openstack", *argv, "-f", "json").stdout)


def sim_status(demo) -> dict:
    return json.loads(run(demo, "masakari-ha-sim", "--json", "status").stdout)


def wait_notification(demo, uuid: str, timeout: float = 60) -> dict:
    """Poll cheaply through masakari-ha-sim, then show it once with the stock CLI (1.1)."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [n for n in sim_status(demo)["notifications"] if n["notification_uuid"] == uuid]
        if mine and mine[0]["status"] in ("finished", "error", "failed", "ignored"):
            break
        assert time.monotonic() < deadline, f"notification {uuid} still {mine}"
        time.sleep(0.5)
    return openstack_json(demo, "notification", "show", uuid, "--os-ha-api-version", "1.1")


def uuid_from(output: str) -> str:
    for line in output.splitlines():
        if "accepted by the API" in line:
            return line.split()[1]
    raise AssertionError(f"no accepted notification in: {output}")


def server(demo, uuid: str) -> dict:
    return openstack_json(demo, "server", "show", uuid)


def metric_values(demo) -> dict:
    text = requests.get(f"http://127.0.0.1:{demo['port']}/metrics", timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_crash_instance_and_kill_host_with_the_stock_cli(demo):
    assert demo["api"].endswith("/v1")
    segment = openstack_json(demo, "segment", "create", "seg1", "auto", "COMPUTE")
    for host in ("compute-1", "compute-2", "compute-3"):
        openstack_json(demo, "segment", "host", "create", host, "COMPUTE", "SSH", segment["uuid"])
    hosts = openstack_json(demo, "segment", "host", "list", segment["uuid"])
    assert sorted(h["name"] for h in hosts) == ["compute-1", "compute-2", "compute-3"]

    status = sim_status(demo)
    guests = {g["name"]: g for g in status["guests"]}
    crashed = guests["vm-2-1"]["id"]
    on_failed_host = sorted(g["id"] for g in status["guests"] if g["host"] == "compute-1")
    assert len(on_failed_host) == 2
    run(demo, "openstack", "server", "set", "--property", "HA_Enabled=True", crashed)
    assert server(demo, crashed)["properties"] in ({"HA_Enabled": "True"}, "HA_Enabled='True'")

    # The instance monitor path: libvirt STOPPED_FAILED -> VM notification -> restart.
    out = run(demo, "masakari-ha-sim", "crash-instance", crashed).stdout
    vm_notification = wait_notification(demo, uuid_from(out))
    assert vm_notification["status"] == "finished", vm_notification
    shown = server(demo, crashed)
    assert shown["status"] == "ACTIVE" and shown["OS-EXT-SRV-ATTR:host"] == "compute-2"

    # The host monitor path: pacemaker-remote offline -> COMPUTE_HOST -> MAAS fencing -> evacuate.
    out = run(demo, "masakari-ha-sim", "kill-host", "compute-1").stdout
    host_uuid = uuid_from(out)
    host_notification = wait_notification(demo, host_uuid)
    assert host_notification["status"] == "finished", host_notification
    assert host_notification["recovery_workflow_details"], host_notification
    status = sim_status(demo)
    moved = {g["id"]: g for g in status["guests"] if g["id"] in on_failed_host}
    assert len(moved) == 2
    for guest in moved.values():
        assert guest["vm_state"] == "active" and guest["host"] not in ("compute-1", None), guest
    vmoves = openstack_json(demo, "notification", "vmove", "list", host_uuid,
                            "--os-ha-api-version", "1.3")
    assert sorted(v["server_id"] for v in vmoves) == on_failed_host
    assert {v["status"] for v in vmoves} == {"succeeded"}
    failed = [h for h in status["hosts"] if h["name"] == "compute-1"][0]
    assert failed["pacemaker"] == "offline" and failed["power"] == "off"

    samples = metric_values(demo)
    received = "masakari_ha_notifications_received_total"
    assert samples[(received, (("status", "new"), ("type", "VM")))] == 1
    assert samples[(received, (("status", "new"), ("type", "COMPUTE_HOST")))] == 1
    assert samples[("masakari_ha_fencing_attempts_total",
                    (("driver", "maas"), ("result", "fenced")))] == 1
    assert samples[("masakari_ha_recoveries_total", (("outcome", "finished"), ("type", "VM")))] == 1
    assert samples[("masakari_ha_recoveries_total",
                    (("outcome", "finished"), ("type", "COMPUTE_HOST")))] == 1
    assert samples[("masakari_ha_evacuations_total", (("outcome", "success"),))] == 2
    assert samples[("masakari_ha_instance_restarts_total", (("outcome", "success"),))] == 1

    # Errors say what to do.
    bad = run(demo, "masakari-ha-sim", "kill-host", "compute-1", check=False)
    assert bad.returncode == 1 and "revive-host compute-1" in bad.stderr
    revived = run(demo, "masakari-ha-sim", "revive-host", "compute-1").stdout
    assert "maintenance" in revived

    # Loud, and says how to use it (stdout and log go to the same file here).
    output = demo["log"].read_text()
    assert "THIS IS A SIMULATION" in output
    assert f"export OS_AUTH_URL={demo['keystone']}" in output
    assert "openstack segment create seg1 auto COMPUTE" in output
    assert "masakari-ha-sim kill-host compute-1" in output


def test_sim_cli_without_a_simulation_says_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MASAKARI_HA_SIM_URL"}
    result = subprocess.run([str(BIN / "masakari-ha-sim"), "--url",
                             f"http://127.0.0.1:{_free_port()}", "status"], env=env, text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 1
    assert "no simulation running at" in result.stderr and "tools/run-service" in result.stderr
    assert "Traceback" not in result.stderr
