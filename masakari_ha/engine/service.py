"""``EngineService``: the RPC server, worker pool, lease keeper and sweeps of one engine.

Public API (also what ``masakari-ha-all`` uses to run the engine inside the API process)::

    service = EngineService(conf, transport=None)   # None: masakari_ha.rpc.get_transport(conf)
    service.start()                                  # returns at once; threads do the work
    service.request_reload()                         # SIGHUP: re-read mutable options
    service.stop()                                   # stop listening, hand claims back

Any number of engines may run against one database and broker: the topic queue spreads
casts, and the claim in the database (not the message) decides who works on what.
"""

import concurrent.futures
import logging
import os
import threading
import time
import uuid as uuidlib

import oslo_messaging

from masakari_ha import context as ha_context
from masakari_ha import rpc
from masakari_ha.compute import get_client
from masakari_ha.db import claims
from masakari_ha.engine import limits, registry
from masakari_ha.engine import reload as config_reload
from masakari_ha.engine.endpoint import EngineEndpoint
from masakari_ha.engine.processor import Processor
from masakari_ha.fencing import drivers as fencing_drivers

LOG = logging.getLogger(__name__)

#: An ``error`` notification is tried this many times in all (upstream: one retry).
MAX_ATTEMPTS = 2


class EngineService:
    """One engine. ``transport`` lets ``masakari-ha-all`` share its in-process bus."""

    def __init__(self, conf, transport=None, nova_factory=None):
        self.conf = conf
        self.transport = transport
        self.owner = f"{conf.engine.host}:{os.getpid()}:{uuidlib.uuid4().hex[:8]}"
        self._nova_factory = nova_factory or (lambda: get_client(conf))
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()
        self._server = None
        self.processor: Processor | None = None

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> "EngineService":
        conf = self.conf
        driver = fencing_drivers.load_driver(conf)
        try:
            driver.validate()
        except Exception as error:  # keep running: the gate will refuse to evacuate and say why
            LOG.error("Fencing driver %s is not usable: %s", driver.name, error)
        limits.reset()
        for problem in registry.preload(conf):
            LOG.error("Recovery flow misconfigured (its notifications will fail): %s", problem)
        self.processor = Processor(self.owner, conf.engine.lease_duration, self._nova_factory, driver,
                                   ha_context.admin_context())
        self._pool = concurrent.futures.ThreadPoolExecutor(conf.engine.workers,
                                                           thread_name_prefix="notification")
        transport = self.transport or rpc.get_transport(conf)
        target = oslo_messaging.Target(topic=conf.masakari_topic, server=conf.engine.host,
                                       exchange=conf.engine_control_exchange)
        self._server = oslo_messaging.get_rpc_server(transport, target, [EngineEndpoint(self.submit)],
                                                     executor="threading")
        self._server.start()
        # Not joined on stop: it ends with its one Nova call, however long that takes.
        threading.Thread(target=self._warm_up_nova, name="nova-warm-up", daemon=True).start()
        for name, loop in (("lease-keeper", self._keep_leases), ("sweeper", self._sweep_loop),
                           ("config-reloader", self._reload_loop)):
            thread = threading.Thread(target=loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        LOG.info("Engine %s listening on topic %s (exchange %s)", self.owner, conf.masakari_topic,
                 conf.engine_control_exchange)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop listening, interrupt running recoveries and hand their claims back."""
        self._stop.set()
        if self._server is not None:
            try:
                self._server.stop()
                self._server.wait()
            except Exception:
                LOG.exception("Stopping the RPC server failed")
        if self.processor is not None:
            self.processor.interrupt_all("engine stopping")
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for thread in self._threads:
            thread.join(timeout)
        LOG.info("Engine %s stopped", self.owner)

    def request_stop(self) -> None:
        """Ask wait() to return (safe from a signal handler); stop() does the work."""
        self._stop.set()
        self._reload.set()  # wakes the reloader so it can end

    def request_reload(self) -> None:
        """Ask for a configuration reload (safe from a SIGHUP handler); a thread does it."""
        self._reload.set()

    def reload(self) -> list[str]:
        """Re-read the configuration files now; return the changes (see :mod:`.reload`)."""
        return config_reload.reload_config(self.conf, self.owner)

    def wait(self) -> None:
        """Block until stop() was called (for the console script)."""
        self._stop.wait()

    # -- work -------------------------------------------------------------------------

    def submit(self, notification_uuid: str) -> concurrent.futures.Future | None:
        """Process a notification in the worker pool unless this engine already does."""
        with self._inflight_lock:
            if self._stop.is_set() or notification_uuid in self._inflight:
                return None
            self._inflight.add(notification_uuid)
        try:
            return self._pool.submit(self._process, notification_uuid)
        except RuntimeError:  # pool shut down meanwhile
            self._done(notification_uuid)
            return None

    def _process(self, notification_uuid: str) -> str | None:
        try:
            return self.processor.process(notification_uuid)
        except Exception:
            LOG.exception("Notification %s: processing failed unexpectedly", notification_uuid)
            return None
        finally:
            self._done(notification_uuid)

    def _done(self, notification_uuid: str) -> None:
        with self._inflight_lock:
            self._inflight.discard(notification_uuid)

    # -- background loops -------------------------------------------------------------

    def _reload_loop(self) -> None:
        while True:
            self._reload.wait()
            self._reload.clear()
            if self._stop.is_set():
                return
            try:
                self.reload()
            except Exception:
                LOG.exception("Engine %s: configuration reload failed", self.owner)

    def _warm_up_nova(self) -> None:
        """Authenticate and negotiate the compute microversion once, in the background.

        Otherwise the first recovery after a start pays for the token and the version
        discovery (two round trips to Keystone and Nova) before its first Nova call. A
        failure here changes nothing: the recovery that needs Nova tries again and reports.
        """
        try:
            version = self._nova_factory().microversion
            LOG.info("Engine %s: Nova reachable, compute API microversion %s", self.owner, version)
        except Exception as error:
            LOG.warning("Engine %s: Nova not reachable yet (%s); recoveries will try again",
                        self.owner, error)

    def _keep_leases(self) -> None:
        lease = self.conf.engine.lease_duration
        last_ok = time.monotonic()
        while not self._stop.wait(lease / 3.0):
            running = self.processor.running()
            try:
                held = claims.renew(self.owner, list(running), lease)
                last_ok = time.monotonic()
            except Exception as error:
                LOG.warning("Could not renew leases: %s", error)
                if time.monotonic() - last_ok > lease:
                    self.processor.interrupt_all("leases could not be renewed")
                continue
            for uuid, control in running.items():
                if uuid not in held:
                    LOG.warning("Notification %s: lease lost; stopping work on it", uuid)
                    control.interrupt("lease lost to another engine")

    def _sweep_loop(self) -> None:
        last_expiry = 0.0
        while not self._stop.is_set():
            try:
                self.sweep()
                if time.monotonic() - last_expiry >= self.conf.check_expired_notifications_interval:
                    last_expiry = time.monotonic()
                    for uuid in claims.fail_expired(self.conf.notifications_expired_interval):
                        LOG.warning("Notification %s expired: status failed", uuid)
            except Exception:
                LOG.exception("Notification sweep failed")
            self._stop.wait(self.conf.engine.sweep_interval)

    def sweep(self) -> list[str]:
        """Submit lost, orphaned and retryable notifications; fail exhausted ones."""
        for uuid in claims.fail_exhausted(MAX_ATTEMPTS):
            LOG.warning("Notification %s exits with status: failed (retries exhausted).", uuid)
        found = claims.find_resumable(self.conf.retry_notification_new_status_interval,
                                      self.conf.process_unfinished_notifications_interval, MAX_ATTEMPTS)
        for uuid in found:
            self.submit(uuid)
        return found


def start_in_process(conf, transport) -> EngineService:
    """For ``masakari-ha-all``: an engine on the API process's in-process transport."""
    return EngineService(conf, transport=transport).start()
