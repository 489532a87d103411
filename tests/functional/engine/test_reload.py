"""SIGHUP reload of masakari-ha-engine: mutable options change in place, the others stay."""

import os
import signal
import subprocess
import sys
import threading
import time

from masakari_ha.conf import CONF
from masakari_ha.db import migration
from masakari_ha.db import session as db_session
from masakari_ha.engine import limits
from masakari_ha.engine import reload as config_reload


def _conf_text(state_path, max_evacuations, lease, interval="0.25"):
    return f"""[DEFAULT]
state_path = {state_path}
transport_url = fake://
[database]
connection = {db_session.database_url()}
[engine]
max_concurrent_evacuations = {max_evacuations}
lease_duration = {lease}
evacuation_poll_interval = {interval}
[nova]
auth_type = none
endpoint_override = http://127.0.0.1:9/v2.1
"""


def test_reload_changes_mutable_options_and_keeps_the_others(tmp_path, caplog):
    path = tmp_path / "engine.conf"
    path.write_text(_conf_text(tmp_path / "state", 5, 30))
    CONF(["--config-file", str(path)], project="masakari_ha", default_config_files=[])
    assert CONF.engine.max_concurrent_evacuations == 5

    path.write_text(_conf_text(tmp_path / "state", 7, 90, interval="0.5"))
    caplog.set_level("INFO")
    changed = config_reload.reload_config(CONF, "e1")

    assert changed == ["[engine] evacuation_poll_interval: 0.25 -> 0.5",
                       "[engine] max_concurrent_evacuations: 5 -> 7"]
    assert CONF.engine.max_concurrent_evacuations == 7
    assert CONF.engine.evacuation_poll_interval == 0.5
    assert CONF.engine.lease_duration == 30  # fixed at start: a restart is needed
    assert "configuration reloaded; changed: [engine] evacuation_poll_interval" in caplog.text


def test_broken_file_keeps_the_previous_values(tmp_path, caplog):
    path = tmp_path / "engine.conf"
    path.write_text(_conf_text(tmp_path / "state", 5, 30))
    CONF(["--config-file", str(path)], project="masakari_ha", default_config_files=[])
    path.write_text("[engine\nmax_concurrent_evacuations = 9\n")
    assert config_reload.reload_config(CONF, "e1") == []
    assert CONF.engine.max_concurrent_evacuations == 5
    assert "configuration reload failed, previous values kept" in caplog.text


def test_waiting_evacuation_gets_its_slot_when_the_bound_is_raised(tmp_path):
    path = tmp_path / "engine.conf"
    path.write_text(_conf_text(tmp_path / "state", 1, 30))
    CONF(["--config-file", str(path)], project="masakari_ha", default_config_files=[])
    limits.reset()
    got = threading.Event()

    def second():
        with limits.evacuation_slot(None):
            got.set()

    with limits.evacuation_slot(None):
        waiter = threading.Thread(target=second, daemon=True)
        waiter.start()
        assert not got.wait(0.3)  # bound 1, held by us
        path.write_text(_conf_text(tmp_path / "state", 2, 30))
        config_reload.reload_config(CONF)
        assert got.wait(2), "the raised bound was not applied to the waiting evacuation"
    waiter.join(2)
    assert limits.in_use()["engine"] == 0
    limits.reset()


def test_sighup_reloads_a_running_engine(tmp_path):
    state = tmp_path / "state"
    CONF.set_override("state_path", str(state))
    migration.upgrade()
    path = tmp_path / "engine.conf"
    path.write_text(_conf_text(state, 5, 30))
    log_path = tmp_path / "engine.log"
    with open(log_path, "w") as log:
        child = subprocess.Popen([sys.executable, "-m", "masakari_ha.cmd.engine", "--config-file", str(path)],
                                 stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_text(log_path, "listening on topic", child)
        path.write_text(_conf_text(state, 11, 45))
        os.kill(child.pid, signal.SIGHUP)
        text = _wait_for_text(log_path, "configuration reloaded", child)
        assert "changed: [engine] max_concurrent_evacuations: 5 -> 11" in text
        assert child.poll() is None, "SIGHUP must not stop the engine"
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)


def _wait_for_text(path, needle, child, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text()
        if needle in text:
            return text
        if child.poll() is not None:
            raise AssertionError(f"engine exited ({child.returncode}) before logging {needle!r}:\n{text}")
        time.sleep(0.1)
    raise AssertionError(f"engine did not log {needle!r} within {timeout}s:\n{path.read_text()}")
