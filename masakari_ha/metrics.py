"""Prometheus metrics of masakari_ha: every metric, its labels, and how it is exposed.

Metrics (all names carry the ``masakari_ha_`` prefix; counters end in ``_total``):

==============================================  ===================  ===========================
metric                                          labels               recorded by
==============================================  ===================  ===========================
``notifications_received_total``                type, status         API, POST /v1/notifications
``recoveries_total``                            type, outcome        engine, notification done
``recovery_duration_seconds`` (histogram)       type, outcome        engine, claim to finish
``evacuations_total``                           outcome              engine, one per instance
``instance_restarts_total``                     outcome              engine, VM failure flow
``fencing_attempts_total``                      driver, result       fencing driver power_off
``fencing_duration_seconds`` (histogram)        driver, result       fencing driver power_off
``leases_taken_over_total``                     (none)               engine, expired claim taken
``monitor_spool_depth`` (gauge)                 monitor              monitors, spool size
==============================================  ===================  ===========================

Label values:

* ``type``: ``COMPUTE_HOST``, ``VM``, ``PROCESS`` (the notification type).
* ``status`` (received): the stored notification's status (``new``: the engine was asked;
  ``ignored`` where the API stores it as such), or why it was refused: ``duplicate`` (409,
  the same failure is already being handled), ``host_on_maintenance`` (409),
  ``unknown_host`` (400, host not registered in any segment), ``refused`` (another 409).
  Bodies that fail validation (400) are not counted.
* ``outcome`` (recoveries): the notification's final status: ``finished``, ``error``,
  ``failed``, ``ignored``. Evacuations and restarts: ``success``, ``failure``, ``skipped``.
* ``result`` (fencing): ``fenced`` (confirmed off), ``not_fenced`` (clear answer that the
  host is not confirmed off), ``error`` (the driver raised).
* ``monitor``: ``hostmonitor``, ``instancemonitor``, ``processmonitor``.

Exposition. The API has several gunicorn worker processes, so prometheus-client's
multiprocess mode is used: :func:`enable_multiprocess` (called by ``masakari-ha-api`` and
``masakari-ha-all`` before any metric exists, i.e. before forking) points
``PROMETHEUS_MULTIPROC_DIR`` at ``<state_path>/prometheus`` (emptied at start), every process
writes its samples there, and ``GET /metrics`` on any worker aggregates all of them
(:func:`exposition`). Without it (tests, one process) the default registry is served. A
separate process (``masakari-ha-engine``, the monitors) serves its own registry with
:func:`serve_http`.

The metrics are created lazily on first use, because prometheus-client chooses the value
storage (memory or mmap file) when a metric is created.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from typing import Any, Optional

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

NOTIFICATION_TYPES = ("COMPUTE_HOST", "VM", "PROCESS")
DURATION_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, float("inf"))
FENCING_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 90, 120, 300, float("inf"))

_lock = threading.Lock()
_metrics: Optional["_Metrics"] = None


class _Metrics:
    """The metric objects, built once per process (see module docstring)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.notifications_received = Counter(
            "masakari_ha_notifications_received", "Notifications POSTed to the API, by type and "
            "by what the API did with them.", ["type", "status"])
        self.recoveries = Counter(
            "masakari_ha_recoveries", "Notifications the engine finished working on, by type and "
            "final status.", ["type", "outcome"])
        self.recovery_duration = Histogram(
            "masakari_ha_recovery_duration_seconds", "Seconds from the engine's claim of a "
            "notification to its final status.", ["type", "outcome"], buckets=DURATION_BUCKETS)
        self.evacuations = Counter(
            "masakari_ha_evacuations", "Instances the host-failure flow evacuated, by outcome.",
            ["outcome"])
        self.restarts = Counter(
            "masakari_ha_instance_restarts", "Instances the instance-failure flow restarted "
            "(stop, start, confirm active), by outcome.", ["outcome"])
        self.fencing_attempts = Counter(
            "masakari_ha_fencing_attempts", "power_off calls of the engine's fencing driver, by "
            "driver and result.", ["driver", "result"])
        self.fencing_duration = Histogram(
            "masakari_ha_fencing_duration_seconds", "Seconds one power_off (request and "
            "verification) took.", ["driver", "result"], buckets=FENCING_BUCKETS)
        self.leases_taken_over = Counter(
            "masakari_ha_leases_taken_over", "Notifications whose expired claim (a dead or stuck "
            "engine's) this engine took over.")
        # Owned by the monitors (which must not import this package, see monitors.metrics);
        # created here too so that every documented metric is listed from the start.
        from monitors import metrics as monitor_metrics

        self.spool_depth = monitor_metrics.spool_depth_gauge()


def _get() -> _Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = _Metrics()
    return _metrics


# -- set-up and exposition -----------------------------------------------------------------

def multiprocess_dir(state_path: str) -> str:
    """Where the API's processes keep their samples: ``<state_path>/prometheus``."""
    return os.path.join(state_path, "prometheus")


def enable_multiprocess(directory: str) -> str:
    """Switch this process (and its future children) to multiprocess mode in ``directory``.

    Empties the directory (samples of an earlier run must not be added to this one). Must run
    before the first metric is recorded; returns the directory.
    """
    if _metrics is not None:
        raise RuntimeError("metrics already created in single-process mode; enable "
                           "multiprocess mode before anything is recorded")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    os.environ[MULTIPROC_ENV] = directory
    from prometheus_client import values

    values.ValueClass = values.get_value_class()
    return directory


def mark_process_dead(pid: int) -> None:
    """gunicorn ``child_exit`` hook: drop the live gauges of a worker that exited."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def exposition() -> bytes:
    """The text exposition of every metric this service (all its processes) recorded."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    _get()  # make every metric appear, also before its first sample
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def serve_http(port: int, addr: str = "127.0.0.1") -> Any:
    """Serve ``/metrics`` of this process on ``addr:port`` from a daemon thread (engine,
    monitors); returns the server (``.shutdown()`` stops it)."""
    from prometheus_client import start_http_server

    _get()
    server, _thread = start_http_server(port, addr=addr)
    return server


# -- recording (API, engine, fencing, monitors) ----------------------------------------------

def record_notification_received(ntype: str, status: str) -> None:
    """API: one POST /v1/notifications; ``status`` as in the module docstring."""
    _get().notifications_received.labels(type=ntype, status=status).inc()


def record_recovery(ntype: str, outcome: str, seconds: float) -> None:
    """Engine: a notification reached its final status ``outcome`` after ``seconds``."""
    m = _get()
    m.recoveries.labels(type=ntype, outcome=outcome).inc()
    m.recovery_duration.labels(type=ntype, outcome=outcome).observe(max(0.0, seconds))


def record_evacuation(outcome: str) -> None:
    """Engine: one instance's evacuation ended (``success``/``failure``/``skipped``)."""
    _get().evacuations.labels(outcome=outcome).inc()


def record_restart(outcome: str) -> None:
    """Engine: one instance restart of the VM flow ended (``success``/``failure``)."""
    _get().restarts.labels(outcome=outcome).inc()


def record_fencing(driver: str, result: str, seconds: float) -> None:
    """Fencing: one power_off attempt (``fenced``/``not_fenced``/``error``)."""
    m = _get()
    m.fencing_attempts.labels(driver=driver, result=result).inc()
    m.fencing_duration.labels(driver=driver, result=result).observe(max(0.0, seconds))


def record_lease_taken_over() -> None:
    """Engine: this engine claimed a notification whose previous owner's lease had expired."""
    _get().leases_taken_over.inc()


def set_spool_depth(monitor: str, depth: int) -> None:
    """Monitors: the number of notifications now waiting in the spool."""
    _get().spool_depth.labels(monitor=monitor).set(depth)


class Timer:
    """``with Timer() as t: ...; t.seconds`` — monotonic elapsed time for the recorders."""

    def __enter__(self) -> "Timer":
        self._start = time.monotonic()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.monotonic() - self._start
