"""pytest fixtures for tests that need the emulators. Use them from a conftest.py:

    from masakari_ha.simulator.fixtures import sim_env, sim_factory  # noqa: F401

``sim_env``: Keystone + Nova emulators on ephemeral ports, hosts compute-1..3 with no guests,
fast latencies, ``service_down_time`` 60 s; stopped after the test.
``sim_factory(**kwargs)``: start more/other environments (same arguments as
:func:`masakari_ha.simulator.environment.start_simulators`); all stopped after the test.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from masakari_ha.simulator.environment import SimulatorEnvironment, host_names, start_simulators


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., SimulatorEnvironment]]:
    started: list[SimulatorEnvironment] = []

    def factory(**kwargs: Any) -> SimulatorEnvironment:
        env = start_simulators(**kwargs)
        started.append(env)
        return env

    yield factory
    for env in started:
        env.stop()


@pytest.fixture
def sim_env(sim_factory: Callable[..., SimulatorEnvironment]) -> SimulatorEnvironment:
    return sim_factory(hosts=host_names(3))
