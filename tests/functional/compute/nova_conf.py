"""A private [nova] configuration for tests that load keystoneauth plugins."""

from __future__ import annotations

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from masakari_ha.conf import nova as nova_conf


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
