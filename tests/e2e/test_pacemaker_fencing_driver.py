"""The engine's ``[fencing] driver = pacemaker`` reading a real pacemaker's fencing history.

The bed fences a killed pacemaker-remote node with stonith:fence_maas through its MAAS emulator;
the driver must accept that success (real ``stonith_admin --history`` output) as proof for that
node, and must refuse a node pacemaker did not fence, with the reason.
"""

import pytest

from masakari_ha.conf import CONF
from masakari_ha.fencing import drivers
from masakari_ha.fencing.base import PowerState
from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.e2e


def test_pacemaker_driver_accepts_only_a_real_successful_fencing(pcmk):
    if pcmk.fence_agent == "labdummy":
        pcmk.use_fence_agent("fence_maas")
    CONF.set_override("driver", "pacemaker", "fencing")
    CONF.set_override("pacemaker_history_timeout", 60, "fencing")
    CONF.set_override("pacemaker_poll_interval", 0.5, "fencing")
    driver = drivers.load_driver(CONF)
    driver.validate()

    pcmk.run("kill-remote", "1")
    progress = []
    result = driver.power_off("remote1", "e2e notification", progress=progress.append)

    assert result.fenced, result.reason
    assert result.power_state is PowerState.OFF
    assert "pacemaker fenced it: " in result.detail and "of remote1 success" in result.detail
    assert progress == list(result.steps)
    wait_for(lambda: pcmk.fenced_and_clean("remote1"), 60, "crm_mon to show remote1 fenced")
    assert driver.power_state("remote1") is PowerState.OFF

    CONF.set_override("pacemaker_history_timeout", 1, "fencing")
    other = drivers.load_driver(CONF).power_off("remote2", "e2e notification")
    assert not other.fenced
    assert "no successful pacemaker fencing of remote2" in other.reason
