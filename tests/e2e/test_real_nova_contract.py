"""masakari_ha's Nova client against a REAL Nova (tools/nova-lab.sh: Debian Nova 26, FakeDriver).

These are the Nova behaviours the recovery engine is built on; the Nova emulator imitates
them, this test proves them on the real thing:

* evacuate is refused while the source compute service is up (ComputeServiceStillInUse);
* disable + force-down make evacuate accepted at once (no sleep);
* the evacuation shows up as an ``evacuation`` migration record, ``done`` on success;
* un-forcing the source is refused while ``done`` records remain (ForceUpRefused), and
  accepted once the evacuated-from compute has restarted (records become ``completed``);
* stop/start are idempotent through the client.
"""

import os
import subprocess
import time
from pathlib import Path

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from novaclient import client as nova_client

from masakari_ha.compute import exceptions as nova_exc
from masakari_ha.compute.nova import NovaClient
from tests.e2e.conftest import exclusive_bed

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NOVA_LAB = ROOT / "tools" / "nova-lab.sh"
HOSTS = ("compute-1", "compute-2", "compute-3")
IMAGE_ID = "11111111-2222-3333-4444-555555555555"
AUTH_URL = "http://127.0.0.1:15001/v3"


def _lab(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(NOVA_LAB), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def real_nova():
    # The Nova bed is shared with tools/field-bed.sh (whose reset deletes every server): hold
    # its session lock, as the field tests do, for as long as this module uses it.
    with exclusive_bed("nova"):
        result = _lab("up", *HOSTS)
        if result.returncode != 0:
            reason = f"real Nova bed (tools/nova-lab.sh up) could not start:\n{result.stderr[-2000:]}"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
        auth = v3.Password(auth_url=AUTH_URL, username="admin", password="adminpass", project_name="admin",
                           user_domain_id="default", project_domain_id="default")
        yield ks_session.Session(auth=auth)


@pytest.fixture(scope="module")
def client(real_nova):
    nova = NovaClient(real_nova, adapter_options={"region_name": "RegionOne", "interface": "public"})
    # The Nova database outlives the bed's processes: a run interrupted before its clean-up (this
    # module's, or the field bed's, which disables computes it does not own) may have left ours
    # disabled, and the evacuation below needs the other two schedulable.
    for host in HOSTS:
        if nova.get_compute_service(host).status != "enabled":
            nova.enable_service(host)
    return nova


def _wait(predicate, what: str, timeout: float = 120, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def server(real_nova, client):
    raw = nova_client.Client("2.37", session=real_nova)
    flavor = next(f for f in raw.flavors.list() if f.name == "m1.tiny")
    # Pinned to our own compute: other beds (tools/field-bed.sh) may register more computes.
    created = raw.servers.create("contract-vm", IMAGE_ID, flavor, nics="none",
                                 availability_zone=f"nova:{HOSTS[0]}")
    _wait(lambda: client.get_server(created.id).vm_state == "active", "contract-vm ACTIVE")
    yield client.get_server(created.id)
    raw.servers.delete(created.id)


def test_evacuation_contract(client, server):
    source = client.get_server(server.id).host
    assert source == HOSTS[0]
    assert client.get_compute_service(source).state == "up"

    with pytest.raises(nova_exc.ComputeServiceStillInUse):
        client.evacuate(server.id)

    disabled = client.disable_service(source, "masakari_ha contract test: host down")
    assert disabled.status == "disabled"
    assert client.disable_service(source, "again").status == "disabled"  # idempotent
    assert client.force_down(source, True).forced_down is True

    client.evacuate(server.id)
    moved = _wait(lambda: (s := client.get_server(server.id)).host != source and s.vm_state == "active" and s,
                  "evacuated guest ACTIVE on another host")
    assert moved.host != source
    records = _wait(lambda: [m for m in client.list_evacuations(instance_uuid=server.id)
                             if m.source_compute == source and m.status == "done"],
                    "evacuation migration record 'done'")
    assert records[0].migration_type == "evacuation"

    with pytest.raises(nova_exc.ForceUpRefused):
        client.force_down(source, False)

    _lab("kill-compute", source)
    _lab("start-compute", source)
    _wait(lambda: all(m.status == "completed" for m in client.list_evacuations(instance_uuid=server.id)
                      if m.source_compute == source),
          "evacuation record 'completed' after the source compute restarted", timeout=180, interval=2)
    assert client.force_down(source, False).forced_down is False
    assert client.enable_service(source).status == "enabled"


def test_stop_and_start_are_idempotent(client, server):
    client.stop(server.id)
    _wait(lambda: client.get_server(server.id).vm_state == "stopped", "guest stopped")
    client.stop(server.id)  # already stopped: no error
    client.start(server.id)
    _wait(lambda: client.get_server(server.id).vm_state == "active", "guest active again")


def test_up_brings_back_a_compute_an_earlier_run_left_forced_down(client):
    """An interrupted scenario leaves a compute forced down in Nova's database, which outlives the
    bed's processes. ``nova-lab.sh up`` must bring that compute back instead of waiting for it to
    be "up", which a forced-down service never is (two CI runs started on a machine with such a
    leftover and timed out there)."""
    host = HOSTS[2]
    client.disable_service(host, "contract test: an interrupted scenario")
    client.force_down(host, True)
    _lab("kill-compute", host)
    result = _lab("up", *HOSTS, timeout=400)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{host}: was left forced down; un-forced" in result.stderr
    service = client.get_compute_service(host)
    assert service.forced_down is False
    assert service.state == "up"
    client.enable_service(host)
