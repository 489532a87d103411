"""masakari-ha-instancemonitor: report libvirt domain failures on this compute node."""

import logging
import sys

from monitors.conf import base as base_conf
from monitors import runtime

LOG = logging.getLogger(__name__)
NAME = "instancemonitor"


def main(argv: list[str] | None = None) -> int:
    conf = runtime.load_config(sys.argv[1:] if argv is None else argv,
                               "masakari-ha-instancemonitor")
    try:
        from monitors.instance.monitor import InstanceMonitor
    except ImportError as exc:
        sys.stderr.write(f"masakari-ha-instancemonitor: libvirt-python is not installed: {exc}\n")
        return 2
    hostname = runtime.resolve_hostname(conf)
    if conf.once:
        # Connect, resync against the saved list of running domains, print, exit.
        sink = runtime.PrintSink()
        mon = InstanceMonitor(conf.libvirt.connection_uri, hostname, sink,
                              known_file=base_conf.monitor_dir(conf, NAME, "running.json"))
        mon.known_file = None    # dry run: do not rewrite the saved list
        try:
            mon.connect()
        except Exception as exc:  # libvirtError; keep the CLI error clean
            sys.stderr.write(f"masakari-ha-instancemonitor: cannot connect to "
                             f"{conf.libvirt.connection_uri}: {exc}\n")
            return 1
        mon.disconnect()
        return 0
    stop = runtime.install_stop_handler()
    with runtime.daemon_sink(conf, NAME, conf.callback.retry_max,
                             conf.callback.retry_interval) as (sink, health):
        mon = InstanceMonitor(conf.libvirt.connection_uri, hostname, sink,
                              known_file=base_conf.monitor_dir(conf, NAME, "running.json"),
                              health=health,
                              reconnect_initial=conf.libvirt.reconnect_initial_delay,
                              reconnect_max=conf.libvirt.reconnect_max_delay)
        LOG.info("instance monitor for %s watching %s", hostname, conf.libvirt.connection_uri)
        mon.run(stop)
    LOG.info("instance monitor stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
