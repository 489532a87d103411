"""What every monitor program shares: config + logging set-up, the notification sink
(spool + sender, or a printer for ``--once``/``--dry-run``), the health file, the optional
metrics endpoint and SIGTERM.
"""

import contextlib
import importlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from typing import Any, Iterator, Protocol

from oslo_config import cfg
from oslo_log import log as oslo_log

from monitors import conf as monitors_conf
from monitors import metrics, statefile
from monitors.conf import base as base_conf
from monitors.notifier import envelope
from monitors.notifier.client import ApiClient
from monitors.notifier.sender import Notifier
from monitors.notifier.spool import Spool

LOG = logging.getLogger(__name__)

cli_opts = [
    cfg.BoolOpt("once", default=False,
                help="Run one detection cycle, print the notifications it would send to "
                "stdout (one JSON document per line) and exit. Sends nothing, writes no "
                "state."),
    cfg.BoolOpt("dry-run", default=False,
                help="Run normally but print notifications to stdout instead of sending "
                "them; reported states are kept in memory only."),
]


class Sink(Protocol):
    def submit(self, body: dict[str, Any]) -> bool: ...


class PrintSink:
    """Prints what would be sent (``--once`` / ``--dry-run``)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.sent: list[dict[str, Any]] = []

    def submit(self, body: dict[str, Any]) -> bool:
        self.sent.append(body)
        self.stream.write(json.dumps(body, sort_keys=True) + "\n")
        self.stream.flush()
        return True


def _find_opt(group: str, name: str) -> cfg.Opt:
    """One of the monitors' own options of ``group``: ``<group>_opts`` of the option module
    named after the group. Not found through ``list_opts()``, which for ``[api]`` also lists
    keystoneauth's password plugin options and so imports every keystoneauth identity plugin
    (~30 modules, ~1.4 MB in each daemon) only to find ``endpoint_override``."""
    module = importlib.import_module(f"{monitors_conf.__name__}.{group}")
    for opt in getattr(module, f"{group}_opts"):
        if opt.dest == name.replace("-", "_"):
            return opt
    raise KeyError(f"{group}.{name}")


# Group options also accepted on the command line (as --<group>-<name>), so a test bed can
# run a monitor without writing a config file; they can still be set in the file.
CLI_GROUP_OPTS = [("api", "endpoint_override"), ("host", "command_prefix"),
                  ("host", "monitoring_interval"), ("libvirt", "connection_uri"),
                  ("process", "process_list_path"), ("metrics", "listen_port")]


def load_config(argv: list[str] | None, prog: str) -> cfg.ConfigOpts:
    """Parse the command line and config files into a fresh ConfigOpts with logging set up.

    Bad options exit with a clear message (oslo.config's own), never a traceback.
    """
    conf = monitors_conf.new_conf()
    conf.register_cli_opts(cli_opts)
    conf.register_cli_opts(base_conf.base_opts)
    for group, name in CLI_GROUP_OPTS:
        conf.register_cli_opt(_find_opt(group, name), group=group)
    oslo_log.register_options(conf)
    try:
        conf(argv, project="masakari-ha-monitors", prog=prog,
             default_config_files=_default_config_files())
    except cfg.Error as exc:
        sys.stderr.write(f"{prog}: configuration error: {exc}\n")
        raise SystemExit(2)
    if conf.once or conf.dry_run:
        conf.set_override("use_stderr", True)   # stdout carries the notifications only
    oslo_log.setup(conf, prog)
    return conf


def _default_config_files() -> list[str]:
    path = "/etc/masakari-ha-monitors/monitors.conf"
    return [path] if os.path.exists(path) else []


def build_notifier(conf: cfg.ConfigOpts, monitor: str, retry_max: int,
                   retry_interval: int) -> Notifier:
    """The real sink: spool below state_path/<monitor>/spool plus the API client."""
    spool = Spool(base_conf.monitor_dir(conf, monitor, "spool"),
                  max_entries=conf.spool.max_entries, max_bytes=conf.spool.max_bytes)
    client = ApiClient(conf)
    LOG.info("%s: notifications go to %s; %d spooled from before", monitor, client.endpoint,
             len(spool))
    return Notifier(spool, client.post, initial_delay=conf.spool.retry_initial_delay,
                    max_delay=float(retry_interval), alarm_after=retry_max,
                    **metrics.delivery_observers(monitor, spool))


def start_metrics(conf: cfg.ConfigOpts, monitor: str) -> "metrics.Endpoint | None":
    """The ``[metrics]`` endpoint, or None when ``listen_port`` is 0 (the default).

    A port that cannot be bound is a clear CLI error (exit 2), not a monitor running
    without the metrics its operator asked for.
    """
    if not conf.metrics.listen_port:
        return None
    try:
        endpoint = metrics.serve(conf.metrics.listen_address, conf.metrics.listen_port)
    except OSError as exc:
        sys.stderr.write(f"masakari-ha-{monitor}: cannot serve metrics on "
                         f"{conf.metrics.listen_address}:{conf.metrics.listen_port}: {exc}\n")
        raise SystemExit(2)
    LOG.info("%s: Prometheus metrics at %s", monitor, endpoint.url)
    return endpoint


@contextlib.contextmanager
def daemon_sink(conf: cfg.ConfigOpts, monitor: str, retry_max: int,
                retry_interval: int) -> Iterator[tuple[Sink, "Health | None"]]:
    """``(sink, health)`` of a running daemon: the started spool sender and its health file,
    or with ``--dry-run`` a printer and no health file. Serves ``[metrics]`` meanwhile; on
    exit stops both (undelivered notifications stay spooled for the next start)."""
    endpoint = start_metrics(conf, monitor)
    notifier = None
    try:
        if conf.dry_run:
            yield PrintSink(), None
            return
        notifier = build_notifier(conf, monitor, retry_max, retry_interval)
        notifier.start()
        yield notifier, Health(conf, monitor, notifier,
                               metrics_url=endpoint.url if endpoint else None)
    finally:
        if notifier is not None:
            notifier.stop()
        if endpoint is not None:
            endpoint.close()


class Health:
    """A small JSON file (state_path/<monitor>/health.json) rewritten atomically each cycle.

    Operators and tests read it to see that the monitor is alive (``updated_at``), what it
    last decided and how delivery is doing.
    """

    def __init__(self, conf: cfg.ConfigOpts, monitor: str, notifier: Notifier | None,
                 metrics_url: str | None = None):
        self.path = base_conf.monitor_dir(conf, monitor, "health.json")
        self.monitor = monitor
        self.notifier = notifier
        self.metrics_url = metrics_url

    def write(self, status: str, **detail: Any) -> None:
        doc: dict[str, Any] = {
            "monitor": self.monitor,
            "pid": os.getpid(),
            "status": status,
            "updated_at": envelope.format_time(envelope.utcnow()),
            "detail": detail,
        }
        if self.notifier is not None:
            doc["delivery"] = {
                "spooled": len(self.notifier.spool),
                "delivered": self.notifier.delivered,
                "refused_by_api": self.notifier.refused,
                "refused_spool_full": self.notifier.spool.refused,
                "consecutive_failures": self.notifier.failures,
                "last_error": self.notifier.last_error,
            }
        if self.metrics_url:
            doc["metrics"] = self.metrics_url
        statefile.write_json(self.path, doc, durable=False)


def resolve_hostname(conf: cfg.ConfigOpts) -> str:
    """``[DEFAULT] hostname`` or, unset, this machine's host name."""
    return conf.hostname or socket.gethostname()


def install_stop_handler() -> threading.Event:
    """An Event set by SIGTERM/SIGINT, so main loops can finish their cycle and exit."""
    stop = threading.Event()

    def _handler(signum, _frame):
        LOG.info("received signal %d, shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop

