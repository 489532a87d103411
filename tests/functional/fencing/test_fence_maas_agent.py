"""fence_maas as pacemaker runs it: a subprocess, options on stdin or as flags, exit codes."""

import pytest

from tests.functional.fencing.conftest import KEY, WRONG_KEY, assert_no_secret, run_module

AGENT = "masakari_ha.fencing.agent"


def stdin_for(sim, key_file, **extra):
    lines = [f"url={sim.url}", f"api_key_file={key_file}", "poll_interval=0.05", "power_timeout=3"]
    lines += [f"{k}={v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def test_pacemaker_reboot_of_a_remote_node(sim, key_file):
    """Exactly what pacemaker 2.1.5 writes for a dead remote node: action, port, nodename."""
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="reboot", port="node1",
                                             nodename="node1"))
    assert done.returncode == 0, done.stderr
    ops = [(a["op"], a["hostname"], a["stop_mode"]) for a in sim.actions()]
    assert ops == [("power_off", "node1", "hard"), ("power_on", "node1", None)]
    assert "Success: node1 is powered off" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


def test_off_verified(sim, key_file):
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="off", plug="node2"))
    assert done.returncode == 0, done.stderr
    assert sim.machine("node2").power_state == "off"
    assert [a["op"] for a in sim.actions()] == ["power_off"]


def test_off_not_confirmed_fails(sim, key_file):
    sim.set("node1", query_fault="unknown")
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="off", port="node1"))
    assert done.returncode == 1
    assert "NOT confirmed off" in done.stderr and "'unknown'" in done.stderr


def test_off_timeout_fails(sim, key_file):
    sim.set("node1", off_delay=30)
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="off", port="node1",
                                             power_timeout="0.5"))
    assert done.returncode == 1 and "not reported off within 0.5 s" in done.stderr


def test_reboot_fails_when_off_fails(sim, key_file):
    sim.set("node1", power_off_fault="503")
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="reboot", port="node1"))
    assert done.returncode == 1
    assert [a["op"] for a in sim.actions()] == ["power_off"]  # never powered on


def test_reboot_succeeds_when_only_on_fails(sim, key_file):
    sim.set("node1", power_on_fault="409")
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="reboot", port="node1"))
    assert done.returncode == 0 and "did not come back on" in done.stderr


@pytest.mark.parametrize("state,code,text", [("on", 0, "Status: ON"), ("off", 2, "Status: OFF")])
def test_status_exit_codes(sim, key_file, state, code, text):
    sim.set("node3", power_state=state)
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="status", nodename="node3"))
    assert done.returncode == code and text in done.stdout


def test_status_unknown_is_1(sim, key_file):
    sim.set("node3", query_fault="unknown")
    assert run_module(AGENT, stdin=stdin_for(sim, key_file, action="status", port="node3")).returncode == 1


def test_cli_flags(sim, key_file):
    done = run_module(AGENT, ["-o", "off", "-n", "node2.maas", "--url", sim.url,
                              "--api-key-file", key_file, "--poll-interval", "0.05"])
    assert done.returncode == 0, done.stderr
    assert sim.actions()[0]["hostname"] == "node2"
    done = run_module(AGENT, ["--action=status", "--port", "node2", f"--url={sim.url}",
                              "--api-key-file", key_file])
    assert done.returncode == 2


def test_on(sim, key_file):
    sim.set("node1", power_state="off")
    done = run_module(AGENT, ["-o", "on", "-n", "node1", "--url", sim.url, "--api-key-file", key_file,
                              "--poll-interval", "0.05"])
    assert done.returncode == 0 and sim.machine("node1").power_state == "on"


def test_monitor_and_list(sim, key_file):
    assert run_module(AGENT, stdin=stdin_for(sim, key_file, action="monitor")).returncode == 0
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="list"))
    assert done.returncode == 0 and done.stdout.split() == ["node1", "node2", "node3"]
    done = run_module(AGENT, stdin="action=list\npcmk_host_list=node1 node3\n")
    assert done.returncode == 0 and done.stdout.split() == ["node1", "node3"]


def test_monitor_fails_for_unknown_hostname(sim, key_file):
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="monitor", hostnames="node1 node7"))
    assert done.returncode == 1 and "node7" in done.stderr


def test_wrong_key_fails_closed_and_is_never_printed(sim, tmp_path):
    done = run_module(AGENT, stdin=f"action=off\nport=node1\nurl={sim.url}\napi_key={WRONG_KEY}\n")
    assert done.returncode == 1 and "401" in done.stderr
    assert sim.actions() == [] and sim.machine("node1").power_state == "on"
    assert_no_secret(done.stdout, done.stderr)
    done = run_module(AGENT, stdin=f"action=monitor\nurl={sim.url}\napi_key={WRONG_KEY}\n")
    assert done.returncode == 1
    assert_no_secret(done.stdout, done.stderr)


def test_key_on_stdin_works_and_verbose_does_not_leak(sim):
    done = run_module(AGENT, stdin=f"action=off\nport=node1\nurl={sim.url}\napi_key={KEY}\n"
                                   "verbose=1\npoll_interval=0.05\n")
    assert done.returncode == 0, done.stderr
    assert "DEBUG" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


def test_key_as_flag_warns_about_ps(sim):
    done = run_module(AGENT, ["-o", "status", "-n", "node1", "--url", sim.url, "--api-key", KEY])
    assert done.returncode == 0
    assert "visible in the process list" in done.stderr


def test_host_outside_hostnames_is_refused(sim, key_file):
    done = run_module(AGENT, stdin=stdin_for(sim, key_file, action="off", port="node3",
                                             hostnames="node1 node2"))
    assert done.returncode == 1 and "not one of this device's hostnames" in done.stderr
    assert sim.actions() == []


@pytest.mark.parametrize("stdin,text", [
    ("action=off\nurl=http://127.0.0.1:9/MAAS\napi_key=a:b:c\n", "needs the target host"),
    ("action=off\nport=node1\napi_key=a:b:c\n", "url is required"),
    ("action=off\nport=node1\nurl=http://127.0.0.1:9/MAAS\n", "api_key_file"),
    ("action=off\nport=node1\nurl=http://127.0.0.1:9/MAAS\napi_key=broken\n", "malformed"),
    ("action=explode\n", "unknown action"),
    ("action=off\nport=node1\nurl=maas:5240\napi_key=a:b:c\n", "http://"),
])
def test_bad_options_are_one_line_errors(stdin, text):
    done = run_module(AGENT, stdin=stdin)
    assert done.returncode == 1 and text in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_maas_fails(key_file):
    done = run_module(AGENT, stdin=f"action=status\nport=node1\nurl=http://127.0.0.1:9/MAAS\n"
                                   f"api_key_file={key_file}\n")
    assert done.returncode == 1 and "cannot reach MAAS" in done.stderr


def test_validate_all(sim, key_file):
    assert run_module(AGENT, stdin=stdin_for(sim, key_file, action="validate-all")).returncode == 0
    done = run_module(AGENT, stdin=f"action=validate-all\nurl={sim.url}\napi_key_file=/nonexistent\n")
    assert done.returncode == 1 and "cannot read" in done.stderr


def test_metadata_and_help():
    done = run_module(AGENT, ["-o", "metadata"])
    assert done.returncode == 0 and done.stdout.startswith("<?xml")
    assert run_module(AGENT, stdin="action=metadata\n").stdout == done.stdout
    assert run_module(AGENT, ["--help"]).returncode == 0
