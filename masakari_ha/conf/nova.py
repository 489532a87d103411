"""How masakari_ha reaches Nova: a keystoneauth1 auth, session and adapter section."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

NOVA_GROUP = "nova"

nova_group = cfg.OptGroup(
    NOVA_GROUP,
    title="Nova",
    help="Credentials and endpoint used to talk to Nova: the API validates host names "
    "against nova-compute services, the engine runs recoveries. Standard keystoneauth1 "
    "options, so auth_type, endpoint_override, region_name and valid_interfaces work as "
    "in every OpenStack service.",
)

nova_opts = [
    cfg.BoolOpt(
        "validate_host_names",
        default=True,
        help="Refuse to register a host (400) whose name is not the host of a nova-compute "
        "service in Nova, as upstream Masakari does. Turn off when the API cannot reach Nova.",
    ),
    cfg.StrOpt(
        "api_max_microversion",
        default="2.96",
        regex=r"^2\.\d+$",
        help="Highest compute API microversion masakari_ha will negotiate with Nova (it uses "
        "the highest both sides support, at least 2.53). From 2.95 Nova leaves evacuated "
        "guests stopped and the engine starts the ones that were running; lower this only "
        "to work around a Nova bug at a newer microversion.",
    ),
]


def register_opts(conf):
    conf.register_group(nova_group)
    conf.register_opts(nova_opts, group=nova_group)
    ks_loading.register_session_conf_options(conf, NOVA_GROUP)
    ks_loading.register_auth_conf_options(conf, NOVA_GROUP)
    ks_loading.register_adapter_conf_options(conf, NOVA_GROUP, include_deprecated=False)
    conf.set_default("service_type", "compute", group=NOVA_GROUP)
    # A Nova call must never hang a recovery: keystoneauth's own default is no timeout.
    conf.set_default("timeout", 60, group=NOVA_GROUP)


def list_opts():
    return [
        (
            NOVA_GROUP,
            nova_opts
            + ks_loading.get_session_conf_options()
            + ks_loading.get_auth_common_conf_options()
            + ks_loading.get_auth_plugin_conf_options("password")
            + ks_loading.get_adapter_conf_options(include_deprecated=False),
        )
    ]


def is_configured(conf) -> bool:
    """True when a [nova] auth plugin or endpoint is configured at all."""
    group = getattr(conf, NOVA_GROUP)
    return bool(group.auth_type or group.endpoint_override)
