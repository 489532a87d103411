"""The Keystone emulator with the real clients: keystoneauth1, openstacksdk, keystonemiddleware."""

import pytest
import requests
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import generic, v3


def test_generic_password_discovers_v3_from_root(sim_env):
    auth = generic.Password(auth_url=sim_env.keystone_url, username="admin",
                            password="adminpass", project_name="admin",
                            user_domain_id="default", project_domain_id="default")
    sess = ks_session.Session(auth=auth)
    assert sess.get_token()
    assert sess.get_endpoint(service_type="compute", interface="public") == sim_env.nova_url
    assert sess.get_project_id() == sim_env.identity.projects["admin"].id


def test_wrong_password_is_401(sim_env):
    sess = ks_session.Session(auth=v3.Password(auth_url=sim_env.auth_url, username="admin",
                                               password="wrong", project_name="admin",
                                               user_domain_name="Default",
                                               project_domain_name="Default"))
    with pytest.raises(ks_exc.Unauthorized):
        sess.get_token()


def test_token_validation_and_expiry(sim_env):
    token = sim_env.session().get_token()
    service_token = sim_env.session(username="masakari", password="masakaripass",
                                    project_name="service").get_token()
    r = requests.get(sim_env.auth_url + "/auth/tokens", timeout=5,
                     headers={"X-Auth-Token": service_token, "X-Subject-Token": token})
    assert r.status_code == 200
    body = r.json()["token"]
    assert body["user"]["name"] == "admin" and body["project"]["name"] == "admin"
    assert {r["name"] for r in body["roles"]} >= {"admin"}
    assert {c["type"] for c in body["catalog"]} >= {"compute", "identity"}
    sim_env.identity.expire_all()
    r = requests.get(sim_env.auth_url + "/auth/tokens", timeout=5,
                     headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert r.status_code == 401


def test_token_method_rescopes(sim_env):
    sess = sim_env.session()
    token = sess.get_token()
    rescoped = ks_session.Session(auth=v3.Token(auth_url=sim_env.auth_url, token=token,
                                                project_name="service",
                                                project_domain_name="Default"))
    assert rescoped.get_project_id() == sim_env.identity.projects["service"].id


def test_catalog_carries_instance_ha_endpoint(sim_env):
    sim_env.set_endpoint("instance-ha", "masakari", "http://127.0.0.1:15868")
    sess = sim_env.session()
    assert sess.get_endpoint(service_type="instance-ha", interface="public") == (
        "http://127.0.0.1:15868")


def test_bad_requests_are_4xx(sim_env):
    r = requests.post(sim_env.auth_url + "/auth/tokens", data=b"not json", timeout=5)
    assert r.status_code == 400
    r = requests.post(sim_env.auth_url + "/auth/tokens", timeout=5, json={
        "auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "adminpass"}}},
            "scope": {"project": {"name": "nope", "domain": {"id": "default"}}}}})
    assert r.status_code == 401
    assert requests.get(sim_env.keystone_url + "/v3/nothing", timeout=5).status_code == 404


def test_openstacksdk_lists_compute_services(sim_env):
    import openstack

    conn = openstack.connect(auth_url=sim_env.auth_url, username="admin", password="adminpass",
                             project_name="admin", user_domain_name="Default",
                             project_domain_name="Default", region_name="RegionOne")
    hosts = sorted(s.host for s in conn.compute.services() if s.binary == "nova-compute")
    assert hosts == ["compute-1", "compute-2", "compute-3"]


def test_keystonemiddleware_validates_against_emulator(sim_env):
    from keystonemiddleware import auth_token
    from oslo_config import cfg

    private_conf = cfg.ConfigOpts()  # keep the plugin's options off the global CONF
    private_conf([], project="emulator-test", default_config_files=[])
    seen = {}

    def app(environ, start_response):
        seen["roles"] = environ.get("HTTP_X_ROLES")
        seen["project"] = environ.get("HTTP_X_PROJECT_NAME")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    middleware = auth_token.AuthProtocol(app, {
        "oslo_config_config": private_conf, "auth_type": "password", "auth_url": sim_env.auth_url, "username": "masakari",
        "password": "masakaripass", "project_name": "service", "user_domain_name": "Default",
        "project_domain_name": "Default", "www_authenticate_uri": sim_env.auth_url,
        "delay_auth_decision": "false", "memcached_servers": "", "token_cache_time": "-1",
        "include_service_catalog": "true", "service_token_roles_required": "false"})
    import webob

    req = webob.Request.blank("/")
    req.headers["X-Auth-Token"] = sim_env.session().get_token()
    resp = req.get_response(middleware)
    assert resp.status_int == 200
    assert "admin" in seen["roles"] and seen["project"] == "admin"
    bad = webob.Request.blank("/")
    bad.headers["X-Auth-Token"] = "forged"
    assert bad.get_response(middleware).status_int == 401


def test_configure_nova_sets_and_undoes_the_nova_section(sim_env):
    from keystoneauth1 import loading as ks_loading

    from masakari_ha.conf import CONF

    undo = sim_env.configure_nova(CONF)
    auth = ks_loading.load_auth_from_conf_options(CONF, "nova")
    sess = ks_loading.load_session_from_conf_options(CONF, "nova", auth=auth)
    assert sess.get_endpoint(service_type="compute", interface="public") == sim_env.nova_url
    undo()
    CONF([], project="masakari_ha", default_config_files=[])  # no required auth_url left behind
    assert CONF.nova.auth_type is None
