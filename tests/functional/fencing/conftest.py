"""Fixtures: a MAAS emulator on an ephemeral port with fast, realistic machines."""

import os
import subprocess
import sys

import pytest

from masakari_ha.fencing import maas, verify
from masakari_ha.simulator.maas import MaasEmulator

KEY = "fnConsumerKey1:fnTokenKey22:fnTokenSecret333"
READONLY_KEY = "fnConsumerKey1:fnViewerToken44:fnViewerSecret555"
WRONG_KEY = "fnConsumerKey1:fnTokenKey22:notTheSecret"
KEY_PARTS = tuple(KEY.split(":")) + tuple(READONLY_KEY.split(":")[1:]) + ("notTheSecret",)
FAST = verify.VerifyPolicy(timeout=3.0, poll_interval=0.05)
MACHINE_DEFAULTS = {"off_delay": 0.2, "on_delay": 0.2, "query_latency": 0.01}


@pytest.fixture
def sim():
    with MaasEmulator(["node1", "node2", "node3"], KEY, readonly_api_key=READONLY_KEY,
                      defaults=MACHINE_DEFAULTS) as emulator:
        yield emulator


@pytest.fixture
def client(sim):
    c = maas.MaasClient(sim.url, maas.ApiKey.parse(KEY), request_timeout=5)
    yield c
    c.close()


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "maas.key"
    path.write_text(KEY + "\n")
    os.chmod(path, 0o600)
    return str(path)


def run_module(module, args=(), stdin=None, env=None, timeout=60):
    """Run ``python -m module args`` like pacemaker would; returns CompletedProcess."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", module, *args], input=stdin, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def assert_no_secret(*texts):
    for text in texts:
        for part in KEY_PARTS:
            assert part not in text, f"key material {part[:4]}... leaked"
