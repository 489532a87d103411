"""The host monitor's command seam (monitors.host.pacemaker) with real subprocesses standing in
for pacemaker's tools, replaying real captured output: argument lists, prefix, {node}
substitution, the legacy -X fallback, failures and timeouts."""

import os
import sys

import pytest

from monitors.host.pacemaker import Pacemaker, PacemakerError

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "unit", "monitors", "data")
PY = sys.executable


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(body)
    return [PY, str(path)]


def cat(name):
    return ["cat", os.path.join(DATA, name)]


def make(**kw):
    args = dict(crm_mon=cat("crm_mon_healthy.xml"), crm_mon_legacy=cat("crm_mon_X_healthy.xml"),
                fence_history=cat("stonith_admin_history_remote1.xml"), crm_node=["echo", "remote2"],
                prefix=[], timeout=10)
    args.update(kw)
    return Pacemaker(**args)


def test_status_and_name():
    pm = make()
    assert sorted(pm.status().nodes) == ["ctl1", "remote1", "remote2", "remote3"]
    assert pm.node_name() == "remote2"


def test_legacy_fallback_when_output_as_is_unknown(tmp_path):
    old = script(tmp_path, "old_crm_mon.py",
                 "import sys\nsys.stderr.write(\"crm_mon: unrecognized option '--output-as=xml'\\n\")\n"
                 "sys.exit(64)\n")
    pm = make(crm_mon=old)
    assert "remote1" in pm.status().nodes           # answered by the legacy command
    assert pm._crm_mon == pm._legacy                 # and kept from now on


def test_prefix_and_node_substitution(tmp_path):
    record = tmp_path / "argv.txt"
    rec = script(tmp_path, "rec.py",
                 f"import sys\nopen({str(record)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
                 f"sys.stdout.write(open({os.path.join(DATA, 'stonith_admin_history_remote1.xml')!r}).read())\n")
    pm = make(prefix=rec, fence_history=["stonith_admin", "--history", "{node}", "--output-as=xml"])
    events = pm.fence_history("remote1")
    assert events and events[0].powered_off
    assert record.read_text().split("\n")[0] == "stonith_admin --history remote1 --output-as=xml"


def test_failures_are_errors_with_the_reason(tmp_path):
    bad = script(tmp_path, "down.py", "import sys\nsys.stderr.write('Connection to cluster "
                 "failed: Connection refused\\n')\nsys.exit(102)\n")
    with pytest.raises(PacemakerError, match="exited 102: Connection to cluster failed"):
        make(crm_mon=bad).status()
    with pytest.raises(PacemakerError, match="no such file|No such file"):
        make(crm_mon=["/nonexistent/crm_mon"]).status()
    with pytest.raises(PacemakerError, match="timed out"):
        make(crm_mon=[PY, "-c", "import time; time.sleep(5)"], timeout=0.5).status()
    with pytest.raises(PacemakerError, match="unusable"):
        make(crm_mon=["echo", "<html/>"]).status()


def test_fence_history_unavailable_is_empty_not_fatal():
    assert make(fence_history=cat("stonith_admin_history_not_connected.xml")).fence_history("x") == ()
    assert make(fence_history=["false"]).fence_history("x") == ()
    assert make(fence_history=[]).fence_history("x") == ()
