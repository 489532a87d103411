"""[process]: the process monitor."""

from oslo_config import cfg

from monitors.conf.base import fresh

process_group = cfg.OptGroup(
    "process",
    title="Process monitor",
    help="masakari-ha-processmonitor: keeps the processes of process_list_path running and "
    "reports those it cannot restart.",
)

process_opts = [
    cfg.IntOpt("check_interval", default=5, min=1, help="Seconds between two checks."),
    cfg.IntOpt(
        "restart_retries",
        default=3,
        min=0,
        help="Restart attempts after the first one before the process is reported STOPPED.",
    ),
    cfg.IntOpt("restart_interval", default=5, min=0, help="Seconds between restart attempts."),
    cfg.IntOpt(
        "api_retry_max",
        default=12,
        min=0,
        help="Upstream drops a notification after this many failed sends; here delivery is "
        "retried forever from the spool and failures after this many are logged at ERROR.",
    ),
    cfg.IntOpt(
        "api_retry_interval",
        default=10,
        min=1,
        help="Upper bound, in seconds, of the jittered exponential delay between delivery "
        "attempts.",
    ),
    cfg.StrOpt(
        "process_list_path",
        default="/etc/masakari-ha-monitors/process_list.yaml",
        help="YAML list of processes to keep running (upstream's process_list.yaml format).",
    ),
    cfg.IntOpt(
        "command_timeout",
        default=60,
        min=1,
        help="Seconds after which a start/restart command is killed and counted as failed.",
    ),
]


def register_opts(conf):
    conf.register_group(fresh(process_group))
    conf.register_opts(process_opts, group=process_group.name)


def list_opts():
    return [(fresh(process_group), process_opts)]
