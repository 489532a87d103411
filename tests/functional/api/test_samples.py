"""The checked-in etc/ samples must be what the generators produce from the code now."""

import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLES = ("masakari-ha.conf.sample", "policy.yaml.sample")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    result = subprocess.run([str(ROOT / "tools" / "generate-samples.sh"), str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_is_current(generated, name):
    fresh = (generated / name).read_text()
    checked_in = (ROOT / "etc" / name).read_text()
    assert fresh == checked_in, (
        f"etc/{name} is stale: options or policies changed. Run tools/generate-samples.sh "
        "and commit etc/.")


def test_sample_has_the_groups_operators_need(generated):
    text = (generated / "masakari-ha.conf.sample").read_text()
    for group in ("[DEFAULT]", "[database]", "[keystone_authtoken]", "[nova]", "[healthcheck]",
                  "[oslo_policy]", "[oslo_messaging_rabbit]"):
        assert group in text
    for option in ("#masakari_api_listen_port = 15868", "#osapi_max_limit = 1000",
                   "#duplicate_notification_detection_interval = 180", "#auth_strategy = keystone",
                   "#transport_url = rabbit://", "#validate_host_names = true"):
        assert option in text, option
    policy = (generated / "policy.yaml.sample").read_text()
    assert '#"os_masakari_api:notifications:create": "rule:admin_api or rule:service_api"' in policy
