"""Prometheus metrics of the compute-node monitors, and their optional ``/metrics`` endpoint.

Names start with ``masakari_ha_monitor_``; counters end in ``_total`` when exposed.

=================================================  =========================  ===============
metric                                             labels                     monitor
=================================================  =========================  ===============
``masakari_ha_monitor_spool_depth`` (gauge)        monitor                    all (also listed
                                                                              by masakari_ha.metrics)
``notifications_queued_total``                     monitor, type, result      all
``notifications_sent_total``                       monitor, type, outcome     all
``send_retries_total``                             monitor, type              all
``host_samples_total``                             result                     host
``host_nodes`` (gauge)                             state                      host
``host_decisions_total``                           decision                   host
``instance_events_total``                          event, vir_domain_event    instance
``instance_resync_reports_total``                  (none)                     instance
``instance_reconnects_total``                      (none)                     instance
``instance_running_domains`` (gauge)               (none)                     instance
``process_restarts_total``                         process, outcome           process
``process_failed`` (gauge)                         (none)                     process
=================================================  =========================  ===============

Metrics live in prometheus-client's default registry and are created on first use (like
:mod:`masakari_ha.metrics`, whose multiprocess mode chooses the value storage when a metric
is created): inside ``masakari-ha-all`` the simulated host monitor's samples therefore show
up on the API's ``/metrics``. A monitor daemon serves them itself when ``[metrics]
listen_port`` is set (:func:`serve`), showing only the monitors' metrics plus the process
collector's, not the API's and engine's (which would always read zero there).

This module imports nothing of the ``masakari_ha`` package: importing any of it runs
``masakari_ha/__init__.py``, which selects oslo.service's backend and so loads futurist and
eventlet (~250 modules, ~10 MB) into every monitor. The spool-depth gauge, documented with
the service's metrics, is therefore owned here (:func:`spool_depth_gauge`) and
:mod:`masakari_ha.metrics` takes it from this module, so the API's ``/metrics`` still lists
it.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, Callable

PREFIX = "masakari_ha_monitor_"
#: Families of the default registry a monitor's endpoint shows besides its own.
PROCESS_PREFIXES = ("process_", "python_")

_lock = threading.Lock()
_created: list[SimpleNamespace] = []   # the metrics, once created
_spool_gauge: list[Any] = []            # the spool-depth gauge, once created


def _create() -> SimpleNamespace:
    """Build the monitors' metric objects (once per process, see :func:`_get`)."""
    from prometheus_client import Counter, Gauge

    return SimpleNamespace(
        queued=Counter(
            "masakari_ha_monitor_notifications_queued", "Notifications a monitor handed to its "
            "spool: spooled (durable, will be delivered) or spool_full (refused, lost).",
            ["monitor", "type", "result"]),
        sent=Counter(
            "masakari_ha_monitor_notifications_sent", "Notifications the API answered for "
            "good: accepted (2xx) or refused (400/409, dropped from the spool).",
            ["monitor", "type", "outcome"]),
        retries=Counter(
            "masakari_ha_monitor_send_retries", "Delivery attempts that failed and will be "
            "retried (API unreachable, 5xx, 401, ...).", ["monitor", "type"]),
        host_samples=Counter(
            "masakari_ha_monitor_host_samples", "crm_mon samples of the host monitor: usable, "
            "blocked (no quorum, own node not online) or failed (no usable output).",
            ["result"]),
        host_nodes=Gauge(
            "masakari_ha_monitor_host_nodes", "Watched peer nodes by their state in the last "
            "usable sample.", ["state"], multiprocess_mode="livemax"),
        host_decisions=Counter(
            "masakari_ha_monitor_host_decisions", "Decisions of the host monitor, by kind.",
            ["decision"]),
        instance_events=Counter(
            "masakari_ha_monitor_instance_events", "libvirt domain events seen by the instance "
            "monitor, by event and the vir_domain_event reported (not_reported: upstream's "
            "table has no entry).", ["event", "vir_domain_event"]),
        resync_reports=Counter(
            "masakari_ha_monitor_instance_resync_reports", "Guests a resync after a reconnect "
            "found dead and reported as LIFECYCLE/STOPPED_FAILED."),
        reconnects=Counter(
            "masakari_ha_monitor_instance_reconnects", "Lost libvirt connections the instance "
            "monitor reconnected after."),
        running_domains=Gauge(
            "masakari_ha_monitor_instance_running_domains", "Domains the instance monitor "
            "knows to be running.", multiprocess_mode="livemax"),
        process_restarts=Counter(
            "masakari_ha_monitor_process_restarts", "Restart attempts of the process monitor, "
            "by process and outcome.", ["process", "outcome"]),
        process_failed=Gauge(
            "masakari_ha_monitor_process_failed", "Processes reported STOPPED and not running "
            "again yet.", multiprocess_mode="livemax"),
    )


def _get() -> SimpleNamespace:
    if not _created:
        with _lock:
            if not _created:
                _created.append(_create())
    return _created[0]


def spool_depth_gauge() -> Any:
    """The ``masakari_ha_monitor_spool_depth`` gauge (label ``monitor``), created on first use
    (once per process). Also created by :mod:`masakari_ha.metrics` with the service's
    metrics, so that the API's ``/metrics`` lists it before any monitor ran."""
    if not _spool_gauge:
        with _lock:
            if not _spool_gauge:
                from prometheus_client import Gauge

                _spool_gauge.append(Gauge(
                    "masakari_ha_monitor_spool_depth", "Notifications waiting in a monitor's "
                    "on-disk spool for delivery to the API.", ["monitor"],
                    multiprocess_mode="livemax"))
    return _spool_gauge[0]


def _type(body: dict[str, Any]) -> str:
    return str(body.get("notification", {}).get("type", "unknown"))


# -- delivery (every monitor) ----------------------------------------------------------------

def record_queued(monitor: str, body: dict[str, Any], spooled: bool) -> None:
    """A notification was written to the spool (``spooled``) or refused by a full one."""
    _get().queued.labels(monitor=monitor, type=_type(body),
                         result="spooled" if spooled else "spool_full").inc()


def record_attempt(monitor: str, body: dict[str, Any], outcome: str) -> None:
    """One delivery attempt ended with ``outcome`` (``accepted``/``refused``/``retry``)."""
    m = _get()
    if outcome == "retry":
        m.retries.labels(monitor=monitor, type=_type(body)).inc()
    else:
        m.sent.labels(monitor=monitor, type=_type(body), outcome=outcome).inc()


def set_spool_depth(monitor: str, depth: int) -> None:
    """The notifications now waiting in the spool (masakari_ha's documented gauge)."""
    spool_depth_gauge().labels(monitor=monitor).set(depth)


def delivery_observers(monitor: str, spool: Any) -> dict[str, Callable[..., None]]:
    """``on_submit``/``on_result`` keyword arguments for a
    :class:`monitors.notifier.sender.Notifier` over ``spool`` that record this monitor's
    delivery metrics (queued, sent, retries, spool depth); sets the depth now."""

    def on_submit(body: dict[str, Any], queued: bool) -> None:
        record_queued(monitor, body, queued)
        set_spool_depth(monitor, len(spool))

    def on_result(entry: Any, result: Any) -> None:
        record_attempt(monitor, entry.body, result.outcome.value)
        set_spool_depth(monitor, len(spool))

    set_spool_depth(monitor, len(spool))
    return {"on_submit": on_submit, "on_result": on_result}


# -- host monitor ----------------------------------------------------------------------------

def record_host_sample(result: str, node_states: dict[str, int] | None = None) -> None:
    """One crm_mon sample (``usable``/``blocked``/``failed``); ``node_states`` (usable
    samples) replaces the per-state node counts."""
    m = _get()
    m.host_samples.labels(result=result).inc()
    if node_states is not None:
        for state, count in node_states.items():
            m.host_nodes.labels(state=state).set(count)


def record_host_decision(kind: str) -> None:
    _get().host_decisions.labels(decision=kind).inc()


# -- instance monitor ------------------------------------------------------------------------

def record_instance_event(event: str, vir_domain_event: str | None) -> None:
    """A libvirt event; ``vir_domain_event`` None when it is not reported."""
    _get().instance_events.labels(event=event,
                                  vir_domain_event=vir_domain_event or "not_reported").inc()


def record_resync_report() -> None:
    _get().resync_reports.inc()


def record_reconnect() -> None:
    _get().reconnects.inc()


def set_running_domains(count: int) -> None:
    _get().running_domains.set(count)


# -- process monitor -------------------------------------------------------------------------

def record_process_restart(process: str, success: bool) -> None:
    """One restart attempt (pre/restart/post commands and the wait for the process)."""
    _get().process_restarts.labels(process=process,
                                   outcome="success" if success else "failure").inc()


def set_process_failed(count: int) -> None:
    _get().process_failed.set(count)


# -- exposition ------------------------------------------------------------------------------

class _MonitorView:
    """A collector showing the default registry's monitor and process families only."""

    def collect(self):
        from prometheus_client import REGISTRY

        for family in REGISTRY.collect():
            if family.name.startswith(PREFIX) or family.name.startswith(PROCESS_PREFIXES):
                yield family


def registry():
    """A registry with what a monitor's endpoint shows: every monitor metric (created now, so
    that each appears before its first sample; the spool depth once the spool is open) and
    the process collector's."""
    from prometheus_client import CollectorRegistry

    _get()
    reg = CollectorRegistry(auto_describe=False)
    reg.register(_MonitorView())
    return reg


class Endpoint:
    """A running ``/metrics`` HTTP server of one monitor (daemon thread)."""

    def __init__(self, address: str, port: int):
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(port, addr=address, registry=registry())
        self.address = address
        self.port = self._server.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def serve(address: str, port: int) -> Endpoint:
    """Serve the monitor metrics on ``address:port`` (0: any free port, for tests)."""
    return Endpoint(address, port)
