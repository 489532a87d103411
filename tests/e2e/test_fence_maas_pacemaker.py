"""The project's MAAS fencing driven by a real pacemaker: stonith:fence_maas and stonith:external/maas.

pacemaker-fenced runs the agents installed by tools/install-fence-maas.sh against the bed's own
MAAS emulator; a remote node's pacemaker_remoted is killed and the test checks what really
happened: MAAS received a hard power-off of exactly that machine, and pacemaker considers the node
fenced (offline, clean, a successful fence event) only once MAAS reports the machine off.
"""

import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import unavailable, wait_for

pytestmark = pytest.mark.e2e

AGENTS = ["fence_maas", "external/maas"]


def require_agent(agent: str) -> None:
    if agent == "external/maas":
        if not Path("/usr/lib/stonith/plugins/external").is_dir() or not shutil.which("stonith"):
            unavailable("stonith:external/maas needs cluster-glue (Debian 12 ships 1.0.12; "
                        "tools/pacemaker-lab.sh installs it) — it is not installed here")
        if not Path("/usr/lib/stonith/plugins/external/maas").exists():
            pytest.fail("cluster-glue is present but the external/maas plugin was not installed "
                        "by tools/install-fence-maas.sh", pytrace=False)
    elif not Path("/usr/sbin/fence_maas").exists():
        pytest.fail("/usr/sbin/fence_maas was not installed by the bed", pytrace=False)


def power_offs(pcmk) -> list[dict]:
    return pcmk.stonith_actions("power_off")


@pytest.mark.parametrize("agent", AGENTS)
def test_killed_remote_is_powered_off_through_maas(pcmk, agent):
    require_agent(agent)
    pcmk.use_fence_agent(agent)
    pcmk.maas_reset()
    # A slow BMC: the machine reports "off" only 3 s after the power-off request, so a fence
    # agent that claimed success on the request alone would let pacemaker mark remote2 clean
    # before the machine is off.
    pcmk.maas_machine("remote2", off_delay=3.0)
    killed = time.time()
    pcmk.run("kill-remote", "2")

    wait_for(lambda: pcmk.fenced_and_clean("remote2"), 60, f"pacemaker to fence remote2 via {agent}")
    clean_at = time.time()

    offs = power_offs(pcmk)
    assert [a["hostname"] for a in offs] == ["remote2"], offs
    assert offs[0]["stop_mode"] == "hard", offs[0]
    assert offs[0]["result"] == "accepted" and offs[0]["state_before"] == "on", offs[0]
    assert offs[0]["time"] >= killed - 1
    # Success was reported only after MAAS could say "off": not before the BMC's 3 s.
    assert clean_at - offs[0]["time"] >= 3.0, (clean_at, offs[0])
    events = pcmk.fence_events("remote2")
    assert any(e["status"] == "success" and e["delegate"] == "ctl1" for e in events), events
    # nothing else was touched
    assert {a["hostname"] for a in pcmk.stonith_actions()} == {"remote2"}
    for other in ("remote1", "remote3"):
        assert pcmk.maas_machine(other)["power_state"] == "on"
        assert pcmk.connected(other)


def test_fencing_fails_closed_while_maas_cannot_confirm_off(pcmk):
    """MAAS accepts the power-off but the BMC answers 'unknown' to every power query: the agent
    must fail, so pacemaker keeps the node unclean (no recovery may start) and retries; once the
    BMC answers again the next attempt succeeds."""
    require_agent("fence_maas")
    pcmk.use_fence_agent("fence_maas")
    pcmk.maas_reset()
    pcmk.maas_machine("remote3", query_fault="unknown")
    pcmk.run("kill-remote", "3")

    def failed_attempt():
        return any(e["status"] == "failed" for e in pcmk.fence_events("remote3"))

    wait_for(failed_attempt, 90, "a failed fencing attempt of remote3 while MAAS answers 'unknown'")
    node = pcmk.node("remote3")
    assert node["unclean"] == "true" and node["online"] == "false", node
    assert not any(e["status"] == "success" for e in pcmk.fence_events("remote3"))
    assert power_offs(pcmk) and {a["hostname"] for a in power_offs(pcmk)} == {"remote3"}

    pcmk.maas_machine("remote3", query_fault=None)
    wait_for(lambda: pcmk.fenced_and_clean("remote3"), 90, "remote3 fenced once MAAS confirms off")
