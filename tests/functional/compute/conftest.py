"""Fixtures: Keystone + Nova emulators over real HTTP and a NovaClient configured from [nova]."""

from __future__ import annotations

import pytest
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from masakari_ha import compute
from masakari_ha.conf import nova as nova_conf
from masakari_ha.simulator.fixtures import sim_factory  # noqa: F401  (fixture)


def private_nova_conf() -> cfg.ConfigOpts:
    """A ConfigOpts holding only [nova], registered by group *name*.

    Loading the password plugin registers its options (``auth_url`` is required) on the
    conf it is given, and oslo.config records options on the OptGroup object that
    masakari_ha.conf.nova shares with the global CONF; a private conf keeps both away
    from other tests.
    """
    conf = cfg.ConfigOpts()
    conf.register_opts(nova_conf.nova_opts, group="nova")
    ks_loading.register_session_conf_options(conf, "nova")
    ks_loading.register_auth_conf_options(conf, "nova")
    ks_loading.register_adapter_conf_options(conf, "nova", include_deprecated=False)
    conf.set_default("service_type", "compute", group="nova")
    conf.set_default("timeout", 60, group="nova")
    conf([], default_config_files=[])
    return conf


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
