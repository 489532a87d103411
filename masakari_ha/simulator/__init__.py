"""Emulators of Keystone v3 and Nova that speak the real HTTP APIs.

Used by unit and functional tests of the engine, by the demo and by benchmarks. Start both with
:func:`start_simulators` (or the pytest fixtures in :mod:`masakari_ha.simulator.fixtures`), drive
the cloud through :class:`SimulatedCloud` in process or :class:`RemoteCloud` over ``/_sim``.
"""

from masakari_ha.simulator.environment import (SimulatorEnvironment, host_names, populate,
                                               start_simulators)
from masakari_ha.simulator.nova.cloud import SimulatedCloud
from masakari_ha.simulator.nova.latency import LatencyProfile
from masakari_ha.simulator.nova.model import NovaError
from masakari_ha.simulator.remote import RemoteCloud

__all__ = ["LatencyProfile", "NovaError", "RemoteCloud", "SimulatedCloud",
           "SimulatorEnvironment", "host_names", "populate", "start_simulators"]
