"""The monitor programs stay small: importing their entry points (and what ``main()`` and the
metrics path load) must not pull in the ``masakari_ha`` package, whose ``__init__`` selects
oslo.service's backend and thereby loads futurist and eventlet (~250 modules, ~10 MB per
daemon on every compute node), nor the engine or oslo.messaging.

Checked in a fresh interpreter: this test process has imported masakari_ha already.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

#: Top-level modules a monitor process must never import.
FORBIDDEN = ("eventlet", "oslo_messaging", "masakari_ha", "masakari_ha.engine", "futurist")

PROBE = """
import importlib.util, json, sys
import monitors.cmd.hostmonitor, monitors.cmd.instancemonitor, monitors.cmd.processmonitor
from monitors import metrics
metrics.set_spool_depth("instancemonitor", 0)   # the gauge masakari_ha.metrics also lists
metrics.registry()
libvirt = importlib.util.find_spec("libvirt") is not None
if libvirt:
    import monitors.instance.monitor            # what instancemonitor.main() imports lazily
print(json.dumps({"loaded": sorted(m for m in %r if m in sys.modules), "libvirt": libvirt}))
""" % (FORBIDDEN,)


def _probe(before: str = "") -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-c", before + PROBE], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_monitor_entry_points_do_not_import_eventlet_engine_or_messaging():
    result = _probe()
    assert result["loaded"] == [], (
        f"importing the monitor entry points loaded {result['loaded']}: a monitor module "
        "imports the masakari_ha package (directly or through a helper); the monitors must "
        "own what they need (see monitors/metrics.py's docstring)")


def test_probe_detects_a_forbidden_import():
    """The probe itself works: a monitor module importing the service package is caught."""
    assert "masakari_ha" in _probe(before="import masakari_ha.metrics\n")["loaded"]


def test_service_metrics_list_the_monitors_spool_gauge():
    """masakari_ha.metrics shows the gauge the monitors own (one object, one family)."""
    from masakari_ha import metrics as service_metrics
    from monitors import metrics as monitor_metrics

    assert service_metrics._get().spool_depth is monitor_metrics.spool_depth_gauge()
