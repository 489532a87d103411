"""[DEFAULT] options shared by every monitor: who we are and where local state lives."""

import os

from oslo_config import cfg

base_opts = [
    cfg.StrOpt(
        "hostname",
        deprecated_name="host",
        sample_default="<pacemaker node name or socket.gethostname()>",
        help="Name of this compute node as registered in masakari_ha (and as the host of its "
        "nova-compute service). Sent as 'hostname' in VM and PROCESS notifications; the "
        "host monitor uses it as its own node name and never reports it. Unset: the host "
        "monitor asks pacemaker ('crm_node -n'), the other monitors use socket.gethostname().",
    ),
    cfg.StrOpt(
        "state_path",
        default="/var/lib/masakari-ha-monitors",
        help="Directory for the monitors' local state: one subdirectory per monitor holding "
        "its notification spool, its last reported states and its health file.",
    ),
]


def register_opts(conf):
    conf.register_opts(base_opts)


def list_opts():
    return [("DEFAULT", base_opts)]


def fresh(group: cfg.OptGroup) -> cfg.OptGroup:
    """A new copy of ``group`` for one ConfigOpts.

    oslo.config keeps a group's options inside the OptGroup object (``register_group`` makes
    only a shallow copy), so a module-level OptGroup shared by several ConfigOpts would leak
    options registered on one of them (e.g. keystoneauth's plugin options, which load on
    demand) into all the others.
    """
    return cfg.OptGroup(group.name, title=group.title, help=group.help)


def monitor_dir(conf, monitor: str, *parts: str) -> str:
    """Return ``state_path/<monitor>/<parts>``, creating the monitor directory."""
    path = os.path.join(conf.state_path, monitor)
    os.makedirs(path, exist_ok=True)
    return os.path.join(path, *parts)
