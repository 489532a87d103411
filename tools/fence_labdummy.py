#!/usr/bin/python3
"""fence_labdummy: a logging-only fence agent for the pacemaker test bed.

tools/pacemaker-lab.sh installs it as /usr/sbin/fence_labdummy and uses it as the STONITH device
when the project's real agent (fence_maas) is not available, so the bed itself can be built and
checked without MAAS.  It speaks the fence-agents protocol: options as ``key=value`` lines on stdin
(what pacemaker-fenced sends) or ``--action=``/``--plug=`` flags.  Every call is appended to
``logfile`` as one JSON object; ``off``/``reboot`` succeed unless the device parameter ``fail`` is
true, after ``sleep`` seconds (to observe the "fencing pending" state).  Plain Python 3 standard
library on purpose: pacemaker runs it with the system interpreter.
"""
import json
import os
import sys
import time

METADATA = """<?xml version="1.0" ?>
<resource-agent name="fence_labdummy" shortdesc="Logging-only fence agent for the masakari_ha test bed">
<longdesc>Appends each call to a JSON-lines log file; off/reboot succeed unless fail is set.</longdesc>
<vendor-url>https://opendev.org/openstack/masakari</vendor-url>
<parameters>
 <parameter name="action" unique="0" required="0"><getopt mixed="-o, --action=[action]"/>
  <content type="string" default="reboot"/><shortdesc lang="en">Fencing action</shortdesc></parameter>
 <parameter name="plug" unique="0" required="0" obsoletes="port"><getopt mixed="-n, --plug=[id]"/>
  <content type="string"/><shortdesc lang="en">Node to fence</shortdesc></parameter>
 <parameter name="port" unique="0" required="0" deprecated="1"><getopt mixed="-n, --plug=[id]"/>
  <content type="string"/><shortdesc lang="en">Node to fence</shortdesc></parameter>
 <parameter name="nodename" unique="0" required="0">
  <content type="string"/><shortdesc lang="en">Node to fence (pacemaker's name)</shortdesc></parameter>
 <parameter name="logfile" unique="0" required="0">
  <content type="string" default="/var/log/fence_labdummy.log"/><shortdesc lang="en">Call log</shortdesc></parameter>
 <parameter name="sleep" unique="0" required="0">
  <content type="integer" default="0"/><shortdesc lang="en">Seconds off/reboot take</shortdesc></parameter>
 <parameter name="fail" unique="0" required="0">
  <content type="boolean" default="0"/><shortdesc lang="en">Make off/reboot fail</shortdesc></parameter>
</parameters>
<actions>
 <action name="on" automatic="0"/><action name="off"/><action name="reboot"/><action name="status"/>
 <action name="list"/><action name="monitor"/><action name="metadata"/><action name="validate-all"/>
</actions>
</resource-agent>
"""


def read_options(argv: list) -> dict:
    """Collect options from flags and, when no action flag was given, from stdin."""
    opts = {}
    for arg in argv:
        for flag, key in (("--action=", "action"), ("--plug=", "plug")):
            if arg.startswith(flag):
                opts[key] = arg[len(flag):]
    if "action" not in opts and not sys.stdin.isatty():
        for line in sys.stdin:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                opts[key.strip()] = value.strip()
    return opts


def main() -> int:
    opts = read_options(sys.argv[1:])
    action = opts.get("action") or opts.get("option") or "reboot"
    if action == "metadata":
        sys.stdout.write(METADATA)
        return 0
    target = opts.get("plug") or opts.get("port") or opts.get("nodename") or ""
    logfile = opts.get("logfile") or "/var/log/fence_labdummy.log"

    def record(**fields):
        fields.update(ts=time.time(), pid=os.getpid(), action=action, target=target)
        with open(logfile, "a", encoding="utf-8") as out:
            out.write(json.dumps(fields, sort_keys=True) + "\n")

    record(event="called", args=opts)
    if action in ("off", "reboot"):
        time.sleep(float(opts.get("sleep") or 0))
        failed = str(opts.get("fail", "0")).lower() in ("1", "true", "yes", "on")
        record(event="failed" if failed else "done")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
