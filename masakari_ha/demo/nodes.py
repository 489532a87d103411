"""Simulated compute nodes: pacemaker-remote and libvirt, watched by the real monitor code.

* A pacemaker cluster (one member, ``controller``, where the host monitor runs, and one
  pacemaker-remote node per compute host) is served to
  :class:`monitors.host.monitor.HostMonitor` through the same ``status()`` /
  ``fence_history()`` seam the real ``crm_mon``/``stonith_admin`` reader has, so every kill and
  revive goes through the host monitor's real decision code (debounce, fencing history,
  host_status).
* A guest crash is mapped by the instance monitor's libvirt event table
  (LIFECYCLE/STOPPED/FAILED → ``STOPPED_FAILED``) into the instance monitor's envelope.
* Each path delivers through its monitor's own on-disk spool and sender thread, which POST
  to the API with a Keystone token found through the catalog, as the real monitors do, and
  record the monitors' metrics (spool depth, notifications queued and sent) as the real
  monitors' runtime does: ``masakari-ha-all``'s ``/metrics`` shows them.

The simulated pacemaker does not fence itself (no STONITH device): a killed host is reported
``host_status=UNKNOWN`` and the engine's ``maas`` fencing driver powers it off in the MAAS
emulator before anything is evacuated.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from typing import Any

from monitors import metrics as monitor_metrics
from monitors.host import decision
from monitors.host.crmmon import ClusterStatus, FenceEvent, Node
from monitors.host.monitor import HostMonitor
from monitors.instance import eventtable
from monitors.notifier import envelope
from monitors.notifier.client import SERVICE_TYPE, Outcome, Result, classify
from monitors.notifier.sender import Notifier
from monitors.notifier.spool import Spool

LOG = logging.getLogger(__name__)

CONTROLLER = "controller"
#: libvirt's VIR_DOMAIN_EVENT_STOPPED_FAILED detail of a LIFECYCLE/STOPPED event.
STOPPED_FAILED_DETAIL = 5


class SimulationError(Exception):
    """A control request that cannot be done; ``code`` is the HTTP status to answer."""

    def __init__(self, message: str, code: int = 409):
        super().__init__(message)
        self.code = code


class SimulatedPacemaker:
    """The cluster as ``crm_mon`` would show it; duck-types :class:`monitors.host.pacemaker.Pacemaker`."""

    def __init__(self, hosts: list[str], me: str = CONTROLLER):
        self.me = me
        self._online = {host: True for host in hosts}
        self._lock = threading.Lock()

    def set_online(self, host: str, online: bool) -> None:
        with self._lock:
            self._online[host] = online

    def online(self, host: str) -> bool:
        with self._lock:
            return self._online[host]

    def status(self) -> ClusterStatus:
        with self._lock:
            nodes = {self.me: Node(self.me, "member", True)}
            for host, online in self._online.items():
                nodes[host] = Node(host, "remote", online,
                                   connection_role="Started" if online else "Stopped")
        return ClusterStatus(dc_present=True, with_quorum=True, nodes=nodes)

    def fence_history(self, node: str) -> tuple[FenceEvent, ...]:
        return ()   # no STONITH device in the simulation: the engine fences through MAAS

    def node_name(self) -> str:
        return self.me


class ApiPoster:
    """POST notifications with a Keystone token, endpoint from the catalog (like the monitors)."""

    def __init__(self, env: Any, username: str, password: str, project: str):
        self._session = env.session(username=username, password=password, project_name=project)

    def post(self, body: dict[str, Any]) -> Result:
        try:
            response = self._session.post(
                "/notifications", json=body, raise_exc=False, timeout=30,
                endpoint_filter={"service_type": SERVICE_TYPE, "interface": "public"},
                headers={"Accept": "application/json"})
        except Exception as error:  # noqa: BLE001 - keystoneauth/network trouble: retry
            return Result(Outcome.RETRY, None, f"{type(error).__name__}: {error}")
        return classify(response.status_code, response.text)

    def get(self, path: str) -> Any:
        response = self._session.get(path, raise_exc=False, timeout=30,
                                     endpoint_filter={"service_type": SERVICE_TYPE,
                                                      "interface": "public"})
        if response.status_code != 200:
            raise SimulationError(f"the API answered GET {path} with HTTP "
                                  f"{response.status_code}: {response.text[:200]}", 502)
        return response.json()


class SimulatedNodes:
    """The compute nodes of the simulation and the monitors watching them."""

    def __init__(self, conf: Any, env: Any, maas: Any, hosts: list[str]):
        from masakari_ha.demo.cloud import SERVICE_USER

        self.conf = conf
        self.env = env
        self.maas = maas
        self.hosts = list(hosts)
        self.pacemaker = SimulatedPacemaker(self.hosts)
        directory = os.path.join(conf.state_path, "simulation")
        shutil.rmtree(directory, ignore_errors=True)   # a new simulation: nothing to replay
        os.makedirs(directory, exist_ok=True)
        self.poster = ApiPoster(env, *SERVICE_USER)
        self._results: list[tuple[dict[str, Any], Result]] = []
        self._results_cv = threading.Condition()
        self.host_notifier = self._notifier(directory, "hostmonitor")
        self.instance_notifier = self._notifier(directory, "instancemonitor")
        self.host_monitor = HostMonitor(
            self.pacemaker, CONTROLLER, self.host_notifier,
            decision.Settings(monitoring_samples=2, fencing_wait_timeout=0),
            os.path.join(directory, "hostmonitor-state.json"))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _notifier(self, directory: str, monitor: str) -> Notifier:
        """One monitor's spool and sender, with the metrics hooks of monitors.runtime."""
        spool = Spool(os.path.join(directory, monitor, "spool"))

        def on_submit(body: dict[str, Any], queued: bool) -> None:
            monitor_metrics.record_queued(monitor, body, queued)
            monitor_metrics.set_spool_depth(monitor, len(spool))

        def on_result(entry: Any, result: Result) -> None:
            monitor_metrics.record_attempt(monitor, entry.body, result.outcome.value)
            monitor_metrics.set_spool_depth(monitor, len(spool))
            self._on_result(entry, result)

        monitor_metrics.set_spool_depth(monitor, len(spool))
        return Notifier(spool, self.poster.post, initial_delay=0.2, max_delay=2.0,
                        on_result=on_result, on_submit=on_submit)

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, api_url: str) -> None:
        self.host_notifier.start()
        self.instance_notifier.start()
        self._thread = threading.Thread(
            target=self.host_monitor.run, args=(self.conf.simulation.monitor_interval, self._stop),
            name="sim-hostmonitor", daemon=True)
        self._thread.start()
        LOG.info("SIMULATION: host monitor watching %s; notifications go to %s",
                 ", ".join(self.hosts), api_url)

    def stop(self) -> None:
        self._stop.set()
        self.host_notifier.stop()
        self.instance_notifier.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- delivery bookkeeping --------------------------------------------------------------
    def _on_result(self, entry: Any, result: Result) -> None:
        if result.outcome is Outcome.RETRY:
            return
        with self._results_cv:
            self._results.append((entry.body, result))
            self._results_cv.notify_all()

    def _wait_result(self, match, since: int, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        with self._results_cv:
            while True:
                for body, result in self._results[since:]:
                    if match(body):
                        return _describe(body, result)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._results_cv.wait(left)

    def _mark(self) -> int:
        with self._results_cv:
            return len(self._results)

    # -- actions -------------------------------------------------------------------------
    def _host(self, name: str) -> str:
        if name not in self.hosts:
            raise SimulationError(f"no simulated host {name!r}; hosts are "
                                  f"{', '.join(self.hosts)}", 404)
        return name

    def crash_instance(self, uuid: str, timeout: float = 20.0) -> dict[str, Any]:
        """The guest's qemu dies; libvirt's STOPPED_FAILED goes out as the instance monitor's
        VM notification. Returns what the API answered."""
        from masakari_ha.simulator.nova.model import NovaError

        try:
            server = self.env.cloud.server(uuid)
        except NovaError:
            raise SimulationError(f"no guest {uuid!r} in the simulated Nova; see "
                                  "'masakari-ha-sim status' for the guests", 404) from None
        if server.host not in self.hosts or not self.pacemaker.online(server.host):
            raise SimulationError(f"guest {uuid} is on host {server.host}, which is down: "
                                  "nothing runs there to crash", 409)
        try:
            self.env.cloud.crash(uuid)
        except NovaError as error:
            raise SimulationError(f"guest {uuid} cannot crash now: {error.message}", 409) from None
        event, vir_event = eventtable.lookup(eventtable.ID_LIFECYCLE, eventtable.LC_STOPPED,
                                             STOPPED_FAILED_DETAIL)
        body = envelope.vm(server.host, uuid, event, vir_event, envelope.utcnow())
        LOG.info("SIMULATION: guest %s (%s) on %s crashed; libvirt event %s/%s", uuid,
                 server.name, server.host, event, vir_event)
        mark = self._mark()
        self.instance_notifier.submit(body)
        found = self._wait_result(
            lambda b: b["notification"]["payload"].get("instance_uuid") == uuid, mark, timeout)
        return {"instance": uuid, "host": server.host, "name": server.name,
                "notification": found or _pending(body)}

    def kill_host(self, name: str, timeout: float = 20.0) -> dict[str, Any]:
        """pacemaker-remote on ``name`` goes offline and nova-compute stops reporting; the
        host monitor reports it on its next samples. Returns what the API answered."""
        host = self._host(name)
        if not self.pacemaker.online(host):
            raise SimulationError(f"host {host} is already down; 'masakari-ha-sim revive-host "
                                  f"{host}' brings it back", 409)
        mark = self._mark()
        self.pacemaker.set_online(host, False)
        self.env.cloud.kill_host(host, immediate=True)
        LOG.warning("SIMULATION: host %s died (pacemaker-remote offline, nova-compute down; "
                    "its MAAS machine is still powered on)", host)
        found = self._wait_result(
            lambda b: b["notification"]["hostname"] == host
            and b["notification"]["payload"].get("event") == envelope.EVENT_STOPPED,
            mark, timeout)
        return {"host": host, "notification": found}

    def revive_host(self, name: str, timeout: float = 20.0) -> dict[str, Any]:
        """Power the machine on in MAAS, restart nova-compute, pacemaker-remote back online."""
        host = self._host(name)
        if self.pacemaker.online(host):
            raise SimulationError(f"host {host} is not down", 409)
        machine = self.maas.machine(host)
        if machine.power_state != "on":
            self.maas.set(host, power_state="on")
        self.env.cloud.restart_compute(host)
        mark = self._mark()
        self.pacemaker.set_online(host, True)
        LOG.info("SIMULATION: host %s revived (powered on, nova-compute and pacemaker-remote "
                 "running)", host)
        found = self._wait_result(
            lambda b: b["notification"]["hostname"] == host
            and b["notification"]["payload"].get("event") == envelope.EVENT_STARTED,
            mark, timeout)
        return {"host": host, "notification": found}

    def status(self) -> dict[str, Any]:
        hosts = []
        for host in self.hosts:
            service = self.env.cloud.service(host)
            hosts.append({
                "name": host,
                "pacemaker": "online" if self.pacemaker.online(host) else "offline",
                "nova_compute": ("up" if service.up else "down")
                + (", forced down" if service.service.forced_down else "")
                + (", disabled" if service.service.disabled else ""),
                "power": self.maas.machine(host).power_state,
            })
        guests = []
        for host in self.hosts:
            for server in sorted(self.env.cloud.servers_on(host), key=lambda s: s.name):
                guests.append({"id": server.uuid, "name": server.name, "host": server.host,
                               "vm_state": server.vm_state,
                               "ha_enabled": server.metadata.get("HA_Enabled", "")})
        try:
            notifications = self.poster.get("/notifications?sort_key=generated_time&limit=20")[
                "notifications"]
            api_error = None
        except Exception as error:  # noqa: BLE001 - status must still show the rest
            notifications, api_error = [], str(error)
        return {"hosts": hosts, "guests": guests,
                "notifications": [{k: n.get(k) for k in ("notification_uuid", "type",
                                                         "source_host_uuid", "status",
                                                         "generated_time", "payload")}
                                  for n in notifications],
                "api_error": api_error,
                "spooled": len(self.host_notifier.spool) + len(self.instance_notifier.spool)}


def _describe(body: dict[str, Any], result: Result) -> dict[str, Any]:
    return {"sent": envelope.describe(body), "outcome": result.outcome.value,
            "http_status": result.status, "message": result.message,
            "notification_uuid": result.notification_uuid}


def _pending(body: dict[str, Any]) -> dict[str, Any]:
    return {"sent": envelope.describe(body), "outcome": "pending", "http_status": None,
            "message": "not delivered yet (the API did not answer in time); it stays spooled "
                       "and is retried", "notification_uuid": None}


