"""The instance monitor's running domains are on disk promptly after each change
(rate-limited during bursts), so a monitor that crashed still resyncs against them."""

import json
import time

import pytest

from monitors.runtime import PrintSink

HOST = "compute-x"

libvirt = pytest.importorskip(
    "libvirt", reason="LOUD SKIP: libvirt-python is not installed (tools/venv.sh installs it)")

from monitors.instance import eventtable, monitor as instance_monitor  # noqa: E402
from monitors.instance.monitor import InstanceMonitor  # noqa: E402


class Dom:
    def __init__(self, uuid):
        self.uuid = uuid

    def UUIDString(self):
        return self.uuid


STARTED, STOPPED = 2, 5


def read(path):
    return json.loads(path.read_text())


def wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.01)
    return cond()


def test_running_domains_are_on_disk_promptly_after_events(tmp_path, capsys):
    known = tmp_path / "running.json"
    mon = InstanceMonitor("test:///default", HOST, PrintSink(), known_file=str(known))
    mon._emit(Dom("u1"), eventtable.ID_LIFECYCLE, STARTED, 0)
    assert read(known) == ["u1"]                         # first change: written at once
    for i in range(2, 30):                               # a burst: coalesced
        mon._emit(Dom(f"u{i}"), eventtable.ID_LIFECYCLE, STARTED, 0)
    mon._emit(Dom("u1"), eventtable.ID_LIFECYCLE, STOPPED, 5)
    expected = sorted(f"u{i}" for i in range(2, 30))
    assert wait_for(lambda: read(known) == expected,
                    timeout=instance_monitor.SAVE_INTERVAL + 3)
    assert mon._saver.writes <= 3
    # a new monitor (after a crash) starts from what was saved
    again = InstanceMonitor("test:///default", HOST, PrintSink(), known_file=str(known))
    assert again.running == set(expected)


def test_events_that_do_not_change_the_set_write_nothing(tmp_path, capsys):
    known = tmp_path / "running.json"
    mon = InstanceMonitor("test:///default", HOST, PrintSink(), known_file=str(known))
    mon._emit(Dom("u1"), eventtable.ID_REBOOT, -1, -1)
    mon._emit(Dom("u1"), eventtable.ID_LIFECYCLE, STOPPED, 1)     # was not known running
    assert not known.exists()
