"""The monitors' notifier through a real Keystone: password auth from the ``[api]`` group,
the ``instance-ha`` endpoint found in the catalog (no endpoint_override), delivered to a
``masakari-ha-api`` running with ``auth_strategy = keystone``."""

import uuid

import pytest
import requests

from monitors import conf as monitors_conf
from monitors.notifier import envelope
from monitors.notifier.client import ApiClient, Outcome
from tests.integration import harness

HOST = "compute-ks1"


@pytest.fixture(scope="module")
def region(keystone_api):
    """The API registered as instance-ha in a region of its own: other test sessions re-point
    RegionOne at their APIs, this region is ours alone."""
    name = f"RegionMon{uuid.uuid4().hex[:8]}"
    catalog = harness.keystone_catalog()
    catalog.register_endpoint(keystone_api.auth_url, keystone_api.base_url + "/v1", region=name)
    yield name
    catalog.remove_region(keystone_api.auth_url, name)


def monitor_conf(tmp_path, auth_url: str, password: str = "adminpass",
                 region: str = "RegionOne"):
    """A monitors config file as an operator writes it (plugin options exist only once
    keystoneauth knows auth_type, so they must come from a file, not overrides)."""
    path = tmp_path / f"monitors-{uuid.uuid4().hex[:6]}.conf"
    path.write_text(f"[api]\nauth_type = password\nauth_url = {auth_url}\nusername = admin\n"
                    f"password = {password}\nproject_name = admin\nuser_domain_id = default\n"
                    f"project_domain_id = default\nregion = {region}\napi_interface = public\n")
    conf = monitors_conf.new_conf()
    conf(["--config-file", str(path)], default_config_files=[])
    return conf


def register_host(api, auth_url):
    headers = {"X-Auth-Token": harness.persona_token(auth_url, "admin")}
    base = api.base_url + "/v1"
    r = requests.post(base + "/segments", headers=headers, timeout=30, json={"segment": {
        "name": f"seg-{uuid.uuid4().hex[:8]}", "recovery_method": "auto",
        "service_type": "COMPUTE"}})
    r.raise_for_status()
    seg = r.json()["segment"]["uuid"]
    r = requests.post(f"{base}/segments/{seg}/hosts", headers=headers, timeout=30, json={"host": {
        "name": HOST, "type": "COMPUTE", "control_attributes": "SSH"}})
    assert r.status_code in (201, 409), r.text


def test_catalog_endpoint_and_token(keystone_api, region, tmp_path):
    register_host(keystone_api, keystone_api.auth_url)
    client = ApiClient(monitor_conf(tmp_path, keystone_api.auth_url, region=region))
    assert client.endpoint == f"catalog:instance-ha/public/{region}"
    body = envelope.vm(HOST, str(uuid.uuid4()), "LIFECYCLE", "STOPPED_FAILED", envelope.utcnow())
    result = client.post(body)
    assert result.outcome is Outcome.ACCEPTED, result
    assert result.status == 202 and result.notification_uuid
    again = client.post(body)                 # identical payload within the window
    assert again.outcome is Outcome.REFUSED and again.status == 409


def test_bad_credentials_are_retried_not_dropped(keystone_api, tmp_path):
    client = ApiClient(monitor_conf(tmp_path, keystone_api.auth_url, password="wrong"))
    body = envelope.vm(HOST, str(uuid.uuid4()), "LIFECYCLE", "STOPPED_FAILED", envelope.utcnow())
    result = client.post(body)
    assert result.outcome is Outcome.RETRY and "Unauthorized" in result.message
