"""``[instance_failure]``: which instances the VM flow restarts (upstream names and defaults)."""

from oslo_config import cfg

instance_failure_group = cfg.OptGroup("instance_failure", title="Instance failure recovery")

instance_failure_opts = [
    cfg.BoolOpt(
        "process_all_instances",
        default=False,
        help="Restart every failed instance; when False only those whose HA metadata key is true.",
    ),
    cfg.StrOpt(
        "ha_enabled_instance_metadata_key",
        default="HA_Enabled",
        help="Server metadata key marking an instance as HA-enabled (value parsed as a bool).",
    ),
]


def register_opts(conf):
    conf.register_group(instance_failure_group)
    conf.register_opts(instance_failure_opts, group=instance_failure_group)


def list_opts():
    return [(instance_failure_group.name, instance_failure_opts)]
