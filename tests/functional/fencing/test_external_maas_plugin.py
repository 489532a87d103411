"""external/maas as cluster-glue runs it: action in argv, parameters in the environment."""

from tests.functional.fencing.conftest import KEY, WRONG_KEY, assert_no_secret, run_module

PLUGIN = "masakari_ha.fencing.external_maas"


def env_for(sim, **extra):
    env = {"url": sim.url, "apikey": KEY, "hostnames": "node1 node2.maas node3",
           "poll_interval": "0.05", "power_timeout": "3"}
    env.update(extra)
    return env


def test_off_waits_until_maas_reports_off(sim):
    sim.set("node1", off_delay=0.5)
    done = run_module(PLUGIN, ["off", "node1"], env=env_for(sim))
    assert done.returncode == 0, done.stderr
    assert sim.machine("node1").power_state == "off"  # already off when the plugin returned
    assert [(a["op"], a["stop_mode"]) for a in sim.actions()] == [("power_off", "hard")]


def test_off_fails_when_never_off(sim):
    sim.set("node1", off_delay=30)
    done = run_module(PLUGIN, ["off", "node1"], env=env_for(sim, power_timeout="0.5"))
    assert done.returncode == 1 and "FAILED" in done.stderr


def test_off_fails_on_unknown(sim):
    sim.set("node2", query_fault="unknown")
    assert run_module(PLUGIN, ["off", "node2.maas"], env=env_for(sim)).returncode == 1


def test_reset_is_verified_off_then_on(sim):
    done = run_module(PLUGIN, ["reset", "node3"], env=env_for(sim))
    assert done.returncode == 0, done.stderr
    assert [a["op"] for a in sim.actions()] == ["power_off", "power_on"]
    assert sim.machine("node3").power_state == "on"


def test_reset_fails_without_power_on_when_off_fails(sim):
    sim.set("node3", query_fault="error")
    assert run_module(PLUGIN, ["reset", "node3"], env=env_for(sim)).returncode == 1
    assert [a["op"] for a in sim.actions()] == ["power_off"]


def test_on(sim):
    sim.set("node1", power_state="off")
    assert run_module(PLUGIN, ["on", "node1"], env=env_for(sim)).returncode == 0
    assert sim.machine("node1").power_state == "on"


def test_status_checks_the_key(sim):
    assert run_module(PLUGIN, ["status"], env=env_for(sim)).returncode == 0
    done = run_module(PLUGIN, ["status"], env=env_for(sim, apikey=WRONG_KEY))
    assert done.returncode == 1 and "401" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


def test_wrong_key_off_fails_closed(sim):
    done = run_module(PLUGIN, ["off", "node1"], env=env_for(sim, apikey=WRONG_KEY))
    assert done.returncode == 1 and sim.actions() == []
    assert_no_secret(done.stdout, done.stderr)


def test_apikey_file_and_unknown_host(sim, key_file):
    env = env_for(sim, apikey_file=key_file)
    del env["apikey"]
    assert run_module(PLUGIN, ["off", "node2"], env=env).returncode == 0
    done = run_module(PLUGIN, ["off", "node9"], env=env)
    assert done.returncode == 1 and "not in hostnames" in done.stderr
    done = run_module(PLUGIN, ["off", "node9"], env=dict(env, hostnames="node9"))
    assert done.returncode == 1 and "no machine with hostname node9" in done.stderr


def test_info_actions_and_gethosts(sim):
    env = env_for(sim)
    assert run_module(PLUGIN, ["gethosts"], env=env).stdout.split() == ["node1", "node2.maas", "node3"]
    assert "apikey" in run_module(PLUGIN, ["getconfignames"], env=env).stdout.split()
    for action in ("getinfo-devid", "getinfo-devname", "getinfo-devdescr", "getinfo-devurl", "getinfo-xml"):
        done = run_module(PLUGIN, [action], env={})
        assert done.returncode == 0 and done.stdout.strip(), action
    assert run_module(PLUGIN, ["explode"], env=env).returncode == 1
