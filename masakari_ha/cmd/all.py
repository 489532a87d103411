"""``masakari-ha-all``: the embedded single-machine default, API and engine in one process.

Defaults (each one yields to a value set in a config file or on the command line):
SQLite under ``state_path``, ``auth_strategy = noauth``, listening on 127.0.0.1:15868,
``transport_url = fake://`` (an in-process message bus between API and engine) and
``[nova] validate_host_names = false`` (no Nova assumed). The schema is migrated on every
start (a no-op when current), so the first start creates the database.

One gunicorn worker serves the API; :func:`start_engine_in_process` runs the engine in
that same worker process, so the API's casts reach it over the shared fake:// transport.
"""

import importlib
import logging
import os
import sys

from masakari_ha import rpc
from masakari_ha.api import create_app
from masakari_ha.cmd import api as api_cmd
from masakari_ha.cmd import config
from masakari_ha.conf import nova as nova_conf
from masakari_ha.db import migration

LOG = logging.getLogger(__name__)

EMBEDDED_DEFAULTS = {
    (None, "auth_strategy"): "noauth",
    (None, "masakari_api_listen"): "127.0.0.1",
    (None, "transport_url"): "fake://",
    ("nova", "validate_host_names"): False,
}

ENGINE_MODULE = "masakari_ha.engine.service"


def start_engine_in_process(conf):
    """Start the engine inside this process on the shared in-process transport.

    Contract with :mod:`masakari_ha.engine.service` (the engine's module), first match wins:

    * ``start_in_process(conf, transport)`` returning a handle (with ``stop()``), or
    * a class ``EngineService(conf, transport=...)`` whose ``start()`` starts its threads.

    ``transport`` is :func:`masakari_ha.rpc.get_transport` for ``conf`` — the same object
    the API's :class:`~masakari_ha.rpc.EngineClient` casts on. Returns the handle, or None
    (with a WARNING) while the engine module does not exist yet; notifications then stay
    ``new`` until an engine runs.
    """
    try:
        service = importlib.import_module(ENGINE_MODULE)
    except ModuleNotFoundError as error:
        if error.name not in (ENGINE_MODULE, "masakari_ha.engine"):
            raise
        LOG.warning("No engine in this installation (%s missing): serving the API only; "
                    "notifications stay 'new' until an engine runs.", ENGINE_MODULE)
        return None
    transport = rpc.get_transport(conf)
    if hasattr(service, "start_in_process"):
        handle = service.start_in_process(conf, transport)
    elif hasattr(service, "EngineService"):
        handle = service.EngineService(conf, transport=transport)
        handle.start()
    else:
        raise RuntimeError(f"{ENGINE_MODULE} has neither start_in_process() nor EngineService")
    LOG.info("Engine started in-process on the %s transport", conf.transport_url)
    return handle


def _post_worker_init(worker):
    worker.masakari_engine = start_engine_in_process(worker.masakari_conf)


def _worker_exit(_arbiter, worker):
    # The engine's threads would keep the worker process alive until gunicorn kills it
    # after graceful_timeout: stop them (claims are handed back) as the worker exits.
    engine = getattr(worker, "masakari_engine", None)
    if engine is not None:
        engine.stop(timeout=10)


def start_simulation(conf):
    """When ``[nova]`` is not configured: start the simulated cloud and point ``conf`` at it
    (returns the :class:`masakari_ha.demo.cloud.Simulation`, or None)."""
    if nova_conf.is_configured(conf):
        LOG.info("[nova] is configured: using the real cloud, no simulation")
        return None
    if not conf.simulation.enabled:
        LOG.warning("[nova] is not configured and [simulation] enabled is false: the engine "
                    "has no Nova to recover anything with")
        return None
    from masakari_ha.demo import cloud

    simulation = cloud.start(conf)
    for line in cloud.banner(simulation).splitlines()[:4]:
        LOG.warning("%s", line)
    LOG.warning("SIMULATION: credentials and first commands are printed on stdout and kept in "
                "%s", os.path.join(conf.state_path, cloud.STATE_FILE))
    print(cloud.banner(simulation), flush=True)
    return simulation


def main(argv=None) -> int:
    conf = config.parse_args(sys.argv[1:] if argv is None else argv, prog="masakari-ha-all",
                             defaults=EMBEDDED_DEFAULTS)
    migration.upgrade("head")
    LOG.info("Database at revision %s", migration.current_revision())
    api_cmd.enable_metrics(conf)
    simulation = start_simulation(conf)
    application = create_app(conf)

    def post_worker_init(worker):
        worker.masakari_conf = conf
        _post_worker_init(worker)

    options = api_cmd.gunicorn_options(conf, workers=1, post_worker_init=post_worker_init,
                                       proc_name="masakari-ha-all", worker_exit=_worker_exit)
    LOG.info("masakari-ha-all serving on %s",
             api_cmd.bind_address(conf.masakari_api_listen, conf.masakari_api_listen_port))
    master = os.getpid()
    try:
        api_cmd.APIServer(application, options).run()
    finally:
        # The worker leaves run() through here too (SystemExit after fork); the simulation's
        # threads live in the master only.
        if simulation is not None and os.getpid() == master:
            simulation.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
