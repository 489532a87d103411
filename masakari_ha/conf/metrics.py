"""``[metrics]``: where the standalone engine serves its Prometheus metrics.

The API serves ``/metrics`` on its own port (all gunicorn workers aggregated through
prometheus-client's multiprocess mode in ``<state_path>/prometheus``); ``masakari-ha-all``
includes its in-process engine there. A separate ``masakari-ha-engine`` process serves its
own registry on ``engine_listen:engine_port``. Metric names and labels:
:mod:`masakari_ha.metrics`.
"""

from oslo_config import cfg

metrics_group = cfg.OptGroup(
    "metrics",
    title="Prometheus metrics",
    help="Where masakari-ha-engine serves /metrics (the API serves it on its own port).",
)

metrics_opts = [
    cfg.HostAddressOpt(
        "engine_listen",
        default="127.0.0.1",
        help="Address masakari-ha-engine serves /metrics on.",
    ),
    cfg.PortOpt(
        "engine_port",
        default=0,
        help="Port masakari-ha-engine serves /metrics on; 0 (the default) serves nothing.",
    ),
]


def register_opts(conf):
    conf.register_group(metrics_group)
    conf.register_opts(metrics_opts, group=metrics_group)


def list_opts():
    return [(metrics_group.name, metrics_opts)]
