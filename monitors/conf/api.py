"""[api]: how the monitors reach the masakari_ha API (keystoneauth1 session + catalog)."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from monitors.conf.base import fresh

API_GROUP = "api"

api_group = cfg.OptGroup(
    API_GROUP,
    title="masakari_ha API",
    help="Where notifications go. Standard keystoneauth1 auth plugin and session options "
    "(auth_type, auth_url, username, password, project_name, cafile, timeout, ...) as in "
    "upstream masakari-monitors. The endpoint is the 'instance-ha' service of the Keystone "
    "catalog (region, api_interface) unless endpoint_override is set. Without an auth_type "
    "the monitors send unauthenticated requests, for an API running with "
    "auth_strategy=noauth (the embedded masakari-ha-all default).",
)

api_opts = [
    cfg.StrOpt("region", default="RegionOne", help="Region of the instance-ha endpoint in the catalog."),
    cfg.StrOpt(
        "api_interface",
        default="public",
        choices=["public", "internal", "admin"],
        help="Catalog interface of the instance-ha endpoint.",
    ),
    cfg.StrOpt(
        "api_version",
        default="v1",
        help="Kept for upstream compatibility; only v1 exists.",
    ),
    cfg.URIOpt(
        "endpoint_override",
        schemes=["http", "https"],
        help="Use this URL (e.g. http://controller:15868/v1) instead of looking up the "
        "instance-ha endpoint in the catalog; notifications are POSTed to "
        "<endpoint>/notifications. When no auth_type is set and this is unset, "
        "http://127.0.0.1:15868/v1 (the embedded default) is used.",
    ),
]

DEFAULT_NOAUTH_ENDPOINT = "http://127.0.0.1:15868/v1"


def register_opts(conf):
    conf.register_group(fresh(api_group))
    conf.register_opts(api_opts, group=api_group.name)
    ks_loading.register_session_conf_options(conf, API_GROUP)
    ks_loading.register_auth_conf_options(conf, API_GROUP)


def list_opts():
    return [
        (
            fresh(api_group),
            api_opts
            + ks_loading.get_session_conf_options()
            + ks_loading.get_auth_common_conf_options()
            + ks_loading.get_auth_plugin_conf_options("password"),
        )
    ]
