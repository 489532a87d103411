"""The fencing gate with a driver that really fences (MAAS emulator): a host the monitor could
only report as UNKNOWN (upstream ignores those) is recovered once the engine itself confirmed
it off; with [fencing] required off, a failed fence no longer blocks a NORMAL report."""

import pytest

from masakari_ha import compute
from masakari_ha.conf import CONF
from masakari_ha.context import admin_context
from masakari_ha.engine.processor import Processor
from masakari_ha.fencing import drivers as fencing_drivers
from masakari_ha.simulator.maas import MaasEmulator
from tests.functional.engine.conftest import STOPPED
from tests.functional.fencing.conftest import KEY

HOSTS = ("compute-1", "compute-2")


@pytest.fixture
def maas(cloud_env):
    with MaasEmulator(list(HOSTS), KEY, defaults={"off_delay": 0.2, "query_latency": 0.01}) as sim:
        CONF.set_override("driver", "maas", "fencing")
        CONF.set_override("url", sim.url, "maas")
        CONF.set_override("api_key", KEY, "maas")
        CONF.set_override("poll_interval", 0.05, "maas")
        CONF.set_override("power_off_timeout", 3, "maas")
        yield sim


def _processor():
    return Processor("test-engine:1", 60, lambda: compute.get_client(CONF),
                     fencing_drivers.load_driver(CONF), admin_context())


def _setup(cloud_env, seed):
    cloud = cloud_env.cloud
    for name in HOSTS:
        cloud.add_host(name)
    guest = cloud.add_server("compute-1").uuid
    seg = seed.segment()
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    cloud.kill_host("compute-1")
    return cloud, guest, seg, failed


def test_unknown_host_status_is_recovered_when_the_engine_fenced_it(cloud_env, seed, maas):
    cloud, guest, seg, failed = _setup(cloud_env, seed)
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", dict(STOPPED, host_status="UNKNOWN"))

    assert _processor().process(uuid) == "finished", seed.get(uuid).message

    assert maas.machine("compute-1").power_state == "off"
    assert cloud.server(guest).host == "compute-2"


def test_failed_fence_with_required_off_proceeds_on_a_normal_report(cloud_env, seed, maas):
    CONF.set_override("required", False, "fencing")
    cloud, guest, seg, failed = _setup(cloud_env, seed)
    maas.set("compute-1", query_fault="unknown")  # the BMC never confirms anything
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert _processor().process(uuid) == "finished", seed.get(uuid).message
    assert cloud.server(guest).host == "compute-2"


def test_failed_fence_with_required_off_and_unknown_status_is_ignored(cloud_env, seed, maas):
    CONF.set_override("required", False, "fencing")
    cloud, guest, seg, failed = _setup(cloud_env, seed)
    maas.set("compute-1", query_fault="unknown")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", dict(STOPPED, host_status="UNKNOWN"))

    assert _processor().process(uuid) == "ignored"
    assert "not evacuating" in seed.get(uuid).message
    assert cloud.evacuate_calls(guest) == 0
