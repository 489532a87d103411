"""oslo.config options of the monitors, one module per group.

The monitors run on compute nodes as separate programs; they use their own ``ConfigOpts``
instance (built by :func:`new_conf`) rather than masakari_ha's global ``CONF``, because the
monitors' ``[api]`` group (how to reach the API) is not the API server's option set.
"""

import importlib

from oslo_config import cfg

_OPTION_MODULES = ("base", "api", "host", "libvirt", "process", "spool", "metrics")


def option_modules():
    """Return the imported option modules, in declaration order."""
    return [importlib.import_module(f"{__name__}.{name}") for name in _OPTION_MODULES]


def register_all(conf: cfg.ConfigOpts) -> cfg.ConfigOpts:
    """Register every monitor option on ``conf`` and return it."""
    for module in option_modules():
        module.register_opts(conf)
    return conf


def new_conf() -> cfg.ConfigOpts:
    """A fresh ``ConfigOpts`` with all monitor options registered (one per process or test)."""
    return register_all(cfg.ConfigOpts())
