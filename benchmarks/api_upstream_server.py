"""Serve UPSTREAM masakari-api (``masakari.wsgi.api:application``) with gunicorn.

Run by benchmarks/api_bench.py with the interpreter of the separate upstream virtualenv
(masakari==22.0.0 from PyPI + gunicorn), never with the project's own venv: upstream imports
eventlet and monkey-patches at import time. The configuration directory (api-paste.ini +
masakari.conf) is given by OS_MASAKARI_CONFIG_DIR, exactly as upstream's WSGI entry point reads it.

usage: python api_upstream_server.py BIND WORKERS WORKER_CLASS THREADS
"""

import sys

from gunicorn.app.base import BaseApplication


class UpstreamAPI(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # upstream's initialize_application() parses the config directory's files, then parses
        # CONF(sys.argv[1:]) again, which drops them unless they are named on the command line too
        import os

        sys.argv = [sys.argv[0], "--config-file",
                    os.path.join(os.environ["OS_MASAKARI_CONFIG_DIR"], "masakari.conf")]
        from masakari.wsgi.api import application

        return application


def main() -> None:
    bind, workers, worker_class, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    UpstreamAPI({"bind": bind, "workers": workers, "worker_class": worker_class, "threads": threads,
                 "keepalive": 5, "timeout": 120, "errorlog": "-", "loglevel": "warning",
                 "proc_name": "upstream-masakari-api", "control_socket_disable": True}).run()


if __name__ == "__main__":
    main()
