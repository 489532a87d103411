"""The instance monitor: a libvirt event loop thread, a read-only connection with reconnect
and backoff, and a resync of running domains after every reconnect.

Callbacks run in libvirt's event-loop thread and only build the notification and hand it to
the sink (a spool write), so a slow or absent API never delays event processing.

The set of domains known to be running is what a resync compares libvirt's view with, so it
is persisted (``known_file``, atomic write) promptly after every change, at most every
``SAVE_INTERVAL`` seconds during bursts: a monitor that crashes and restarts still reports
the guests that died meanwhile.
"""

import logging
import threading
from typing import Any

import libvirt

from monitors import loop, metrics, statefile
from monitors.instance import eventtable
from monitors.notifier import envelope
from monitors.runtime import Health, Sink

LOG = logging.getLogger(__name__)

#: Longest time, in seconds, a change of the running set waits to be written during bursts.
SAVE_INTERVAL = 0.5
#: Pause, in seconds, between two liveness checks of a healthy connection.
CHECK_INTERVAL = 1.0

_event_loop_lock = threading.Lock()
_event_loop_started = False


def start_event_loop() -> None:
    """Register libvirt's default event implementation and run it in a daemon thread (once
    per process; must happen before any connection is opened)."""
    global _event_loop_started
    with _event_loop_lock:
        if _event_loop_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def _loop():
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=_loop, name="libvirt-event-loop", daemon=True).start()
        _event_loop_started = True


def _quiet_libvirt_errors(_ctx, err) -> None:
    LOG.debug("libvirt: %s", err[2] if isinstance(err, (list, tuple)) and len(err) > 2 else err)


def _no_credentials(creds, _opaque) -> int:
    """Auth callback for openAuth: succeed only if libvirt asks for nothing (read-only sockets
    need no credentials; SASL credentials come from libvirt's auth.conf)."""
    return 0 if not creds else -1


class InstanceMonitor:
    def __init__(self, uri: str, hostname: str, sink: Sink, *, known_file: str | None = None,
                 health: Health | None = None, reconnect_initial: float = 0.5,
                 reconnect_max: float = 30.0):
        self.uri = uri
        self.hostname = hostname
        self.sink = sink
        self.known_file = known_file
        self.health = health
        self.reconnect_initial = reconnect_initial
        self.reconnect_max = reconnect_max
        self.running: set[str] = self._load_known()   # UUIDs of domains we believe are active
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._conn: Any = None
        self._callback_ids: list[int] = []
        self.connected = threading.Event()
        self.reconnects = 0
        self._backoff = reconnect_initial
        self._pause = CHECK_INTERVAL
        self._saver: statefile.RateLimitedSaver | None = None
        metrics.set_running_domains(len(self.running))

    # -- known running domains -------------------------------------------------------------
    def _load_known(self) -> set[str]:
        if not self.known_file:
            return set()
        data = statefile.read_json(self.known_file, [])
        if not isinstance(data, list) or not all(isinstance(u, str) for u in data):
            return set()
        return set(data)

    def _snapshot(self) -> list[str]:
        with self._lock:
            return sorted(self.running)

    def _known_changed(self) -> None:
        """The running set changed: persist it soon (rate-limited) and update the gauge."""
        metrics.set_running_domains(len(self.running))
        saver = self._known_saver()
        if saver is not None:
            saver.changed()

    def _save_known(self) -> None:
        """Write the running set now (after a resync and at shutdown)."""
        saver = self._known_saver()
        if saver is not None:
            saver.flush(force=True)

    def _known_saver(self) -> statefile.RateLimitedSaver | None:
        """The saver of ``known_file`` (None: not persisted, e.g. ``--once``, which clears
        ``known_file`` after loading it)."""
        if not self.known_file:
            return None
        with self._lock:
            if self._saver is None or self._saver.path != self.known_file:
                self._saver = statefile.RateLimitedSaver(self.known_file, self._snapshot,
                                                         SAVE_INTERVAL)
            return self._saver

    # -- libvirt callbacks (event-loop thread) ---------------------------------------------
    def _emit(self, dom, event_id: int, event_type: int, detail: int) -> None:
        observed = envelope.utcnow()
        try:
            uuid = dom.UUIDString()
        except libvirt.libvirtError as exc:
            uuid, error = None, exc.get_error_message()
        if uuid is None:
            LOG.warning("event %s for a domain that vanished: %s", event_id, error)
            return
        if event_id == eventtable.ID_LIFECYCLE:
            with self._lock:
                before = len(self.running)
                if event_type in (2, 4):          # STARTED, RESUMED
                    self.running.add(uuid)
                elif event_type in (5, 8):        # STOPPED, CRASHED
                    self.running.discard(uuid)
                changed = len(self.running) != before
            if changed:
                self._known_changed()
        mapped = eventtable.lookup(event_id, event_type, detail)
        metrics.record_instance_event(eventtable.EVENT_IDS.get(event_id, str(event_id)),
                                      mapped[1] if mapped else None)
        if mapped is None:
            LOG.debug("instance %s: libvirt event (%s, %s, %s) is not reported", uuid,
                      event_id, event_type, detail)
            return
        event, vde = mapped
        LOG.info("instance %s on %s: libvirt %s/%s -> VM notification", uuid, self.hostname,
                 event, vde)
        self.sink.submit(envelope.vm(self.hostname, uuid, event, vde, observed))

    def _cb_lifecycle(self, conn, dom, event, detail, opaque):
        self._emit(dom, eventtable.ID_LIFECYCLE, event, detail)

    def _cb_reboot(self, conn, dom, opaque):
        self._emit(dom, eventtable.ID_REBOOT, -1, -1)

    def _cb_watchdog(self, conn, dom, action, opaque):
        self._emit(dom, eventtable.ID_WATCHDOG, action, -1)

    def _cb_io_error(self, conn, dom, src_path, dev_alias, action, opaque):
        self._emit(dom, eventtable.ID_IO_ERROR, action, -1)

    def _cb_io_error_reason(self, conn, dom, src_path, dev_alias, action, reason, opaque):
        self._emit(dom, eventtable.ID_IO_ERROR_REASON, -1, -1)

    def _cb_control_error(self, conn, dom, opaque):
        self._emit(dom, eventtable.ID_CONTROL_ERROR, -1, -1)

    def _cb_close(self, conn, reason, opaque):
        LOG.warning("libvirt connection to %s closed (reason %s)", self.uri, reason)
        self._closed.set()

    # -- connection handling ---------------------------------------------------------------
    def connect(self) -> None:
        """Open the read-only connection, register callbacks, then resync."""
        start_event_loop()
        libvirt.registerErrorHandler(_quiet_libvirt_errors, None)
        auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_ECHOPROMPT, libvirt.VIR_CRED_REALM,
                 libvirt.VIR_CRED_PASSPHRASE, libvirt.VIR_CRED_NOECHOPROMPT,
                 libvirt.VIR_CRED_EXTERNAL], _no_credentials, None]
        conn = libvirt.openAuth(self.uri, auth, libvirt.VIR_CONNECT_RO)
        self._conn = conn      # so that disconnect() closes it if anything below fails
        self._closed.clear()
        callbacks = {
            libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE: self._cb_lifecycle,
            libvirt.VIR_DOMAIN_EVENT_ID_REBOOT: self._cb_reboot,
            libvirt.VIR_DOMAIN_EVENT_ID_WATCHDOG: self._cb_watchdog,
            libvirt.VIR_DOMAIN_EVENT_ID_IO_ERROR: self._cb_io_error,
            libvirt.VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON: self._cb_io_error_reason,
            libvirt.VIR_DOMAIN_EVENT_ID_CONTROL_ERROR: self._cb_control_error,
        }
        self._callback_ids = [conn.domainEventRegisterAny(None, eid, cb, None)
                              for eid, cb in callbacks.items()]
        try:
            conn.registerCloseCallback(self._cb_close, None)
        except libvirt.libvirtError:
            pass
        try:
            conn.setKeepAlive(5, 3)
        except libvirt.libvirtError:
            LOG.debug("keepalive not supported by %s", self.uri)
        self.resync()
        self.connected.set()
        LOG.info("connected to %s (read-only); %d running domain(s) known", self.uri,
                 len(self.running))

    def disconnect(self) -> None:
        conn, self._conn = self._conn, None
        self.connected.clear()
        if conn is None:
            return
        for cid in self._callback_ids:
            try:
                conn.domainEventDeregisterAny(cid)
            except libvirt.libvirtError:
                pass
        self._callback_ids = []
        try:
            conn.unregisterCloseCallback()
        except libvirt.libvirtError:
            pass
        try:
            conn.close()
        except libvirt.libvirtError:
            pass

    def alive(self) -> bool:
        if self._conn is None or self._closed.is_set():
            return False
        try:
            return bool(self._conn.isAlive())
        except libvirt.libvirtError:
            return False

    def resync(self) -> list[dict]:
        """Compare the domains we knew running with libvirt's view; report those that died.

        Called after every (re)connect. Guests that stopped with a failure reason while we
        were not listening get a LIFECYCLE/STOPPED_FAILED notification; deliberate stops and
        undefined domains are only logged. Returns the notifications sent.
        """
        observed = envelope.utcnow()
        conn = self._conn
        active = {d.UUIDString() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)}
        sent = []
        with self._lock:
            lost = sorted(self.running - active)
            self.running = set(active)
        for uuid in lost:
            try:
                state, reason = conn.lookupByUUIDString(uuid).state()
            except libvirt.libvirtError:
                state = reason = None
            if state is None:
                LOG.info("resync: instance %s no longer exists (undefined while disconnected); "
                         "not reported", uuid)
                continue
            why = eventtable.resync_failure(state, reason)
            if why is None:
                LOG.info("resync: instance %s stopped deliberately while disconnected "
                         "(state %s reason %s); not reported", uuid, state, reason)
                continue
            event, vde = eventtable.RESYNC_EVENT
            LOG.warning("resync: instance %s died while disconnected (%s) -> %s/%s",
                        uuid, why, event, vde)
            body = envelope.vm(self.hostname, uuid, event, vde, observed)
            self.sink.submit(body)
            metrics.record_resync_report()
            sent.append(body)
        metrics.set_running_domains(len(self.running))
        self._save_known()
        return sent

    def step(self) -> None:
        """One turn of the watch loop: (re)connect if needed, check the connection is alive.
        Sets the pause before the next turn: the reconnect backoff (doubling up to
        ``reconnect_max``) after a failed connect, none after a lost connection,
        ``CHECK_INTERVAL`` while all is well."""
        self._pause = CHECK_INTERVAL
        if self._conn is None:
            error = None
            try:
                self.connect()
            except libvirt.libvirtError as exc:
                error = exc.get_error_message()
            except Exception as exc:  # an unexpected answer: retry it like a failed connect
                LOG.exception("unexpected error connecting to %s", self.uri)
                error = f"{type(exc).__name__}: {exc}"
            if error is not None:
                LOG.warning("cannot connect to %s: %s; retrying in %.1fs", self.uri, error,
                            self._backoff)
                self.disconnect()
                self._health("disconnected", error=error)
                self._pause = self._backoff
                self._backoff = min(self.reconnect_max, self._backoff * 2)
                return
            self._backoff = self.reconnect_initial
            self._health("ok")
        if not self.alive():
            LOG.warning("lost connection to %s; reconnecting", self.uri)
            self.disconnect()
            self.reconnects += 1
            metrics.record_reconnect()
            self._health("disconnected")
            self._pause = 0.0
            return
        self._health("ok")

    def run(self, stop: threading.Event) -> None:
        """Connect, watch, reconnect with exponential backoff until ``stop`` is set."""
        self._backoff = self.reconnect_initial
        loop.run_loop("instance monitor", self.step, stop, lambda _elapsed: self._pause)
        self.disconnect()
        self._save_known()

    def _health(self, status: str, **detail) -> None:
        if self.health is not None:
            self.health.write(status, uri=self.uri, running_domains=len(self.running),
                              reconnects=self.reconnects, **detail)

