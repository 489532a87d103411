"""``[simulation]``: the simulated cloud ``masakari-ha-all`` starts when ``[nova]`` is not
configured (the embedded default: the whole product on one machine, nothing real to break).

Ports 0 pick free ephemeral ports; a fixed port that is busy falls back to a free one (the
start-up banner and ``<state_path>/simulation.json`` say which).
"""

from oslo_config import cfg

simulation_group = cfg.OptGroup(
    "simulation",
    title="Simulated cloud (embedded default)",
    help="The Keystone, Nova and MAAS emulators and simulated compute nodes (pacemaker-remote, "
    "libvirt) that masakari-ha-all starts when no [nova] section is configured.",
)

simulation_opts = [
    cfg.BoolOpt(
        "enabled",
        default=True,
        help="Start the simulated cloud when [nova] is not configured. False: serve the API "
        "and engine only (notifications then fail at the first Nova call).",
    ),
    cfg.PortOpt("keystone_port", default=15100, help="Port of the Keystone v3 emulator."),
    cfg.PortOpt("nova_port", default=15101, help="Port of the Nova (and Placement) emulator."),
    cfg.PortOpt("maas_port", default=15240, help="Port of the MAAS emulator (fencing)."),
    cfg.PortOpt(
        "control_port",
        default=15102,
        help="Port of the simulation's control API, used by masakari-ha-sim (crash-instance, "
        "kill-host, revive-host, status).",
    ),
    cfg.ListOpt(
        "hosts",
        default=["compute-1", "compute-2", "compute-3", "compute-4"],
        help="Simulated compute hosts (each a Nova compute, a MAAS machine and a "
        "pacemaker-remote node).",
    ),
    cfg.IntOpt(
        "guests_per_host",
        default=2,
        min=0,
        help="Active guests created on each host except the last one, which stays empty as a "
        "spare (e.g. a reserved host).",
    ),
    cfg.StrOpt(
        "latency",
        default="fast",
        choices=[("fast", "Nova answers and acts within milliseconds."),
                 ("realistic", "Nova takes seconds, as a real cloud does.")],
        help="How fast the simulated Nova works.",
    ),
    cfg.FloatOpt(
        "monitor_interval",
        default=1.0,
        min=0.1,
        help="Seconds between two samples of the simulated host monitor.",
    ),
]


def register_opts(conf):
    conf.register_group(simulation_group)
    conf.register_opts(simulation_opts, group=simulation_group)


def list_opts():
    return [(simulation_group.name, simulation_opts)]
