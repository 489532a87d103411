"""etc/monitors.conf.sample must be what oslo-config-generator produces from the code now."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
GENERATOR = pathlib.Path(sys.executable).parent / "oslo-config-generator"


def test_monitors_sample_is_current(tmp_path):
    out = tmp_path / "monitors.conf.sample"
    res = subprocess.run([str(GENERATOR), "--config-file",
                          str(ROOT / "etc" / "monitors-config-generator.conf"),
                          "--output-file", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert out.read_text() == (ROOT / "etc" / "monitors.conf.sample").read_text(), (
        "etc/monitors.conf.sample is stale: run oslo-config-generator --config-file "
        "etc/monitors-config-generator.conf and commit it.")


def test_sample_keeps_upstream_names():
    text = (ROOT / "etc" / "monitors.conf.sample").read_text()
    for group in ("[DEFAULT]", "[api]", "[host]", "[libvirt]", "[callback]", "[process]",
                  "[spool]"):
        assert group in text
    for option in ("#monitoring_interval = 60", "#monitoring_samples = 1",
                   "#restrict_to_remotes = false", "#api_retry_max = 12",
                   "#api_retry_interval = 10", "#connection_uri = qemu:///system",
                   "#retry_max = 12", "#check_interval = 5", "#restart_retries = 3",
                   "#region = RegionOne", "#api_interface = public", "#auth_type = <None>",
                   "#trust_clean_offline_without_fencing = false"):
        assert option in text, option
