"""[host]: the pacemaker host monitor (cluster members and pacemaker-remote nodes)."""

from oslo_config import cfg

from monitors.conf.base import fresh

host_group = cfg.OptGroup(
    "host",
    title="Host monitor",
    help="masakari-ha-hostmonitor: watches every pacemaker node it can see (members and "
    "pacemaker-remote nodes) through crm_mon and reports peers that go offline or come back.",
)

host_opts = [
    cfg.IntOpt(
        "monitoring_interval",
        default=60,
        min=1,
        help="Seconds between two crm_mon samples.",
    ),
    cfg.IntOpt(
        "monitoring_samples",
        default=1,
        min=1,
        help="Consecutive identical samples of a node needed before its change is reported "
        "(debounce). A sample in a transition (pending, unclean-but-online, connection "
        "resource still Starting) breaks the streak. A node that is offline and not fenced "
        "must also have stayed offline for (monitoring_samples - 1) x monitoring_interval "
        "seconds: samples taken back to back after a slow crm_mon do not shorten that.",
    ),
    cfg.BoolOpt(
        "restrict_to_remotes",
        default=False,
        help="Watch only pacemaker-remote nodes (type=remote). Default: members and remote "
        "nodes together.",
    ),
    cfg.IntOpt(
        "api_retry_max",
        default=12,
        min=0,
        help="Upstream drops a notification after this many failed sends. Here nothing is "
        "dropped: the notification stays in the on-disk spool and delivery is retried "
        "forever. After this many consecutive failures every further failure is logged at "
        "ERROR instead of WARNING, so alerting on it keeps upstream's meaning.",
    ),
    cfg.IntOpt(
        "api_retry_interval",
        default=10,
        min=1,
        help="Upper bound, in seconds, of the delay between two delivery attempts. The "
        "delay starts at [spool] retry_initial_delay, doubles per failure and is drawn "
        "uniformly between 0 and that value (full jitter), capped here.",
    ),
    cfg.BoolOpt(
        "trust_clean_offline_without_fencing",
        default=False,
        help="For clouds without STONITH: report an offline node whose pacemaker state is "
        "clean (unclean=false) as host_status=NORMAL even when pacemaker's fencing history "
        "shows no successful off/reboot of it. Dangerous: a node that is merely unreachable "
        "gets its instances evacuated while they may still run.",
    ),
    cfg.IntOpt(
        "recovery_confirm_time",
        default=10,
        min=0,
        help="Seconds a node that was reported down must stay online, without interruption, "
        "before STARTED is sent. Pacemaker shows a dead pacemaker-remote node as online with "
        "its connection resource Started for a few seconds at the end of each reconnect "
        "attempt; that is not a recovery. 0 reports the first online sample.",
    ),
    cfg.IntOpt(
        "fencing_wait_timeout",
        default=120,
        min=0,
        help="When a node is offline but pacemaker is still fencing it (unclean or a pending "
        "fence event), wait up to this many seconds for the fence to succeed so that one "
        "STOPPED notification with host_status=NORMAL is sent. After the timeout, STOPPED "
        "is sent with host_status=UNKNOWN (the engine does not evacuate), and a second "
        "STOPPED with NORMAL follows if fencing succeeds later.",
    ),
    cfg.ListOpt(
        "crm_mon_command",
        default=["crm_mon", "-1", "--output-as=xml"],
        help="Command (argument list, no shell) printing the cluster status as XML. If it "
        "fails as an unknown option, crm_mon_legacy_command is tried and used from then on.",
    ),
    cfg.ListOpt(
        "crm_mon_legacy_command",
        default=["crm_mon", "-1", "-X"],
        help="Fallback for pacemaker older than 2.0.3 (no --output-as).",
    ),
    cfg.ListOpt(
        "fence_history_command",
        default=["stonith_admin", "--history", "{node}", "--output-as=xml"],
        help="Command asked for a node's fencing history when crm_mon's <fence_history> "
        "section shows no successful fence of an offline node ({node} is replaced by the "
        "node name). Empty list: use crm_mon's section only.",
    ),
    cfg.ListOpt(
        "crm_node_command",
        default=["crm_node", "-n"],
        help="Command printing this node's pacemaker name, used when [DEFAULT] hostname is "
        "unset.",
    ),
    cfg.ListOpt(
        "command_prefix",
        default=[],
        help="Prepended to every pacemaker command above, e.g. 'ip,netns,exec,pcmk-r1' to "
        "watch from inside a network namespace, or 'sudo' when not running as root.",
    ),
    cfg.IntOpt(
        "command_timeout",
        default=30,
        min=1,
        help="Seconds after which a pacemaker command is killed and the sample skipped.",
    ),
]


def register_opts(conf):
    conf.register_group(fresh(host_group))
    conf.register_opts(host_opts, group=host_group.name)


def list_opts():
    return [(fresh(host_group), host_opts)]
