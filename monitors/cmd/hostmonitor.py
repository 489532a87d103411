"""masakari-ha-hostmonitor: report pacemaker peers (members and remote nodes) that fail."""

import logging
import sys

from monitors.conf import base as base_conf
from monitors.host import decision, state
from monitors.host.monitor import HostMonitor
from monitors.host.pacemaker import Pacemaker, PacemakerError
from monitors import runtime

LOG = logging.getLogger(__name__)
NAME = "hostmonitor"


def _pacemaker_name(pacemaker: Pacemaker, stop) -> str | None:
    """This node's pacemaker name. ``--once`` (stop is None) tries once; the daemon keeps
    trying with backoff, since pacemaker may start after it at boot."""
    delay = 1.0
    while True:
        try:
            return pacemaker.node_name()
        except PacemakerError as exc:
            error = str(exc)
        if stop is None:
            sys.stderr.write(f"masakari-ha-hostmonitor: cannot tell this node's pacemaker "
                             f"name (set [DEFAULT] hostname): {error}\n")
            return None
        LOG.warning("cannot tell this node's pacemaker name yet (%s); retrying in %.0fs "
                    "(or set [DEFAULT] hostname)", error, delay)
        if stop.wait(delay):
            return None
        delay = min(delay * 2, 30.0)


def main(argv: list[str] | None = None) -> int:
    conf = runtime.load_config(sys.argv[1:] if argv is None else argv, "masakari-ha-hostmonitor")
    pacemaker = Pacemaker.from_conf(conf)
    stop = None if conf.once else runtime.install_stop_handler()
    me = conf.hostname or _pacemaker_name(pacemaker, stop)
    if not me:
        return 0 if stop is not None and stop.is_set() else 2
    settings = decision.Settings(
        monitoring_samples=conf.host.monitoring_samples,
        restrict_to_remotes=conf.host.restrict_to_remotes,
        trust_clean_offline_without_fencing=conf.host.trust_clean_offline_without_fencing,
        fencing_wait_timeout=conf.host.fencing_wait_timeout,
        recovery_confirm_time=conf.host.recovery_confirm_time,
        monitoring_interval=conf.host.monitoring_interval,
    )
    if conf.once:
        # Dry run of one sample from the saved state: what would be sent now.
        mon = HostMonitor(pacemaker, me, runtime.PrintSink(), settings, None)
        mon.records = state.load(base_conf.monitor_dir(conf, NAME, "nodes.json"))
        mon.cycle()
        if mon.last_error:
            sys.stderr.write(f"masakari-ha-hostmonitor: no usable sample: {mon.last_error}\n")
            return 1
        return 0
    with runtime.daemon_sink(conf, NAME, conf.host.api_retry_max,
                             conf.host.api_retry_interval) as (sink, health):
        # --dry-run keeps reported states in memory only
        state_file = None if conf.dry_run else base_conf.monitor_dir(conf, NAME, "nodes.json")
        mon = HostMonitor(pacemaker, me, sink, settings, state_file, health)
        mon.run(conf.host.monitoring_interval, stop)
    LOG.info("host monitor stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
