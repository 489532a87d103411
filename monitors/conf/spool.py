"""[spool]: the on-disk notification spool shared by every monitor."""

from oslo_config import cfg

from monitors.conf.base import fresh

spool_group = cfg.OptGroup(
    "spool",
    title="Notification spool",
    help="Every notification is first written (fsync'd, one file each) below "
    "state_path/<monitor>/spool and deleted only once the API accepted it (2xx) or refused "
    "it for good (400, 409).",
)

spool_opts = [
    cfg.IntOpt(
        "max_entries",
        default=10000,
        min=1,
        help="Largest number of undelivered notifications kept. When full, new notifications "
        "are refused (logged at ERROR and counted in the health file); spooled ones are kept "
        "so that order and delivery of what was already observed are preserved.",
    ),
    cfg.IntOpt(
        "max_bytes",
        default=64 * 1024 * 1024,
        min=4096,
        help="Largest total size of the spool in bytes (same policy as max_entries).",
    ),
    cfg.FloatOpt(
        "retry_initial_delay",
        default=0.5,
        min=0.01,
        help="First retry delay in seconds; it doubles per consecutive failure up to the "
        "monitor's api_retry_interval / [callback] retry_interval.",
    ),
]


def register_opts(conf):
    conf.register_group(fresh(spool_group))
    conf.register_opts(spool_opts, group=spool_group.name)


def list_opts():
    return [(fresh(spool_group), spool_opts)]
