"""A deterministic cloud for state-machine tests: manual clock, fixed latencies, no HTTP."""

import pytest

from masakari_ha.simulator.clock import ManualClock
from masakari_ha.simulator.nova.cloud import SimulatedCloud
from masakari_ha.simulator.nova.latency import LatencyProfile

DOWN_TIME = 20.0
LATENCY = LatencyProfile(evacuate_schedule=1.0, evacuate=5.0, stop=3.0, start=3.0)


@pytest.fixture
def cloud():
    sim = SimulatedCloud(clock=ManualClock(), latency=LatencyProfile(**{
        k: getattr(LATENCY, k) for k in ("evacuate_schedule", "evacuate", "stop", "start")}),
        service_down_time=DOWN_TIME)
    for name in ("compute-1", "compute-2", "compute-3"):
        sim.add_host(name)
    return sim


def force_down(sim, host):
    svc = sim.find_service(host, "nova-compute")
    sim.update_service(svc.uuid, status="disabled", disabled_reason="test", forced_down=True)
    return svc
