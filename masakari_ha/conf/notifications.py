"""How the API accepts notifications."""

from oslo_config import cfg

notification_opts = [
    cfg.IntOpt(
        "duplicate_notification_detection_interval",
        default=180,
        min=0,
        help="Seconds back from a new notification's generated_time in which an existing "
        "notification of the same type, source host and identical payload makes the new one "
        "a duplicate (409). The check and the insert are one transaction serialised per "
        "source host by the database, so it holds across any number of API workers.",
    ),
]


def register_opts(conf):
    conf.register_opts(notification_opts)


def list_opts():
    return [("DEFAULT", notification_opts)]
