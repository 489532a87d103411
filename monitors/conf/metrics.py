"""[metrics]: the optional Prometheus endpoint of each monitor."""

from oslo_config import cfg

from monitors.conf.base import fresh

metrics_group = cfg.OptGroup(
    "metrics",
    title="Prometheus metrics",
    help="Each monitor can serve its own Prometheus metrics (spool depth, notifications "
    "queued/sent/retried, and its own counters) at http://<listen_address>:<listen_port>"
    "/metrics. Off by default: several monitors run on one compute node, so each needs its "
    "own port.",
)

metrics_opts = [
    cfg.HostAddressOpt(
        "listen_address",
        default="127.0.0.1",
        help="Address the metrics endpoint listens on.",
    ),
    cfg.PortOpt(
        "listen_port",
        default=0,
        help="TCP port of the metrics endpoint; 0 (the default) serves no metrics. Give "
        "each monitor of a node its own port.",
    ),
]


def register_opts(conf):
    conf.register_group(fresh(metrics_group))
    conf.register_opts(metrics_opts, group=metrics_group.name)


def list_opts():
    return [(fresh(metrics_group), metrics_opts)]
