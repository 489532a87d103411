"""The simulated pacemaker seen through the real host-monitor code, the crash event mapping,
and the sim CLI's plain-words summaries. No network."""

from monitors.host import decision
from monitors.host.monitor import HostMonitor
from monitors.instance import eventtable

from masakari_ha.demo import cli
from masakari_ha.demo.nodes import CONTROLLER, STOPPED_FAILED_DETAIL, SimulatedPacemaker


class Sink:
    def __init__(self):
        self.sent = []

    def submit(self, body):
        self.sent.append(body["notification"])
        return True


def _monitor(pacemaker, sink, clock):
    return HostMonitor(pacemaker, CONTROLLER, sink,
                       decision.Settings(monitoring_samples=2, fencing_wait_timeout=0), None,
                       clock=clock)


def test_kill_and_revive_go_through_the_host_monitor_decisions():
    pacemaker = SimulatedPacemaker(["compute-1", "compute-2"])
    sink, now = Sink(), [1000.0]
    monitor = _monitor(pacemaker, sink, lambda: now[0])
    for _ in range(2):
        monitor.cycle()
    assert sink.sent == []                       # baseline only
    pacemaker.set_online("compute-1", False)
    monitor.cycle()
    assert sink.sent == []                       # debounced: one offline sample is not enough
    now[0] += 1
    monitor.cycle()
    assert len(sink.sent) == 1
    stopped = sink.sent[0]
    assert stopped["type"] == "COMPUTE_HOST" and stopped["hostname"] == "compute-1"
    # No STONITH in the simulation: UNKNOWN, and the engine's MAAS driver does the fencing.
    assert stopped["payload"] == {"event": "STOPPED", "cluster_status": "OFFLINE",
                                  "host_status": "UNKNOWN"}
    monitor.cycle()
    assert len(sink.sent) == 1                   # reported once
    pacemaker.set_online("compute-1", True)
    monitor.cycle()
    monitor.cycle()
    assert sink.sent[-1]["payload"] == {"event": "STARTED", "cluster_status": "ONLINE",
                                        "host_status": "NORMAL"}


def test_cluster_status_has_quorum_and_the_monitor_node():
    status = SimulatedPacemaker(["compute-1"]).status()
    assert status.has_quorum and status.nodes[CONTROLLER].type == "member"
    assert status.nodes["compute-1"].is_remote and status.nodes["compute-1"].online


def test_crash_is_libvirts_stopped_failed():
    assert eventtable.lookup(eventtable.ID_LIFECYCLE, eventtable.LC_STOPPED,
                             STOPPED_FAILED_DETAIL) == ("LIFECYCLE", "STOPPED_FAILED")


def test_cli_summaries_say_what_to_do():
    accepted = {"outcome": "accepted", "notification_uuid": "abc", "http_status": 202,
                "message": "accepted"}
    assert "openstack notification show abc" in cli._notification_line(accepted, "VM")
    refused = {"outcome": "refused", "notification_uuid": None, "http_status": 400,
               "message": "Host with name compute-9 could not be found."}
    line = cli._notification_line(refused, "VM")
    assert "HTTP 400" in line and "openstack segment host create" in line
    maintenance = dict(refused, http_status=409, message="host is already under maintenance")
    assert "on maintenance since its recovery" in cli._notification_line(maintenance, "X")
    assert "stays in the simulated monitor's spool" in cli._notification_line(None, "VM")


def test_cli_usage_errors_exit_2(capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["kill-host"])
    assert exit_info.value.code == 2
    assert "name" in capsys.readouterr().err


def test_control_url_order(tmp_path, monkeypatch):
    monkeypatch.delenv(cli.URL_ENV, raising=False)
    assert cli.control_url(None, str(tmp_path)) == cli.DEFAULT_URL
    (tmp_path / "simulation.json").write_text('{"control": "http://127.0.0.1:20001"}')
    assert cli.control_url(None, str(tmp_path)) == "http://127.0.0.1:20001"
    monkeypatch.setenv(cli.URL_ENV, "http://127.0.0.1:20002")
    assert cli.control_url(None, str(tmp_path)) == "http://127.0.0.1:20002"
    assert cli.control_url("http://x:1", str(tmp_path)) == "http://x:1"
