"""Where the notifier sends, for each way [api] can be configured (no network involved)."""

from monitors import conf as monitors_conf
from monitors.notifier.client import ApiClient


def client(tmp_path, text):
    path = tmp_path / "m.conf"
    path.write_text(text)
    conf = monitors_conf.new_conf()
    conf(["--config-file", str(path)], default_config_files=[])
    return ApiClient(conf)


def test_nothing_configured_means_the_embedded_default(tmp_path):
    assert client(tmp_path, "").endpoint == "http://127.0.0.1:15868/v1"


def test_endpoint_override_without_auth(tmp_path):
    assert client(tmp_path, "[api]\nendpoint_override = http://api:1/v1\n").endpoint == \
        "http://api:1/v1"


def test_keystoneauth_none_plugin(tmp_path):
    assert client(tmp_path, "[api]\nauth_type = none\n").endpoint == "http://127.0.0.1:15868/v1"
    assert client(tmp_path, "[api]\nauth_type = none\nendpoint = http://e:2/v1\n").endpoint == \
        "http://e:2/v1"
    assert client(tmp_path, "[api]\nauth_type = none\nendpoint_override = http://o:3/v1\n"
                  ).endpoint == "http://o:3/v1"


def test_password_auth_uses_the_catalog(tmp_path):
    c = client(tmp_path, "[api]\nauth_type = password\nauth_url = http://ks:5000/v3\n"
                         "username = u\npassword = p\nproject_name = p\nregion = R2\n"
                         "api_interface = internal\n")
    assert c.endpoint == "catalog:instance-ha/internal/R2"


def test_plugin_options_do_not_leak_between_config_objects(tmp_path):
    client(tmp_path, "[api]\nauth_type = password\nauth_url = http://ks:5000/v3\n"
                     "username = u\npassword = p\nproject_name = p\n")
    fresh = monitors_conf.new_conf()
    fresh([], default_config_files=[])          # would raise RequiredOptError auth-url
    assert "auth_url" not in fresh.api
