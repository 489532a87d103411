"""The /_sim control API through RemoteCloud, the command line entry point, and other clients."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from masakari_ha.simulator import RemoteCloud, SimulatedCloud
from masakari_ha.simulator.nova import app as nova_app
from masakari_ha.simulator.remote import RemoteControlError


def test_remote_cloud_drives_the_emulator(sim_env):
    remote = RemoteCloud(sim_env.nova_url)
    remote.add_host("compute-9", vcpus=8)
    made = remote.add_servers("compute-9", count=3, metadata={"HA_Enabled": "True"})
    assert len(made) == 3 and {s["host"] for s in made} == {"compute-9"}
    assert len(remote.servers("compute-9")) == 3
    remote.kill_host("compute-9", immediate=True)
    assert not sim_env.cloud.service("compute-9").up
    remote.fail_evacuations([made[0]["id"]])
    crashed = remote.add_server("compute-1")
    assert remote.crash_server(crashed["id"])["vm_state"] == "active"
    assert sim_env.cloud.wait_idle(5) and remote.server(crashed["id"])["vm_state"] == "stopped"
    remote.inject("servers.get", status=503, times=1)
    assert remote.counters()["evacuate_calls"] == {}
    nova = sim_env.novaclient("2.53")
    (svc,) = nova.services.list(host="compute-9", binary="nova-compute")
    nova.services.force_down(svc.id, True)
    for server in made:
        nova.servers.evacuate(server["id"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sim_env.cloud.pending_events():
        time.sleep(0.02)
    assert remote.server(made[0]["id"])["vm_state"] == "error"
    assert remote.server(made[1]["id"])["vm_state"] == "active"
    assert remote.evacuate_calls(made[1]["id"]) == 1
    assert [m["status"] for m in remote.migrations()].count("done") == 2
    remote.restart_compute("compute-9")
    assert [m["status"] for m in remote.migrations()].count("completed") == 2
    remote.set_capacity_full("compute-1")
    remote.add_aggregate("agg", ["compute-1"])
    assert remote.set_latency(stop=0.5)["stop"] == 0.5
    assert remote.latency()["stop"] == 0.5
    assert remote.state()["hosts"] == 4
    remote.clear_faults()
    assert sim_env.cloud.faults.describe()["http"] == []


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/hosts", {"nom": "x"}),
    ("POST", "/servers", {"host": "nowhere"}),
    ("POST", "/servers", {"host": "compute-1", "count": 0}),
    ("POST", "/faults", {"call": "*", "status": 200}),
    ("PUT", "/latency", {"evacuate": -1}),
    ("POST", "/hosts/nowhere/kill", {}),
])
def test_control_api_rejects_bad_input_with_4xx(sim_env, method, path, body):
    r = requests.request(method, sim_env.nova_base_url + "/_sim" + path, json=body, timeout=5)
    assert 400 <= r.status_code < 500 and r.json()["error"]


def test_control_token_is_enforced(sim_factory):
    env = sim_factory(hosts=["compute-1"], control_token="s3cret")
    with pytest.raises(RemoteControlError, match="401"):
        RemoteCloud(env.nova_base_url).state()
    assert RemoteCloud(env.nova_base_url, token="s3cret").state()["hosts"] == 1


@pytest.mark.timeout(120)
def test_command_line_serves_until_sigterm(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "masakari_ha.simulator", "--port-base", "0",
                             "--hosts", "a,b", "--servers-per-host", "2", "--latency", "fast",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        summary = json.loads(proc.stdout.readline())
        assert summary["hosts"] == ["a", "b"] and summary["servers"] == 4
        remote = RemoteCloud(summary["nova"])
        assert remote.state()["servers"] == 4
        env = dict(os.environ, **summary["environment"])
        openstack = os.path.join(os.path.dirname(sys.executable), "openstack")
        out = subprocess.run([openstack, "compute", "service", "list", "-f", "json",
                              "--service", "nova-compute"], env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert sorted(s["Host"] for s in json.loads(out.stdout)) == ["a", "b"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_command_line_rejects_bad_arguments(capsys):
    from masakari_ha.simulator.__main__ import main

    assert main(["--servers-per-host", "-1"]) == 2
    assert "servers-per-host" in capsys.readouterr().err
    assert main(["--max-limit", "0"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["--latency", "warp"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_expired_token_is_renewed_by_keystoneauth(sim_env):
    nova = sim_env.novaclient("2.53")
    assert len(nova.services.list()) == 5
    issued = sim_env.identity.issued
    sim_env.identity.expire_all()
    assert len(nova.services.list()) == 5
    assert sim_env.identity.issued == issued + 1


def test_app_without_identity_treats_callers_as_admin():
    cloud = SimulatedCloud()
    cloud.add_host("compute-1")
    client = nova_app.create_app(cloud, None).test_client()
    r = client.get("/v2.1/os-services", headers={"OpenStack-API-Version": "compute 2.53"})
    assert r.status_code == 200 and len(r.get_json()["services"]) == 3


def test_evacuate_body_validation_by_microversion(sim_env):
    server = sim_env.cloud.add_server("compute-1")
    sim_env.cloud.kill_host("compute-1", immediate=True)
    token = sim_env.session().get_token()

    def evacuate(version, body):
        return requests.post(f"{sim_env.nova_url}/servers/{server.uuid}/action", timeout=5,
                             json={"evacuate": body}, headers={
                                 "X-Auth-Token": token,
                                 "OpenStack-API-Version": f"compute {version}"})

    assert evacuate("2.1", {}).status_code == 400  # onSharedStorage required before 2.14
    assert evacuate("2.68", {"force": True}).status_code == 400  # force removed in 2.68
    assert evacuate("2.53", {"bogus": 1}).status_code == 400
    r = evacuate("2.1", {"onSharedStorage": False})
    assert r.status_code == 200 and r.json()["adminPass"]


def test_hypervisor_fields_follow_microversion(sim_env):
    token = sim_env.session().get_token()

    def detail(version):
        return requests.get(sim_env.nova_url + "/os-hypervisors/detail", timeout=5, headers={
            "X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}).json()

    old, new = detail("2.53")["hypervisors"][0], detail("2.88")["hypervisors"][0]
    assert "vcpus" in old and "memory_mb_used" in old
    assert "vcpus" not in new and new["state"] == "up"
