"""Engine end to end with ``[fencing] driver = maas``: the host-failure flow, the Nova emulator
and the MAAS emulator over HTTP. Evacuation starts only once MAAS reports the failed machine
off; a BMC answering ``unknown`` stops the recovery with that reason and nothing moves."""

import pytest

from masakari_ha import compute
from masakari_ha.conf import CONF
from masakari_ha.context import admin_context
from masakari_ha.db import recovery_records
from masakari_ha.engine.gates import FENCING_GATE
from masakari_ha.engine.processor import Processor
from masakari_ha.fencing import drivers as fencing_drivers
from masakari_ha.simulator.fixtures import sim_factory  # noqa: F401  (fixture)
from masakari_ha.simulator.maas import MaasEmulator
from tests.functional.engine.conftest import (STOPPED, cloud_env, db,  # noqa: F401  (fixtures)
                                              fast_engine_conf, seed)
from tests.functional.fencing.conftest import KEY

HOSTS = ("compute-1", "compute-2", "compute-3")


@pytest.fixture
def maas_sim():
    with MaasEmulator(list(HOSTS), KEY,
                      defaults={"off_delay": 0.5, "on_delay": 0.2, "query_latency": 0.01}) as sim:
        yield sim


@pytest.fixture
def maas_processor(cloud_env, maas_sim):  # noqa: F811
    CONF.set_override("driver", "maas", "fencing")
    CONF.set_override("url", maas_sim.url, "maas")
    CONF.set_override("api_key", KEY, "maas")
    CONF.set_override("poll_interval", 0.05, "maas")
    CONF.set_override("power_off_timeout", 5, "maas")
    return Processor("test-engine:1", 60, lambda: compute.get_client(CONF),
                     fencing_drivers.load_driver(CONF), admin_context())


def _setup(cloud_env, seed):  # noqa: F811
    cloud = cloud_env.cloud
    for name in HOSTS:
        cloud.add_host(name)
    guests = [cloud.add_server("compute-1").uuid for _ in range(2)]
    seg = seed.segment(recovery_method="auto")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3")
    cloud.kill_host("compute-1")
    return cloud, guests, seg, failed


def test_evacuation_starts_only_after_maas_reports_off(cloud_env, seed, maas_processor, maas_sim):  # noqa: F811
    cloud, guests, seg, failed = _setup(cloud_env, seed)
    power_at_evacuate = []
    original = cloud.evacuate

    def watched_evacuate(uuid, *args, **kwargs):
        power_at_evacuate.append(maas_sim.machine("compute-1").power_state)
        return original(uuid, *args, **kwargs)

    cloud.evacuate = watched_evacuate
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert maas_processor.process(uuid) == "finished", seed.get(uuid).message

    assert power_at_evacuate == ["off", "off"]
    [action] = maas_sim.actions()
    assert (action["op"], action["hostname"], action["stop_mode"]) == ("power_off", "compute-1", "hard")
    assert uuid in action["comment"]
    assert all(cloud.server(g).host in ("compute-2", "compute-3") for g in guests)
    assert maas_sim.machine("compute-2").power_state == "on"
    rows = recovery_records.list_progress(uuid)
    fencing_messages = [d["message"] for row in rows if row["name"] == FENCING_GATE
                        for d in row["progress_details"]]
    assert any("hard power-off sent" in m for m in fencing_messages), rows
    assert any("MAAS reports power state 'off'" in m for m in fencing_messages), rows


def test_bmc_unknown_nothing_evacuated_notification_error(cloud_env, seed, maas_processor, maas_sim):  # noqa: F811
    cloud, guests, seg, failed = _setup(cloud_env, seed)
    maas_sim.set("compute-1", query_fault="unknown")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)

    assert maas_processor.process(uuid) == "error"

    message = seed.get(uuid).message
    assert "Fencing check failed for host compute-1" in message
    assert "MAAS reports power state 'unknown'" in message
    assert all(cloud.evacuate_calls(g) == 0 for g in guests)
    assert all(cloud.server(g).host == "compute-1" for g in guests)
