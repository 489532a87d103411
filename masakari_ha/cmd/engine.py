"""``masakari-ha-engine``: one recovery engine process (RPC server, sweeps, flows).

SIGTERM/SIGINT stop it (claims handed back); SIGHUP re-reads the configuration files and
applies the mutable options (see :mod:`masakari_ha.engine.reload`).
"""

import logging
import signal
import sys

from masakari_ha import metrics
from masakari_ha.cmd import config
from masakari_ha.db import migration
from masakari_ha.engine.service import EngineService

LOG = logging.getLogger(__name__)


def main(argv=None) -> int:
    conf = config.parse_args(sys.argv[1:] if argv is None else argv, prog="masakari-ha-engine")
    service = EngineService(conf)

    # Installed before the service starts: a signal arriving once it listens (a supervisor's
    # SIGHUP right after start-up) must not find the default action, which ends the process
    # without handing its claims back.
    def _stop(signum, _frame):
        LOG.info("Signal %s received: stopping", signum)
        service.request_stop()

    def _reload(signum, _frame):
        LOG.info("Signal %s received: reloading the configuration files", signum)
        service.request_reload()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _reload)
    try:
        current, head = migration.current_revision(), migration.head_revision()
        if current != head:
            raise RuntimeError(f"database schema is at {current or 'nothing'}, not {head}: run "
                               f"'masakari-ha-manage db sync' first")
        service.start()
        if conf.metrics.engine_port:
            metrics.serve_http(conf.metrics.engine_port, conf.metrics.engine_listen)
            LOG.info("Metrics on http://%s:%d/metrics", conf.metrics.engine_listen,
                     conf.metrics.engine_port)
    except Exception as error:
        LOG.error("masakari-ha-engine could not start: %s", error)
        print(f"masakari-ha-engine: {error}", file=sys.stderr)
        return 1

    service.wait()
    service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
