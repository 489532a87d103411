"""Fencing options: which driver the engine's fencing gate uses, and how it reaches MAAS.

Two groups: ``[fencing]`` chooses the driver and its policy, ``[maas]`` says how the
``maas`` driver talks to the MAAS region API. The fence agent ``fence_maas`` has its own
command-line/stdin options (it runs under pacemaker, not with this config file).
"""

from oslo_config import cfg

FENCING_GROUP = "fencing"
MAAS_GROUP = "maas"

fencing_group = cfg.OptGroup(
    FENCING_GROUP,
    title="Fencing",
    help="How the engine makes sure a failed compute node is powered off before its "
    "instances are evacuated.",
)

maas_group = cfg.OptGroup(
    MAAS_GROUP,
    title="MAAS",
    help="The MAAS region API used by the 'maas' fencing driver to power compute nodes "
    "off and to confirm that they are off.",
)

fencing_opts = [
    cfg.StrOpt(
        "driver",
        default="noop",
        choices=[
            ("noop", "The engine fences nothing itself; the host monitor's host_status=NORMAL "
             "(pacemaker already fenced the node) is the only proof."),
            ("maas", "Power the node off through MAAS (hard) and poll MAAS until it reports off."),
            ("pacemaker", "Accept a successful off/reboot in pacemaker's fencing history "
             "(stonith_admin --history) as proof."),
        ],
        help="Fencing driver the host-failure flow's fencing gate uses.",
    ),
    cfg.BoolOpt(
        "required",
        default=True,
        help="Refuse to evacuate a host whose fencing was not confirmed: the notification "
        "goes to 'error' with the reason. Turning this off lets evacuation go ahead after a "
        "failed fencing attempt (the failure is still logged and recorded) -- only for "
        "storage that cannot be written by two copies of a guest at once.",
    ),
    cfg.IntOpt(
        "pacemaker_history_timeout",
        default=120,
        min=0,
        help="'pacemaker' driver: seconds to wait for pacemaker's fencing history to show a "
        "successful off/reboot of the host before giving up.",
    ),
    cfg.IntOpt(
        "pacemaker_history_max_age",
        default=900,
        min=1,
        help="'pacemaker' driver: a successful fencing event counts as proof only when it "
        "completed at most this many seconds ago (older events belong to an earlier failure).",
    ),
    cfg.FloatOpt(
        "pacemaker_poll_interval",
        default=5.0,
        min=0.05,
        help="'pacemaker' driver: seconds between two reads of the fencing history.",
    ),
    cfg.StrOpt(
        "stonith_admin",
        default="stonith_admin",
        help="'pacemaker' driver: the stonith_admin command (name on PATH or absolute path).",
    ),
]

maas_opts = [
    cfg.StrOpt(
        "url",
        help="MAAS region URL, e.g. https://maas.example.com:5240/MAAS (the /api/2.0/ "
        "suffix is added when missing). Use https: the API key travels as an OAuth1 "
        "PLAINTEXT signature.",
    ),
    cfg.StrOpt(
        "api_key",
        secret=True,
        help="MAAS API key 'consumer_key:token_key:token_secret'. Prefer api_key_file so "
        "the key stays out of the configuration file.",
    ),
    cfg.StrOpt(
        "api_key_file",
        help="File holding the MAAS API key (first non-empty line); read when api_key is "
        "unset. Keep it readable by the engine only.",
    ),
    cfg.FloatOpt(
        "power_off_timeout",
        default=90.0,
        min=1.0,
        help="Seconds, after the hard power-off request, within which MAAS must report the "
        "machine 'off'; otherwise fencing failed.",
    ),
    cfg.FloatOpt(
        "poll_interval",
        default=3.0,
        min=0.05,
        help="Seconds between two live power-state queries while waiting for 'off'.",
    ),
    cfg.FloatOpt(
        "request_timeout",
        default=65.0,
        min=0.5,
        help="Timeout of one HTTP request to MAAS. query_power_state may block up to 60 s "
        "server-side while MAAS asks the BMC.",
    ),
    cfg.BoolOpt(
        "verify_tls",
        default=True,
        help="Verify the MAAS server certificate.",
    ),
    cfg.StrOpt(
        "cafile",
        help="CA bundle used to verify the MAAS certificate (default: the system store).",
    ),
]


def register_opts(conf):
    conf.register_group(fencing_group)
    conf.register_opts(fencing_opts, group=fencing_group)
    conf.register_group(maas_group)
    conf.register_opts(maas_opts, group=maas_group)


def list_opts():
    return [(FENCING_GROUP, fencing_opts), (MAAS_GROUP, maas_opts)]
