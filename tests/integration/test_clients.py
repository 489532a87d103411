"""The real clients against a real ``masakari-ha-api``:

* python-openstackclient + python-masakariclient (`openstack segment ...`, `openstack segment host
  ...`, `openstack notification ...`) finding ``instance-ha`` in the real Keystone catalog, with
  ``auth_strategy = keystone``, at every ``--os-ha-api-version`` 1.0 .. 1.3;
* openstacksdk ``conn.instance_ha`` with a Keystone password cloud, and with ``auth_type: none``
  plus ``instance_ha_endpoint_override`` in a clouds.yaml against a noauth API.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import openstack
import pytest
import yaml

from tests.integration import harness
from tests.integration.conftest import start_api

COMPUTE_PAYLOAD = {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}


@pytest.fixture(scope="module")
def cli_env(keystone_api, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("cli-home")  # no stray clouds.yaml / caches from the machine
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(HOME=str(home), OS_AUTH_TYPE="password", OS_AUTH_URL=keystone_api.auth_url,
               OS_IDENTITY_API_VERSION="3", OS_REGION_NAME=keystone_api.region, OS_USERNAME="admin",
               OS_PASSWORD="adminpass", OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default",
               OS_PROJECT_DOMAIN_NAME="Default", OS_INTERFACE="public")
    return env


def osc(env: dict, *args: str, version: str | None = None, fmt: bool = True, check: bool = True):
    """Run ``openstack`` and return parsed JSON output (or the CompletedProcess)."""
    cmd = [harness.openstack_cli()]
    if version:
        cmd += ["--os-ha-api-version", version]
    cmd += list(args)
    if fmt:
        cmd += ["-f", "json"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if not check:
        return proc
    assert proc.returncode == 0, f"{' '.join(cmd[1:])} failed ({proc.returncode}):\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout) if fmt else proc


def test_openstack_cli_through_keystone_catalog(cli_env):
    seg = osc(cli_env, "segment", "create", "seg1", "auto", "COMPUTE")
    assert seg["name"] == "seg1" and seg["recovery_method"] == "auto" and seg["service_type"] == "COMPUTE"
    seg_id = seg["uuid"]
    assert "seg1" in [s["name"] for s in osc(cli_env, "segment", "list")]
    assert osc(cli_env, "segment", "show", "seg1")["uuid"] == seg_id          # name -> uuid lookup
    upd = osc(cli_env, "segment", "update", "seg1", "--description", "rack 1")
    assert upd["description"] == "rack 1"

    host = osc(cli_env, "segment", "host", "create", "host1", "COMPUTE", "SSH", seg_id, "--reserved", "True")
    assert host["name"] == "host1" and host["reserved"] is True and host["failover_segment_id"] == seg_id
    hosts = osc(cli_env, "segment", "host", "list", seg_id)
    assert [h["name"] for h in hosts] == ["host1"]
    assert osc(cli_env, "segment", "host", "show", seg_id, "host1")["uuid"] == host["uuid"]
    upd = osc(cli_env, "segment", "host", "update", seg_id, "host1", "--reserved", "False")
    assert upd["reserved"] is False

    n = osc(cli_env, "notification", "create", "COMPUTE_HOST", "host1", "2026-11-21T01:00:00.000",
            json.dumps(COMPUTE_PAYLOAD))
    assert n["status"] == "new" and n["source_host_uuid"] == host["uuid"] and n["type"] == "COMPUTE_HOST"
    assert n["notification_uuid"] in [x["notification_uuid"] for x in osc(cli_env, "notification", "list")]
    shown = osc(cli_env, "notification", "show", n["notification_uuid"])
    assert shown["payload"] == COMPUTE_PAYLOAD and "recovery_workflow_details" in shown
    assert osc(cli_env, "notification", "vmove", "list", n["notification_uuid"]) == []
    dup = osc(cli_env, "notification", "create", "COMPUTE_HOST", "host1", "2026-11-21T01:00:00.000",
              json.dumps(COMPUTE_PAYLOAD), check=False)
    assert dup.returncode != 0 and "409" in dup.stderr + dup.stdout

    # delete: a second segment with a host and no notifications
    seg2 = osc(cli_env, "segment", "create", "seg2", "reserved_host", "COMPUTE")
    osc(cli_env, "segment", "host", "create", "host2", "COMPUTE", "SSH", seg2["uuid"])
    out = osc(cli_env, "segment", "host", "delete", seg2["uuid"], "host2", fmt=False)
    assert out.returncode == 0
    assert osc(cli_env, "segment", "host", "list", seg2["uuid"]) == []
    osc(cli_env, "segment", "delete", "seg2", fmt=False)
    assert "seg2" not in [s["name"] for s in osc(cli_env, "segment", "list")]
    gone = osc(cli_env, "segment", "show", seg2["uuid"], check=False)
    assert gone.returncode != 0


def _sdk(keystone_api):
    return openstack.connect(auth_url=keystone_api.auth_url, username="admin", password="adminpass",
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name=keystone_api.region, interface="public")


@pytest.fixture(scope="module")
def mv_notification(keystone_api) -> str:
    """A notification (made with openstacksdk) for the per-microversion CLI checks."""
    ha = _sdk(keystone_api).instance_ha
    seg = ha.create_segment(name="mv-" + uuid.uuid4().hex[:6], recovery_method="auto", service_type="COMPUTE")
    host = ha.create_host(seg.uuid, name="mv-host-" + uuid.uuid4().hex[:6], type="COMPUTE", control_attributes="SSH")
    return ha.create_notification(type="COMPUTE_HOST", hostname=host.name, generated_time="2026-11-21T02:00:00",
                                  payload=COMPUTE_PAYLOAD).notification_uuid


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3"])
def test_openstack_cli_microversions(cli_env, mv_notification, version):
    name = "mv-" + version.replace(".", "") + "-" + uuid.uuid4().hex[:6]
    extra = ["--is_enabled", "False"] if version >= "1.2" else []
    seg = osc(cli_env, "segment", "create", name, "auto", "COMPUTE", *extra, version=version)
    if version >= "1.2":
        assert seg["is_enabled"] is False
    else:
        assert "is_enabled" not in seg
    listed = osc(cli_env, "segment", "list", version=version)
    assert name in [s["name"] for s in listed]
    assert ("is_enabled" in listed[0]) == (version >= "1.2")
    shown = osc(cli_env, "notification", "show", mv_notification, version=version)
    assert ("recovery_workflow_details" in shown) == (version >= "1.1")


def test_openstacksdk_with_keystone(keystone_api):
    ha = _sdk(keystone_api).instance_ha
    seg = ha.create_segment(name="sdk-" + uuid.uuid4().hex[:6], recovery_method="auto", service_type="COMPUTE")
    assert seg.is_enabled is True
    assert seg.uuid in [s.uuid for s in ha.segments()]
    seg = ha.update_segment(seg.uuid, is_enabled=False, description="via sdk")
    assert seg.is_enabled is False and ha.get_segment(seg.uuid).description == "via sdk"

    host = ha.create_host(seg.uuid, name="sdk-host-" + uuid.uuid4().hex[:6], type="COMPUTE",
                          control_attributes="SSH", reserved=True)
    assert host.reserved is True and host.failover_segment_id == seg.uuid
    assert [h.name for h in ha.hosts(seg.uuid)] == [host.name]
    host = ha.update_host(host.uuid, seg.uuid, on_maintenance=True)
    assert ha.get_host(host.uuid, seg.uuid).on_maintenance is True
    ha.update_host(host.uuid, seg.uuid, on_maintenance=False)

    n = ha.create_notification(type="COMPUTE_HOST", hostname=host.name, generated_time="2026-11-21T03:00:00",
                               payload=COMPUTE_PAYLOAD)
    assert n.status == "new"
    assert ha.get_notification(n.notification_uuid).source_host_uuid == host.uuid
    assert n.notification_uuid in [x.notification_uuid for x in ha.notifications()]
    assert list(ha.vmoves(n.notification_uuid)) == []
    with pytest.raises(openstack.exceptions.HttpException) as exc:
        ha.create_notification(type="COMPUTE_HOST", hostname=host.name, generated_time="2026-11-21T03:00:00",
                               payload=COMPUTE_PAYLOAD)
    assert exc.value.status_code == 409

    seg2 = ha.create_segment(name="sdk-del-" + uuid.uuid4().hex[:6], recovery_method="auto", service_type="COMPUTE")
    h2 = ha.create_host(seg2.uuid, name="sdk-del-h-" + uuid.uuid4().hex[:6], type="COMPUTE", control_attributes="SSH")
    ha.delete_host(h2.uuid, seg2.uuid, ignore_missing=False)
    ha.delete_segment(seg2.uuid, ignore_missing=False)
    with pytest.raises(openstack.exceptions.NotFoundException):
        ha.get_segment(seg2.uuid)


@pytest.fixture(scope="module")
def noauth_api(servers, tmp_path_factory):
    api_proc, db = start_api(servers, tmp_path_factory, "sqlite", 1)
    yield api_proc
    api_proc.stop()
    db.drop()


def test_openstacksdk_auth_none_with_endpoint_override(noauth_api, tmp_path, monkeypatch):
    clouds = {"clouds": {"masakari-noauth": {
        "auth_type": "none",
        "instance_ha_endpoint_override": noauth_api.base_url + "/v1",
    }}}
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    for key in [k for k in os.environ if k.startswith("OS_") and k != "OS_CLIENT_CONFIG_FILE"]:
        monkeypatch.delenv(key)
    conn = openstack.connect(cloud="masakari-noauth")
    ha = conn.instance_ha
    seg = ha.create_segment(name="noauth-seg", recovery_method="rh_priority", service_type="COMPUTE")
    host = ha.create_host(seg.uuid, name="noauth-host", type="COMPUTE", control_attributes="SSH")
    n = ha.create_notification(type="PROCESS", hostname=host.name, generated_time="2026-11-21T04:00:00",
                               payload={"process_name": "nova-compute", "event": "STOPPED"})
    assert n.status == "new"
    assert [s.name for s in ha.segments()] == ["noauth-seg"]
    assert ha.get_notification(n.notification_uuid).type == "PROCESS"
