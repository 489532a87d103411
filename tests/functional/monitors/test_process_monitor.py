"""The process monitor with real child processes and a real API process."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from monitors.process.monitor import ProcessMonitor
from monitors.runtime import PrintSink

HOST = "compute-pm1"
BIN = os.path.dirname(sys.executable)


def wait_until(cond, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def worker(tmp_path):
    """A long-running child identified by a unique argv, plus a detaching starter."""
    script = tmp_path / "worker.py"
    script.write_text("import time\nwhile True:\n    time.sleep(60)\n")
    starter = tmp_path / "start_worker.py"
    starter.write_text(textwrap.dedent("""\
        import subprocess, sys
        subprocess.Popen(sys.argv[1:], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        """))
    marker = f"marker-{os.getpid()}-{time.monotonic_ns()}"
    argv = [sys.executable, str(script), marker]
    procs = []

    def start():
        procs.append(subprocess.Popen(argv, start_new_session=True))
        return procs[-1]

    def pids():
        out = []
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/cmdline", "rb") as f:
                        if f.read().split(b"\0")[:3] == [a.encode() for a in argv]:
                            out.append(int(p))
                except OSError:
                    pass
        return out

    def kill_all():
        for pid in pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in procs:
            p.poll()
        wait_until(lambda: not pids(), 5)
        for p in procs:     # reap our own children (zombies have no cmdline anyway)
            p.poll()

    yield {"argv": argv, "starter": [sys.executable, str(starter)] + argv,
           "start": start, "pids": pids, "kill": kill_all}
    kill_all()


def write_list(path, worker, restart_cmd):
    entry = {"process_name": " ".join(worker["argv"]), "start_command": "",
             "pre_start_command": "", "post_start_command": "",
             "restart_command": restart_cmd, "pre_restart_command": "",
             "post_restart_command": "", "run_as_root": False}
    import yaml
    path.write_text(yaml.safe_dump([entry]))


def test_killed_process_is_restarted_without_notification(tmp_path, worker):
    plist = tmp_path / "process_list.yaml"
    write_list(plist, worker, worker["starter"])
    worker["start"]()
    sink = PrintSink(stream=open(os.devnull, "w"))
    mon = ProcessMonitor(str(plist), HOST, sink, restart_retries=1, restart_interval=0.2)
    assert mon.cycle() == []
    old = worker["pids"]()
    worker["kill"]()
    assert mon.cycle() == []                       # restarted on the first attempt
    new = worker["pids"]()
    assert new and set(new).isdisjoint(old)
    assert sink.sent == []


def test_daemon_reports_stopped_when_restarts_are_exhausted_then_started(tmp_path, api, worker):
    """...also across a restart of the daemon in between (failed.json)."""
    api.register_hosts(HOST)
    plist = tmp_path / "process_list.yaml"
    write_list(plist, worker, ["false"])            # restarting never works
    state = tmp_path / "state"
    conf = tmp_path / "pm.conf"
    conf.write_text(f"[DEFAULT]\nhostname = {HOST}\nstate_path = {state}\n"
                    f"[api]\nendpoint_override = {api.endpoint}\n"
                    f"[process]\nprocess_list_path = {plist}\ncheck_interval = 1\n"
                    "restart_retries = 2\nrestart_interval = 0\n"
                    "[spool]\nretry_initial_delay = 0.05\n")
    worker["start"]()
    health = state / "processmonitor" / "health.json"

    def start_daemon():
        log = open(tmp_path / "pm.log", "a")
        proc = subprocess.Popen([os.path.join(BIN, "masakari-ha-processmonitor"),
                                 "--config-file", str(conf)], stdout=log, stderr=subprocess.STDOUT)
        return proc, log

    def stop_daemon(proc, log):
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(15)
        log.close()
        assert rc == 0, (tmp_path / "pm.log").read_text()[-3000:]

    proc, log = start_daemon()
    try:
        assert wait_until(health.exists), "no health file"
        assert api.notifications() == []            # running: nothing to say
        worker["kill"]()
        got = api.wait_for(1, timeout=30)
        assert [(n["type"], n["payload"], n["hostname"]) for n in got] == [
            ("PROCESS", {"event": "STOPPED", "process_name": worker["argv"][1].rsplit("/", 1)[1]
                         + " " + worker["argv"][2]}, HOST)]
        time.sleep(2.5)                             # stays down: no second report
        assert len(api.notifications()) == 1
    finally:
        stop_daemon(proc, log)
    assert json.loads((state / "processmonitor" / "failed.json").read_text()) == {
        "failed": [" ".join(worker["argv"])]}
    health.unlink()
    proc, log = start_daemon()                      # restarted while the process is down
    try:
        assert wait_until(health.exists), "no health file after the restart"
        time.sleep(2.5)                             # remembers it: no second STOPPED
        assert len(api.notifications()) == 1
        assert json.loads(health.read_text())["detail"]["failed"] == [" ".join(worker["argv"])]
        worker["start"]()
        got = api.wait_for(2, timeout=30)           # and reports it back: STARTED
        assert [n["payload"]["event"] for n in got] == ["STOPPED", "STARTED"]
        assert wait_until(lambda: json.loads(health.read_text())["delivery"]["delivered"] == 1)
        assert json.loads(health.read_text())["monitor"] == "processmonitor"
    finally:
        stop_daemon(proc, log)


def test_once_prints_what_it_would_send(tmp_path, worker):
    plist = tmp_path / "process_list.yaml"
    write_list(plist, worker, ["false"])
    res = subprocess.run([os.path.join(BIN, "masakari-ha-processmonitor"), "--once",
                          "--hostname", HOST, "--state_path", str(tmp_path / "s"),
                          "--process-process_list_path", str(plist)],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    [line] = res.stdout.splitlines()
    body = json.loads(line)["notification"]
    assert body["type"] == "PROCESS" and body["payload"]["event"] == "STOPPED"


def test_bad_process_list_is_a_clear_cli_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("process_name: not-a-list\n")
    conf = tmp_path / "c.conf"
    conf.write_text(f"[process]\nprocess_list_path = {bad}\n")
    res = subprocess.run([os.path.join(BIN, "masakari-ha-processmonitor"), "--config-file",
                          str(conf), "--once"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert "bad process list" in res.stderr and "Traceback" not in res.stderr
