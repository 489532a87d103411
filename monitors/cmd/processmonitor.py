"""masakari-ha-processmonitor: keep listed processes running; report those that stay down."""

import logging
import sys

from monitors import runtime
from monitors.conf import base as base_conf
from monitors.process import processlist
from monitors.process.monitor import ProcessMonitor

LOG = logging.getLogger(__name__)
NAME = "processmonitor"


def main(argv: list[str] | None = None) -> int:
    conf = runtime.load_config(sys.argv[1:] if argv is None else argv,
                               "masakari-ha-processmonitor")
    hostname = runtime.resolve_hostname(conf)
    p = conf.process
    try:
        processlist.load(p.process_list_path)
    except processlist.ProcessListError as exc:
        sys.stderr.write(f"masakari-ha-processmonitor: bad process list: {exc}\n")
        return 2
    if conf.once:
        # Dry run: report which listed processes are down; restart nothing, send nothing.
        mon = ProcessMonitor(p.process_list_path, hostname, runtime.PrintSink())
        from monitors.notifier import envelope
        for spec in mon.specs:
            if not mon.running(spec):
                mon.sink.submit(envelope.process(hostname, spec.short_name, True,
                                                 envelope.utcnow()))
        return 0
    stop = runtime.install_stop_handler()
    with runtime.daemon_sink(conf, NAME, p.api_retry_max, p.api_retry_interval) as (sink, health):
        # --dry-run keeps the set of failed processes in memory only
        state_file = None if conf.dry_run else base_conf.monitor_dir(conf, NAME, "failed.json")
        mon = ProcessMonitor(p.process_list_path, hostname, sink,
                             restart_retries=p.restart_retries,
                             restart_interval=p.restart_interval,
                             command_timeout=p.command_timeout, health=health,
                             state_file=state_file)
        LOG.info("process monitor for %s watching %d process(es) from %s", hostname,
                 len(mon.specs), p.process_list_path)
        mon.run(p.check_interval, stop)
    LOG.info("process monitor stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
