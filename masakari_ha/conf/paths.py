"""Where the service keeps its state on disk."""

import os

from oslo_config import cfg

path_opts = [
    cfg.StrOpt(
        "state_path",
        default=os.path.join(os.path.expanduser("~"), ".local", "state", "masakari_ha"),
        sample_default="$HOME/.local/state/masakari_ha",
        help="Directory for state the service keeps on local disk: the embedded SQLite "
        "database, lock and health files. Created on first run when missing.",
    ),
]


def register_opts(conf):
    conf.register_opts(path_opts)


def list_opts():
    return [("DEFAULT", path_opts)]


def state_path(conf, *parts: str) -> str:
    """Return a path below ``state_path``, creating ``state_path`` itself if needed."""
    base = conf.state_path
    os.makedirs(base, exist_ok=True)
    return os.path.join(base, *parts)
