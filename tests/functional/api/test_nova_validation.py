"""Host names are validated against the Nova emulator's nova-compute services (real HTTP,
keystoneauth session from [nova]), as upstream does; switchable off."""

import pytest
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from masakari_ha import compute
from masakari_ha.simulator.fixtures import sim_env, sim_factory  # noqa: F401


@pytest.fixture
def nova(api_conf, sim_env):  # noqa: F811
    sim_env.configure_nova(api_conf)
    api_conf.set_override("validate_host_names", True, group="nova")
    compute.reset()
    yield sim_env
    compute.reset()
    # The password plugin's options include a *required* auth_url: left registered on the
    # global CONF they would break every later test's CONF([]).
    api_conf.clear()
    for opt in ks_loading.get_auth_plugin_conf_options("password"):
        try:
            api_conf.unregister_opt(opt, group="nova")
        except cfg.NoSuchOptError:
            pass


def _create(api, segment, name):
    return api.post(f"/v1/segments/{segment['uuid']}/hosts", json={"host": {
        "name": name, "type": "COMPUTE", "control_attributes": "SSH"}})


def test_known_compute_host_is_accepted_unknown_is_400(api, nova):
    segment = api.segment()
    assert _create(api, segment, "compute-1").status_code == 201
    response = _create(api, segment, "compute-99")
    assert response.status_code == 400
    assert response.json["badRequest"]["message"] == (
        "No compute service with host name compute-99 exists in Nova.")
    # Case sensitive, like Nova's host filter.
    assert _create(api, segment, "COMPUTE-2").status_code == 400


def test_rename_is_validated(api, nova):
    segment = api.segment()
    host = _create(api, segment, "compute-1").json["host"]
    path = f"/v1/segments/{segment['uuid']}/hosts/{host['uuid']}"
    assert api.put(path, json={"host": {"name": "compute-404"}}).status_code == 400
    assert api.put(path, json={"host": {"name": "compute-2"}}).status_code == 200
    # Changing other fields does not ask Nova about the (unchanged) name.
    nova.nova_server.stop()
    assert api.put(path, json={"host": {"reserved": True}}).status_code == 200


def test_nova_unreachable_is_503_naming_the_host(api, nova):
    segment = api.segment()
    nova.nova_server.stop()
    response = _create(api, segment, "compute-1")
    assert response.status_code == 503
    assert "compute-1" in response.json["serviceUnavailable"]["message"]


def test_validation_off_accepts_any_name(api, api_conf):
    api_conf.set_override("validate_host_names", False, group="nova")
    assert _create(api, api.segment(), "not-in-nova").status_code == 201


def test_validation_on_without_nova_config_is_503(api, api_conf):
    api_conf.set_override("validate_host_names", True, group="nova")
    response = _create(api, api.segment(), "compute-1")
    assert response.status_code == 503
    assert "validate_host_names" in response.json["serviceUnavailable"]["message"]
