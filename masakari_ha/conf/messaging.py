"""How the API hands notifications to engines over oslo.messaging."""

from oslo_config import cfg

messaging_opts = [
    cfg.StrOpt(
        "masakari_topic",
        default="ha_engine",
        help="oslo.messaging topic the engines listen on and the API casts "
        "process_notification to.",
    ),
    cfg.StrOpt(
        "engine_control_exchange",
        default="masakari",
        help="oslo.messaging exchange for API to engine messages.",
    ),
]


def register_opts(conf):
    conf.register_opts(messaging_opts)


def list_opts():
    return [("DEFAULT", messaging_opts)]
