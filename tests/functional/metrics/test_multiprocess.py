"""Multiprocess mode (gunicorn workers): samples recorded in forked children are all in the
exposition of any process, and the directory of an earlier run is emptied."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import os, sys
    from masakari_ha import metrics
    directory = sys.argv[1]
    metrics.enable_multiprocess(directory)
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            metrics.record_notification_received("VM", "new")
            metrics.record_fencing("maas", "fenced", 1.5)
            os._exit(0)
        os.waitpid(pid, 0)
    sys.stdout.write(metrics.exposition().decode())
""")


def _run(directory) -> str:
    return subprocess.run([sys.executable, "-c", SCRIPT, str(directory)], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def test_children_are_aggregated_and_old_runs_forgotten(tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    directory = tmp_path / "prometheus"
    for _run_number in range(2):   # the second run starts from an emptied directory
        text = _run(directory)
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(text) for s in f.samples}
        assert samples[("masakari_ha_notifications_received_total",
                        (("status", "new"), ("type", "VM")))] == 3
        assert samples[("masakari_ha_fencing_duration_seconds_sum",
                        (("driver", "maas"), ("result", "fenced")))] == 4.5
