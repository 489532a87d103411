"""The engine's MAAS fencing driver, configured through oslo.config, against the emulator."""

import logging

import pytest

from masakari_ha.conf import CONF
from masakari_ha.fencing import drivers
from masakari_ha.fencing.base import FencingConfigError, PowerState
from tests.functional.fencing.conftest import KEY, WRONG_KEY, assert_no_secret


@pytest.fixture
def configure(sim):
    def _configure(**maas_opts):
        CONF.set_override("driver", "maas", "fencing")
        CONF.set_override("url", sim.url, "maas")
        CONF.set_override("poll_interval", 0.05, "maas")
        CONF.set_override("power_off_timeout", 3, "maas")
        CONF.set_override("request_timeout", 5, "maas")
        for name, value in maas_opts.items():
            CONF.set_override(name, value, "maas")
        return drivers.load_driver(CONF)
    return _configure


def test_fences_with_progress_and_decision_logs(sim, configure, caplog):
    caplog.set_level(logging.DEBUG)
    driver = configure(api_key=KEY)
    driver.validate()
    progress = []
    result = driver.power_off("node1", "notification 5e1c", progress=progress.append)
    assert result.fenced and result.power_state is PowerState.OFF
    assert progress == list(result.steps) and len(progress) >= 3
    assert sim.actions("node1")[0]["comment"] == "masakari_ha fencing: notification 5e1c"
    assert "fencing node1 (notification 5e1c): fenced, MAAS reports off" in caplog.text
    assert driver.power_state("node1") is PowerState.OFF
    assert_no_secret(caplog.text)


def test_key_from_file(sim, configure, key_file):
    driver = configure(api_key_file=key_file)
    assert driver.power_off("node2", "n-2").fenced


def test_unknown_power_state_blocks_with_reason(sim, configure, caplog):
    sim.set("node1", query_fault="unknown")
    result = configure(api_key=KEY).power_off("node1", "n-3")
    assert not result.fenced
    assert "MAAS reports power state 'unknown'" in result.reason
    assert "NOT fenced" in caplog.text


def test_wrong_key_fails_validation_and_fencing(sim, configure, caplog):
    caplog.set_level(logging.DEBUG)
    driver = configure(api_key=WRONG_KEY)
    with pytest.raises(FencingConfigError, match="401"):
        driver.validate()
    result = driver.power_off("node1", "n-4")
    assert not result.fenced and sim.actions() == []
    assert driver.power_state("node1") is PowerState.UNKNOWN
    assert_no_secret(caplog.text, result.reason, result.detail)
