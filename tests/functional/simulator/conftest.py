from masakari_ha.simulator.fixtures import sim_env, sim_factory  # noqa: F401
