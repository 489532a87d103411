"""oslo.config options of masakari_ha, one module per group.

Every module in ``_OPTION_MODULES`` exposes ``register_opts(conf)`` and ``list_opts()``;
importing this package registers them all on the global ``CONF`` so any module can read
options without caring which group module declares them.
"""

import importlib

from oslo_config import cfg

CONF = cfg.CONF

# Modules (relative to this package) that declare options. Add a module here when a new
# option group appears; opts.py derives the sample-config listing from the same list.
_OPTION_MODULES = (
    "paths",
    "database",
    "api",
    "notifications",
    "messaging",
    "nova",
    "fencing",
    "engine", "host_failure", "instance_failure", "process_failure", "taskflow_flows",
    "simulation", "metrics",
    "middleware",
)


def option_modules():
    """Return the imported option modules, in declaration order."""
    return [importlib.import_module(f"{__name__}.{name}") for name in _OPTION_MODULES]


for _module in option_modules():
    _module.register_opts(CONF)
