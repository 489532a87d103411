"""``masakari-ha-api``: serve the REST API with gunicorn worker processes.

Binds ``masakari_api_listen:masakari_api_listen_port`` with ``masakari_api_workers``
processes (one per CPU when unset) of ``masakari_api_threads`` threads each. The app is
built once in the master (bad configuration fails before forking); every worker drops
inherited database connections right after the fork.
"""

import gc
import logging
import os
import sys

from gunicorn.app.base import BaseApplication

from masakari_ha import metrics
from masakari_ha.api import balanced_worker, create_app
from masakari_ha.cmd import config
from masakari_ha.db import session as db_session

LOG = logging.getLogger(__name__)

BALANCED_WORKER = "masakari_ha.api.balanced_worker.BalancedThreadWorker"


def bind_address(host: str, port: int) -> str:
    """gunicorn's bind string (IPv6 addresses in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class APIServer(BaseApplication):
    """gunicorn driven from code: no gunicorn command line or config file involved."""

    def __init__(self, application, options: dict):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def _pre_fork(_server, _worker):
    # Everything the master built (the app, oslo.config, SQLAlchemy metadata, ~150k
    # objects) lives as long as the process: move it out of the garbage collector's
    # generations. Without this a worker's full collection walks all of it, a 100+ ms
    # pause of every request in flight in that worker (the API's p99), and touches
    # every page shared with the master (copy-on-write).
    gc.freeze()


def _post_fork(_server, _worker):
    # Connections opened in the master must not be shared by workers.
    db_session.dispose_engines()


def _child_exit(_server, worker):
    # A worker that exited must not keep contributing live gauges to /metrics.
    metrics.mark_process_dead(worker.pid)
    balanced_worker.release(worker.pid)


def enable_metrics(conf) -> str:
    """Prometheus multiprocess mode in ``<state_path>/prometheus`` (before forking workers)."""
    directory = metrics.enable_multiprocess(metrics.multiprocess_dir(conf.state_path))
    LOG.info("Metrics of all worker processes are collected in %s and served on /metrics",
             directory)
    return directory


def gunicorn_options(conf, workers: int, **extra) -> dict:
    """The gunicorn settings for ``conf`` (shared with masakari-ha-all)."""
    options = {
        "bind": bind_address(conf.masakari_api_listen, conf.masakari_api_listen_port),
        "workers": workers,
        # gthread that leaves new connections to a worker holding fewer (balanced_worker)
        "worker_class": BALANCED_WORKER,
        "threads": conf.masakari_api_threads,
        "preload_app": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "child_exit": _child_exit,
        "timeout": 120,
        "graceful_timeout": 30,
        "keepalive": 5,
        "errorlog": "-",
        "loglevel": "debug" if conf.debug else "info",
        "proc_name": "masakari-ha-api",
        # gunicorn's control socket lives at a fixed path under $HOME: two servers on one
        # machine would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }
    options.update(extra)
    return options


def main(argv=None) -> int:
    conf = config.parse_args(sys.argv[1:] if argv is None else argv, prog="masakari-ha-api")
    workers = conf.masakari_api_workers or os.cpu_count() or 1
    enable_metrics(conf)
    application = create_app(conf)
    LOG.info("masakari-ha-api listening on %s with %d workers x %d threads",
             bind_address(conf.masakari_api_listen, conf.masakari_api_listen_port), workers,
             conf.masakari_api_threads)
    APIServer(application, gunicorn_options(conf, workers)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
