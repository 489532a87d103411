"""Fixtures: Keystone + Nova emulators over real HTTP and a NovaClient configured from [nova]."""

from __future__ import annotations

import pytest

from masakari_ha import compute
from masakari_ha.simulator.fixtures import sim_factory  # noqa: F401  (fixture)
from tests.functional.compute.nova_conf import private_nova_conf


@pytest.fixture
def nova_env(sim_factory):  # noqa: F811
    """Emulators with compute-1..4 (no guests), and a factory for clients on them."""
    env = sim_factory(hosts=[f"compute-{i}" for i in range(1, 5)], latency="fast", max_limit=5)

    def make(**overrides) -> compute.NovaClient:
        compute.reset()
        conf = private_nova_conf()
        env.configure_nova(conf)
        for name, value in overrides.items():
            conf.set_override(name, value, group="nova")
        return compute.NovaClient.from_conf(conf)

    env.make_client = make
    yield env
    compute.reset()
