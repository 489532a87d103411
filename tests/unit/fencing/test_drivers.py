"""load_driver and the noop / maas driver contracts that need no network."""

import pytest

from masakari_ha.conf import CONF
from masakari_ha.fencing import drivers
from masakari_ha.fencing.base import FencingConfigError, PowerState
from masakari_ha.fencing.maas_driver import MaasFencingDriver
from masakari_ha.fencing.metered import MeteredFencingDriver
from masakari_ha.fencing.noop import NO_DRIVER_REASON, NoopFencingDriver
from masakari_ha.fencing.pacemaker import PacemakerFencingDriver


def test_options_and_defaults():
    assert CONF.fencing.driver == "noop" and CONF.fencing.required is True
    assert CONF.maas.power_off_timeout == 90 and CONF.maas.verify_tls is True
    assert [o for o in CONF._groups["maas"]._opts.values() if o["opt"].name == "api_key"][0]["opt"].secret


@pytest.mark.parametrize("name,cls", [("noop", NoopFencingDriver), ("maas", MaasFencingDriver),
                                      ("pacemaker", PacemakerFencingDriver)])
def test_load_driver(name, cls):
    CONF.set_override("driver", name, "fencing")
    driver = drivers.load_driver(CONF)
    assert isinstance(driver, MeteredFencingDriver) and isinstance(driver.inner, cls)
    assert driver.name == name and driver.proves_fencing is driver.inner.proves_fencing


def test_unknown_driver_name():
    class Conf:
        class fencing:
            driver = "ipmi"

    with pytest.raises(FencingConfigError, match="unknown .fencing. driver 'ipmi'"):
        drivers.load_driver(Conf)


def test_noop_never_fences_and_says_so():
    driver = NoopFencingDriver()
    driver.validate()
    seen = []
    result = driver.power_off("node1", "n-1", progress=seen.append)
    assert driver.proves_fencing is False
    assert result.fenced is False and result.reason == NO_DRIVER_REASON
    assert seen and driver.power_state("node1") is PowerState.UNKNOWN


def test_maas_driver_without_url_or_key_is_not_fenced_and_invalid(tmp_path):
    CONF.set_override("driver", "maas", "fencing")
    driver = drivers.load_driver(CONF)
    assert driver.proves_fencing is True
    result = driver.power_off("node1", "n-1")
    assert result.fenced is False and "[maas] url" in result.reason
    with pytest.raises(FencingConfigError):
        driver.validate()
    CONF.set_override("url", "http://127.0.0.1:9/MAAS", "maas")
    result = drivers.load_driver(CONF).power_off("node1", "n-1")
    assert "api_key or api_key_file" in result.reason
    CONF.set_override("api_key_file", str(tmp_path / "nokey"), "maas")
    assert "cannot read" in drivers.load_driver(CONF).power_off("node1", "n-1").reason
    assert drivers.load_driver(CONF).power_state("node1") is PowerState.UNKNOWN
