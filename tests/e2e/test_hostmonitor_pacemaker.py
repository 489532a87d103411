"""masakari-ha-hostmonitor against a real pacemaker cluster with pacemaker-remote nodes.

The monitor runs "on" remote2: inside its network namespace, so ``crm_mon``, ``crm_node -n`` and
``stonith_admin --history`` go through pacemaker_remoted's IPC proxy exactly as on a real
pacemaker-remote compute node, and it POSTs to a real API process (SQLite, noauth) on the bed's
bridge address.  Failures are real: a ``pacemaker_remoted`` killed with SIGKILL, and a real
quorum loss of the cluster's partition (see test_partition_without_quorum_reports_nothing).
"""

import os
import time

import pytest

from tests.e2e.conftest import BRIDGE_IP, CONTROLLER_REPLACED_WITHIN, wait_for

pytestmark = pytest.mark.e2e

INTERVAL = 1  # [host] monitoring_interval for these tests

# How long the cluster may take to fence a node whose link was cut: normally well under 60 s,
# but the cut can freeze pacemaker's controller (conftest.CONTROLLER_REPLACED_WITHIN); the new
# controller then times out starting the node's connection (20 s) before it fences.
PARTITION_FENCE_TIMEOUT = 60 + CONTROLLER_REPLACED_WITHIN + 20


def monitor_config(api) -> str:
    # [DEFAULT] hostname is left unset on purpose: the monitor must learn "remote2" from
    # pacemaker itself (crm_node -n through remoted's proxy).
    return (
        "[DEFAULT]\n"
        "state_path = @STATE@\n"
        "debug = True\n"
        "[api]\n"
        f"endpoint_override = {api.url}\n"
        "[host]\n"
        f"monitoring_interval = {INTERVAL}\n"
        "monitoring_samples = 2\n"
        "fencing_wait_timeout = 60\n"
        "command_timeout = 5\n"
        "[spool]\n"
        "retry_initial_delay = 0.2\n")


def start_monitor(api, monitor_factory, node: str):
    """A host monitor "on" ``node``: in its network namespace for a remote node, in the root
    namespace for the cluster member ctl1."""
    prefix = [] if node == "ctl1" else ["ip", "netns", "exec", f"pcmk-r{node.removeprefix('remote')}"]
    mon = monitor_factory("hostmonitor", monitor_config(api), prefix=prefix)

    def watching():
        if not mon.alive():
            pytest.fail(f"host monitor on {node} exited:\n{mon.output()[-3000:]}", pytrace=False)
        health = mon.health()
        return health and health["status"] == "ok" and health["detail"].get("me") == node

    wait_for(watching, 30, f"the host monitor on {node} to complete a healthy sample")
    return mon


def start_monitor_on_remote2(pcmk, api_factory, monitor_factory):
    api = api_factory(BRIDGE_IP, hosts=pcmk.nodes)
    return api, start_monitor(api, monitor_factory, "remote2")


def assert_fenced_through_agent(pcmk, node: str) -> None:
    """pacemaker fenced ``node`` through the configured STONITH agent and nothing else."""
    if pcmk.fence_agent == "labdummy":
        # Only while building the bed without the project's agent (PCMK_LAB_FENCE=labdummy).
        calls = [c for c in pcmk.labdummy_calls() if c["action"] in ("off", "reboot")]
        assert calls and {c["target"] for c in calls} == {node}, calls
        if os.environ.get("PCMK_LAB_FENCE") != "labdummy":
            pytest.fail("the bed runs fence_labdummy: the project's fence_maas agent is not "
                        "installed (masakari_ha.fencing.agent missing)", pytrace=False)
        return
    offs = pcmk.stonith_actions("power_off")
    assert offs, f"MAAS emulator recorded no power-off: {pcmk.maas_actions()}"
    assert {a["hostname"] for a in offs} == {node}, offs
    assert all(a.get("stop_mode") == "hard" for a in offs), offs


def test_killed_remote_is_fenced_and_reported_once(pcmk, api_factory, monitor_factory):
    """Monitors on remote2, remote3 and the cluster member ctl1 all see remote1 die; each
    reports it, and the API's duplicate detection keeps exactly one notification."""
    api, mon = start_monitor_on_remote2(pcmk, api_factory, monitor_factory)
    peers = [start_monitor(api, monitor_factory, node) for node in ("remote3", "ctl1")]
    killed_at = time.monotonic()
    pcmk.run("kill-remote", "1")

    wait_for(lambda: pcmk.fenced_and_clean("remote1"), 60, "pacemaker to fence remote1")
    assert_fenced_through_agent(pcmk, "remote1")
    wait_for(lambda: api.notifications(hostname="remote1"), 30,
             lambda: f"the monitor's notification for remote1 (monitor output:\n{mon.output()[-3000:]})")

    # Keep watching through pacemaker's first reconnect attempt (reconnect_interval 15 s), when
    # the dead node shows a phantom online="true" while its connection resource is Starting:
    # that must produce neither a STARTED nor a second STOPPED.
    remaining = 22 - (time.monotonic() - killed_at)
    if remaining > 0:
        time.sleep(remaining)

    notes = api.notifications()
    assert len(notes) == 1, notes
    note = notes[0]
    assert note["type"] == "COMPUTE_HOST"
    assert note["hostname"] == "remote1"
    assert note["payload"]["event"] == "STOPPED"
    assert note["payload"]["host_status"] == "NORMAL"
    assert note["payload"]["cluster_status"] == "OFFLINE"
    assert not pcmk.connected("remote1"), "remote1 came back although its remoted is dead"
    for m in [mon, *peers]:
        assert m.alive()
        delivery = m.health()["delivery"]
        assert delivery["spooled"] == 0, delivery          # nothing left to retry
        assert delivery["delivered"] + delivery["refused_by_api"] == 1, delivery  # reported once
    assert sum(m.health()["delivery"]["delivered"] for m in [mon, *peers]) == 1

    # The node really comes back (remoted restarted, connection resource Started): that one is
    # a recovery, reported as STARTED/ONLINE.
    pcmk.run("start-remote", "1")

    def started():
        return [n for n in api.notifications(hostname="remote1") if n["payload"]["event"] == "STARTED"]

    back = wait_for(started, 60, lambda: f"a STARTED notification for remote1 (monitor:\n{mon.output()[-3000:]})")
    assert back[0]["payload"]["cluster_status"] == "ONLINE", back


def test_partition_without_quorum_reports_nothing(pcmk, api_factory, monitor_factory):
    """The cluster's partition loses quorum for real (corosync is told the cluster has two
    votes and this partition holds one: the minority half of a split).  A remote node then dies
    and is fenced; the monitor sees that — its health says it is blocked — but must report
    nothing while quorum is missing.  When quorum returns it reports the node exactly once, which
    proves the silence came from the quorum rule and not from not seeing the failure."""
    api, mon = start_monitor_on_remote2(pcmk, api_factory, monitor_factory)
    pcmk.run("quorum", "lose")
    assert not pcmk.with_quorum(netns="pcmk-r2"), "remote2 should see a partition without quorum"

    pcmk.run("kill-remote", "3")
    wait_for(lambda: pcmk.fenced_and_clean("remote3"), 60, "pacemaker to fence remote3")

    def blocked_on_quorum():
        health = mon.health() or {}
        return health.get("status") == "blocked" and "quorum" in str(health["detail"].get("reason"))

    wait_for(blocked_on_quorum, 15, "the monitor to report itself blocked by the missing quorum")
    time.sleep(6 * INTERVAL)  # several more samples with remote3 dead and fenced
    assert api.notifications() == [], "a monitor in a partition without quorum reported something"

    pcmk.run("quorum", "regain")
    wait_for(lambda: api.notifications(hostname="remote3"), 30,
             lambda: f"the notification for remote3 once quorum is back (monitor:\n{mon.output()[-3000:]})")
    time.sleep(3 * INTERVAL)
    notes = api.notifications()
    assert len(notes) == 1, notes
    assert notes[0]["hostname"] == "remote3"
    assert notes[0]["payload"]["event"] == "STOPPED"
    assert notes[0]["payload"]["host_status"] == "NORMAL"


def test_isolated_remote_node_reports_nothing_even_after_the_link_returns(pcmk, api_factory,
                                                                            monitor_factory):
    """remote2's link is cut: its monitor cannot reach the cluster (crm_mon through remoted's
    proxy blocks), while the cluster fences remote2. The monitor must neither report its peers
    as failed nor spool anything to send once the link is back — an isolated node knows nothing."""
    api, mon = start_monitor_on_remote2(pcmk, api_factory, monitor_factory)
    pcmk.run("partition", "2")

    def degraded():
        return (mon.health() or {}).get("status") == "degraded"

    wait_for(degraded, 20, lambda: f"the cut-off monitor to mark itself degraded (health {mon.health()})")
    wait_for(lambda: pcmk.fenced_and_clean("remote2"), PARTITION_FENCE_TIMEOUT,
             "the cluster to fence the isolated remote2")
    assert {a["hostname"] for a in pcmk.stonith_actions("power_off")} == {"remote2"}
    assert mon.alive()

    pcmk.run("heal", "2")
    wait_for(lambda: (mon.health() or {}).get("status") == "ok", 20, "the monitor to see the cluster again")
    time.sleep(3 * INTERVAL)
    assert api.notifications() == [], "an isolated monitor reported something"
    delivery = mon.health()["delivery"]
    assert delivery["spooled"] == 0 and delivery["delivered"] == 0, delivery
