"""The MAAS emulator as a process and through its control API."""

import json
import os
import signal
import subprocess
import sys

import requests

from masakari_ha.fencing import maas
from tests.functional.fencing.conftest import KEY


def test_control_api(sim):
    base = sim.url.replace("/MAAS", "/_sim")
    assert requests.get(base + "/health", timeout=5).json() == {"ok": True, "machines": 3}
    created = requests.post(base + "/machines", json={"hostname": "node4", "power_state": "off"}, timeout=5)
    assert created.status_code == 201 and created.json()["power_state"] == "off"
    patched = requests.patch(base + "/machines/node4", json={"query_fault": "503"}, timeout=5)
    assert patched.json()["query_fault"] == "503"
    bad = requests.patch(base + "/machines/node4", json={"query_fault": "boom"}, timeout=5)
    assert bad.status_code == 400 and "query_fault" in bad.json()["error"]
    assert requests.get(base + "/machines/nodeX", timeout=5).status_code == 404
    assert requests.delete(base + "/machines/node4", timeout=5).status_code == 200
    assert [m["hostname"] for m in requests.get(base + "/machines", timeout=5).json()] == ["node1", "node2", "node3"]

    client = maas.MaasClient(sim.url, maas.ApiKey.parse(KEY), request_timeout=5)
    client.power_off("node1", comment="c1")
    actions = requests.get(base + "/actions?hostname=node1", timeout=5).json()
    assert [(a["op"], a["stop_mode"], a["comment"]) for a in actions] == [("power_off", "hard", "c1")]
    requests.delete(base + "/actions", timeout=5)
    assert requests.get(base + "/actions", timeout=5).json() == []

    new_key = "newCK:newTK:newTS"
    requests.put(base + "/credentials", json={"api_key": new_key}, timeout=5)
    try:
        client.whoami()
        raise AssertionError("the old key still works")
    except maas.MaasAuthError:
        pass
    assert maas.MaasClient(sim.url, maas.ApiKey.parse(new_key)).whoami()["username"] == "fencer"
    assert requests.get(base + "/nothing", timeout=5).status_code == 404


def test_unknown_api_paths_and_ops(sim):
    client = maas.MaasClient(sim.url, maas.ApiKey.parse(KEY), request_timeout=5)
    sid = client.system_id("node1")
    resp = requests.get(sim.url + f"/api/2.0/machines/{sid}/", params={"op": "nope"},
                        auth=client._auth, timeout=5)
    assert resp.status_code == 400
    assert requests.get(sim.url + "/api/2.0/machines/", timeout=5).status_code == 401
    assert requests.get(sim.url + "/api/2.0/version/", timeout=5).status_code == 200


def test_standalone_process(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    actions_log = tmp_path / "actions.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "masakari_ha.simulator.maas", "--port", "0", "--machines", "r1,r2",
         "--api-key-file", str(key_file), "--off-delay", "0", "--actions-log", str(actions_log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        line = proc.stdout.readline()
        assert line.startswith("maas-sim listening on http://127.0.0.1:")
        url = line.split()[-1]
        client = maas.MaasClient(url, maas.ApiKey.parse(KEY), request_timeout=5)
        client.power_off("r2.maas", comment="from test")
        assert client.query_power_state("r2").value == "off"
        record = json.loads(actions_log.read_text().splitlines()[0])
        assert (record["hostname"], record["op"], record["stop_mode"]) == ("r2", "power_off", "hard")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
