"""The process monitor's processes reported STOPPED are on disk whenever the set changes, so a
restarted monitor neither reports them again nor forgets them."""

import json

import yaml

from monitors.process import proc
from monitors.process.monitor import ProcessMonitor
from monitors.runtime import PrintSink

HOST = "compute-x"
ARGV = ("/usr/bin/python3", "/opt/svc/worker.py")


class FakeProc:
    """A /proc that shows the worker exactly when ``up`` is set."""

    def __init__(self):
        self.up = True

    def scan(self):
        return [proc.ProcInfo(4242, ARGV, ARGV[0])] if self.up else []


def make_process_monitor(tmp_path, fake, sink):
    plist = tmp_path / "process_list.yaml"
    plist.write_text(yaml.safe_dump([{"process_name": " ".join(ARGV),
                                      "restart_command": ["false"]}]))
    return ProcessMonitor(str(plist), HOST, sink, restart_retries=0, restart_interval=0,
                          state_file=str(tmp_path / "failed.json"), scan=fake.scan,
                          sleep=lambda _s: None)


def events(sink):
    return [n["notification"]["payload"]["event"] for n in sink.sent]


def test_restarted_process_monitor_neither_resends_nor_forgets(tmp_path, capsys):
    fake = FakeProc()
    first = PrintSink()
    mon = make_process_monitor(tmp_path, fake, first)
    mon.cycle()
    fake.up = False
    mon.cycle()                              # restart fails -> STOPPED, saved
    assert events(first) == ["STOPPED"]
    assert json.loads((tmp_path / "failed.json").read_text()) == {"failed": [" ".join(ARGV)]}

    again = PrintSink()                      # the monitor is restarted, process still down
    mon = make_process_monitor(tmp_path, fake, again)
    assert mon.failed == {" ".join(ARGV)}
    mon.cycle()
    assert events(again) == []               # not reported twice
    fake.up = True
    mon.cycle()
    assert events(again) == ["STARTED"]      # and not forgotten when it comes back
    assert json.loads((tmp_path / "failed.json").read_text()) == {"failed": []}

    third = PrintSink()
    mon = make_process_monitor(tmp_path, fake, third)
    mon.cycle()
    assert mon.failed == set() and events(third) == []


def test_malformed_failed_file_is_ignored(tmp_path, caplog):
    (tmp_path / "failed.json").write_text('{"failed": "oops"}')
    mon = make_process_monitor(tmp_path, FakeProc(), PrintSink())
    assert mon.failed == set() and "malformed" in caplog.text
