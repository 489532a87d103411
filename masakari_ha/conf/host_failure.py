"""``[host_failure]``: upstream's options for the host failure flow, plus the mass-failure guard
and automatic host recovery."""

from oslo_config import cfg

host_failure_group = cfg.OptGroup("host_failure", title="Host failure recovery")

host_failure_opts = [
    cfg.BoolOpt(
        "evacuate_all_instances",
        default=True,
        mutable=True,
        help="Evacuate every instance of a failed host (HA-enabled ones first); when False "
        "only instances whose HA metadata key is true.",
    ),
    cfg.StrOpt(
        "ha_enabled_instance_metadata_key",
        default="HA_Enabled",
        mutable=True,
        help="Server metadata key marking an instance as HA-enabled (value parsed as a bool).",
    ),
    cfg.BoolOpt(
        "ignore_instances_in_error_state",
        default=False,
        mutable=True,
        help="Leave instances in vm_state 'error' on the failed host.",
    ),
    cfg.BoolOpt(
        "add_reserved_host_to_aggregate",
        default=False,
        mutable=True,
        help="Add a reserved host to every host aggregate the failed host belongs to before "
        "evacuating to it.",
    ),
    cfg.BoolOpt(
        "keep_power_state_on_evacuation",
        default=True,
        mutable=True,
        help="Send evacuate requests at compute microversion 2.94 at most, where Nova starts "
        "an evacuated guest that was running by itself, so guests arrive in their original "
        "power state in one step. Nova 2.95 leaves every evacuated guest stopped, a safeguard "
        "for clouds that cannot be sure the failed host is off; here the fencing gate has "
        "confirmed that before any evacuation. False: evacuate at the negotiated "
        "microversion; from 2.95 the engine then starts the guests that were running.",
    ),
    cfg.StrOpt(
        "service_disable_reason",
        default="Masakari detected host failed.",
        mutable=True,
        help="disabled_reason written on the failed host's nova-compute service.",
    ),
    cfg.BoolOpt(
        "auto_recover_host",
        default=False,
        help="Accept a COMPUTE_HOST STARTED notification from a host on maintenance (the API "
        "answers 409 otherwise) and bring the host back: clear maintenance, un-force and "
        "re-enable its nova-compute service. Off as upstream, where an operator does this.",
    ),
    cfg.IntOpt(
        "mass_failure_threshold",
        default=50,
        min=1,
        max=100,
        mutable=True,
        help="Percentage of a segment's hosts that may fail within mass_failure_window before "
        "new host recoveries in that segment are held in 'error' instead of evacuating (a "
        "network partition looks like a mass failure).",
    ),
    cfg.IntOpt(
        "mass_failure_window",
        default=300,
        min=1,
        mutable=True,
        help="Seconds back from a host failure in which other host failures of the same "
        "segment count towards mass_failure_threshold.",
    ),
    cfg.IntOpt(
        "mass_failure_min_hosts",
        default=2,
        min=1,
        mutable=True,
        help="The mass-failure guard only holds recoveries once at least this many hosts of "
        "the segment failed within the window.",
    ),
]


def register_opts(conf):
    conf.register_group(host_failure_group)
    conf.register_opts(host_failure_opts, group=host_failure_group)


def list_opts():
    return [(host_failure_group.name, host_failure_opts)]
