"""[libvirt] and [callback]: the libvirt instance monitor."""

from oslo_config import cfg

from monitors.conf.base import fresh

libvirt_group = cfg.OptGroup(
    "libvirt",
    title="libvirt",
    help="masakari-ha-instancemonitor: which libvirt daemon to watch.",
)

libvirt_opts = [
    cfg.StrOpt(
        "connection_uri",
        default="qemu:///system",
        help="libvirt URI, opened read-only (test:///default works for tests).",
    ),
    cfg.FloatOpt(
        "reconnect_initial_delay",
        default=0.5,
        min=0.01,
        help="First delay, in seconds, before reconnecting after the connection to libvirt "
        "was lost; it doubles up to reconnect_max_delay.",
    ),
    cfg.FloatOpt(
        "reconnect_max_delay",
        default=30.0,
        min=0.1,
        help="Largest delay, in seconds, between two reconnect attempts.",
    ),
]

callback_group = cfg.OptGroup(
    "callback",
    title="Instance monitor delivery",
    help="Upstream's retry options of the instance monitor, mapped onto the spool sender.",
)

callback_opts = [
    cfg.IntOpt(
        "retry_max",
        default=12,
        min=0,
        help="Upstream drops a notification after this many failed sends; here delivery is "
        "retried forever from the spool and failures after this many are logged at ERROR.",
    ),
    cfg.IntOpt(
        "retry_interval",
        default=10,
        min=1,
        help="Upper bound, in seconds, of the jittered exponential delay between delivery "
        "attempts.",
    ),
]


def register_opts(conf):
    conf.register_group(fresh(libvirt_group))
    conf.register_opts(libvirt_opts, group=libvirt_group.name)
    conf.register_group(fresh(callback_group))
    conf.register_opts(callback_opts, group=callback_group.name)


def list_opts():
    return [(fresh(libvirt_group), libvirt_opts), (fresh(callback_group), callback_opts)]
