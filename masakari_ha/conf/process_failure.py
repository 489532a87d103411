"""``[process_failure]``: the nova-compute process failure flow (upstream name and default)."""

from oslo_config import cfg

process_failure_group = cfg.OptGroup("process_failure", title="Process failure recovery")

process_failure_opts = [
    cfg.StrOpt(
        "service_disable_reason",
        default="Masakari detected process failed.",
        help="disabled_reason written on the nova-compute service whose process failed.",
    ),
]


def register_opts(conf):
    conf.register_group(process_failure_group)
    conf.register_opts(process_failure_opts, group=process_failure_group)


def list_opts():
    return [(process_failure_group.name, process_failure_opts)]
