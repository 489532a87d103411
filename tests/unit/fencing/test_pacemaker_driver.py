"""The pacemaker driver with a scripted stonith_admin."""

import pathlib
import subprocess

import pytest

from masakari_ha.conf import CONF
from masakari_ha.fencing import pacemaker, pacemaker_history as ph
from masakari_ha.fencing.base import FencingConfigError, PowerState
from tests.unit.fencing.fakes import ManualClock

DATA = pathlib.Path(__file__).parent / "data"
EMPTY = (DATA / "stonith_admin_history_empty.xml").read_text()
FENCED = (DATA / "crm_mon_remote1_fenced_offline_clean.xml").read_text()
NOW = ph.parse_time("2026-11-21 04:02:00Z")


class Runner:
    def __init__(self, outputs):
        self.outputs = list(outputs)
        self.argvs = []

    def __call__(self, argv, **kwargs):
        self.argvs.append(argv)
        out = self.outputs.pop(0) if len(self.outputs) > 1 else self.outputs[0]
        if isinstance(out, Exception):
            raise out
        if isinstance(out, tuple):
            return subprocess.CompletedProcess(argv, out[0], "", out[1])
        return subprocess.CompletedProcess(argv, 0, out, "")


def _driver(outputs):
    clock = ManualClock(NOW)
    CONF.set_override("pacemaker_history_timeout", 20, "fencing")
    CONF.set_override("pacemaker_poll_interval", 5, "fencing")
    runner = Runner(outputs)
    return pacemaker.PacemakerFencingDriver(CONF, run=runner, clock=clock, sleep=clock.sleep), runner, clock


def test_success_in_history_is_proof():
    driver, runner, _ = _driver([FENCED])
    result = driver.power_off("remote1", "notification n-1")
    assert result.fenced and result.power_state is PowerState.OFF
    assert "pacemaker fenced it: reboot of remote1 success" in result.detail
    assert runner.argvs[0] == ["stonith_admin", "--history", "*", "--verbose", "--output-as=xml"]


def test_waits_until_pacemaker_finishes():
    driver, runner, clock = _driver([EMPTY, EMPTY, FENCED])
    seen = []
    assert driver.power_off("remote1", "n-1", progress=seen.append).fenced
    assert len(runner.argvs) == 3 and clock.sleeps == [5, 5]
    assert seen[0].startswith("waiting up to 20 s")


def test_no_success_within_timeout_fails_with_what_history_shows():
    driver, runner, clock = _driver([EMPTY])
    result = driver.power_off("remote1", "n-1")
    assert not result.fenced and result.power_state is PowerState.UNKNOWN
    assert "no successful pacemaker fencing of remote1 within 20 s" in result.reason
    assert "no entry for remote1" in result.reason
    assert clock.now - NOW <= 20


def test_stonith_admin_failure_is_retried_then_reported():
    driver, _, _ = _driver([(1, "Could not connect to fencer")])
    result = driver.power_off("remote1", "n-1")
    assert not result.fenced and "exit 1" in result.reason and "Could not connect" in result.reason


def test_missing_stonith_admin_fails_at_once():
    driver, runner, _ = _driver([FileNotFoundError()])
    result = driver.power_off("remote1", "n-1")
    assert not result.fenced and "not found" in result.reason and len(runner.argvs) == 1


def test_power_state_and_validate():
    driver, _, _ = _driver([FENCED])
    assert driver.power_state("remote1") is PowerState.OFF
    assert driver.power_state("remote2") is PowerState.UNKNOWN
    CONF.set_override("stonith_admin", "/nonexistent/stonith_admin", "fencing")
    with pytest.raises(FencingConfigError, match="pacemaker-cli-utils"):
        pacemaker.PacemakerFencingDriver(CONF, run=Runner([EMPTY])).validate()
