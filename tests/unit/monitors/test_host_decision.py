"""Host monitor decisions on sequences of real crm_mon samples (pure, no I/O)."""

import datetime

from monitors.host import crmmon, decision
from monitors.host.decision import NodeRecord, Settings

HEALTHY = "crm_mon_healthy.xml"
PENDING = "crm_mon_remote1_offline_unclean_fencing_pending.xml"
FENCED = "crm_mon_remote1_killed_fenced_offline.xml"
FENCED_LATER = "crm_mon_remote1_fenced_offline_clean.xml"

# Epoch seconds around the samples' own timestamps (fence success at 04:00:31Z).
T_BEFORE_KILL = datetime.datetime(2026, 11, 21, 4, 0, 10, tzinfo=datetime.timezone.utc).timestamp()


def st(xml, name, **edits):
    text = xml(name)
    for old, new in edits.items():
        text = text.replace(old, new)
    return crmmon.parse_crm_mon(text)


def _reconnecting(xml, role):
    """The fenced remote1 shown online="true" while pacemaker retries its connection, the
    connection resource in ``role``."""
    text = xml(FENCED_LATER)
    text = text.replace('<node name="remote1" id="remote1" online="false"',
                        '<node name="remote1" id="remote1" online="true"')
    start = text.index('<resource id="remote1"')
    end = text.index(">", start)
    text = text[:start] + text[start:end].replace('role="Stopped"', f'role="{role}"') + text[end:]
    return crmmon.parse_crm_mon(text)


def phantom(xml):
    return _reconnecting(xml, "Starting")


def sent(decisions):
    return [d.notification["notification"] for d in decisions if d.notification]


def run(seq, me="remote2", settings=Settings(), records=None, start=T_BEFORE_KILL, step=5,
        times=None):
    """Evaluate the samples in order, ``step`` seconds apart from ``start`` or at ``times``."""
    records = {} if records is None else records
    out = []
    for i, status in enumerate(seq):
        when = times[i] if times is not None else start + i * step
        out.append(decision.evaluate(status, me, records, when, settings))
    return records, out


def test_first_sight_online_is_a_baseline_only(xml):
    records, out = run([st(xml, HEALTHY)])
    assert sent(out[0]) == []
    assert {n: r.reported for n, r in records.items()} == \
        {"ctl1": "online", "remote1": "online", "remote3": "online"}   # never itself


def test_kill_pending_then_fenced_gives_one_stopped_normal(xml):
    records, out = run([st(xml, HEALTHY), st(xml, PENDING), st(xml, FENCED_LATER),
                        st(xml, FENCED_LATER)])
    assert sent(out[1]) == []            # fencing pending: wait
    [n] = sent(out[2])
    assert n["hostname"] == "remote1" and n["type"] == "COMPUTE_HOST"
    assert n["payload"] == {"event": "STOPPED", "cluster_status": "OFFLINE", "host_status": "NORMAL"}
    # generated_time is when the outage was first observed (the PENDING sample), not now
    assert n["generated_time"] == datetime.datetime.fromtimestamp(
        T_BEFORE_KILL + 5, datetime.timezone.utc).replace(tzinfo=None).isoformat(
        timespec="microseconds")
    assert sent(out[3]) == []


def test_old_fence_success_before_last_online_does_not_count(xml):
    # PENDING carries a success from 03:58:47 of an earlier outage: not this one.
    settings = Settings(fencing_wait_timeout=0)
    records, out = run([st(xml, HEALTHY), st(xml, PENDING)], settings=settings)
    [n] = sent(out[1])
    assert n["payload"]["host_status"] == "UNKNOWN"


def test_unknown_is_upgraded_to_normal_when_fencing_succeeds_later(xml):
    settings = Settings(fencing_wait_timeout=10)
    records, out = run([st(xml, HEALTHY), st(xml, PENDING), st(xml, PENDING),
                        st(xml, PENDING), st(xml, FENCED_LATER), st(xml, FENCED_LATER)],
                       settings=settings)
    flat = [(i, n["payload"]["host_status"]) for i, o in enumerate(out) for n in sent(o)]
    assert flat == [(3, "UNKNOWN"), (4, "NORMAL")]


def test_phantom_online_during_reconnect_is_not_a_recovery(xml):
    records, out = run([st(xml, HEALTHY), st(xml, FENCED_LATER), phantom(xml),
                        st(xml, FENCED_LATER), phantom(xml), st(xml, HEALTHY)])
    events = [(i, n["payload"]["event"]) for i, o in enumerate(out) for n in sent(o)]
    assert events == [(1, "STOPPED"), (5, "STARTED")]
    assert sent(out[5])[0]["payload"] == {"event": "STARTED", "cluster_status": "ONLINE",
                                          "host_status": "NORMAL"}


def test_debounce_needs_consecutive_identical_samples(xml):
    settings = Settings(monitoring_samples=3)
    seq = [st(xml, HEALTHY)] * 3 + [st(xml, FENCED_LATER), st(xml, HEALTHY)] + \
        [st(xml, FENCED_LATER)] * 3
    records, out = run(seq, settings=settings)
    events = [(i, n["hostname"]) for i, o in enumerate(out) for n in sent(o)]
    assert events == [(7, "remote1")]


def test_no_quorum_reports_nobody_and_learns_nothing(xml):
    records, out = run([st(xml, HEALTHY)])
    noq = st(xml, FENCED_LATER, **{'with_quorum="true"': 'with_quorum="false"'})
    before = {n: r.to_dict() for n, r in records.items()}
    _, out = run([noq, noq], records=records)
    assert all(sent(o) == [] for o in out)
    assert "quorum" in out[0][0].reason
    assert {n: r.to_dict() for n, r in records.items()} == before


def test_own_node_offline_or_missing_reports_nobody(xml):
    _, out = run([st(xml, FENCED_LATER)], me="remote1")
    assert sent(out[0]) == [] and "not online" in out[0][0].reason
    _, out = run([st(xml, FENCED_LATER)], me="compute9")
    assert sent(out[0]) == [] and "not in the cluster" in out[0][0].reason


def test_never_reports_itself(xml):
    records, out = run([st(xml, HEALTHY), st(xml, FENCED_LATER)], me="remote1",
                       settings=Settings())
    assert "remote1" not in records


def test_hosts_already_offline_at_first_start_are_reported(xml):
    records, out = run([st(xml, FENCED_LATER)], me="ctl1")
    [n] = sent(out[0])
    assert n["hostname"] == "remote1" and n["payload"]["host_status"] == "NORMAL"


def test_first_start_offline_with_pending_fence_is_not_normal(xml):
    records, out = run([st(xml, PENDING)], me="ctl1", settings=Settings(fencing_wait_timeout=0))
    [n] = sent(out[0])
    assert n["payload"]["host_status"] == "UNKNOWN"


def test_state_survives_restart_through_records(xml):
    records, _ = run([st(xml, HEALTHY)])
    saved = {n: NodeRecord.from_dict(r.to_dict()) for n, r in records.items()}
    _, out = run([st(xml, FENCED_LATER)], records=saved, start=T_BEFORE_KILL + 60)
    [n] = sent(out[0])
    assert n["hostname"] == "remote1" and n["payload"]["host_status"] == "NORMAL"


def test_trust_clean_offline_without_fencing(xml):
    no_history = st(xml, FENCED_LATER)
    no_history = crmmon.ClusterStatus(no_history.dc_present, no_history.with_quorum,
                                      no_history.nodes, ())
    _, out = run([st(xml, HEALTHY), no_history])
    assert sent(out[1])[0]["payload"]["host_status"] == "UNKNOWN"
    _, out = run([st(xml, HEALTHY), no_history],
                 settings=Settings(trust_clean_offline_without_fencing=True))
    assert sent(out[1])[0]["payload"]["host_status"] == "NORMAL"


def test_trust_clean_never_trusts_unclean(xml):
    _, out = run([st(xml, HEALTHY), st(xml, PENDING)],
                 settings=Settings(trust_clean_offline_without_fencing=True, fencing_wait_timeout=0))
    assert sent(out[1])[0]["payload"]["host_status"] == "UNKNOWN"


def test_restrict_to_remotes_ignores_members(xml):
    records, _ = run([st(xml, HEALTHY)], settings=Settings(restrict_to_remotes=True))
    assert "ctl1" not in records


def test_extra_fence_history_from_stonith_admin_confirms(xml):
    no_history = st(xml, FENCED_LATER)
    no_history = crmmon.ClusterStatus(no_history.dc_present, no_history.with_quorum,
                                      no_history.nodes, ())
    records, _ = run([st(xml, HEALTHY)])
    assert decision.needs_fence_history(no_history, "remote2", records, Settings()) == ["remote1"]
    extra = {"remote1": crmmon.parse_fence_history(xml("stonith_admin_history_remote1.xml"))}
    # stonith_admin says 04:30:22Z; last online sample must be before that
    records["remote1"].last_seen_online = extra["remote1"][0].completed.timestamp() - 30
    out = decision.evaluate(no_history, "remote2", records,
                            extra["remote1"][0].completed.timestamp() + 5, Settings(), extra)
    assert sent(out)[0]["payload"]["host_status"] == "NORMAL"


def test_fence_time_second_resolution():
    ev = crmmon.FenceEvent("n", "reboot", "success",
                           datetime.datetime(2026, 1, 1, 0, 0, 5, tzinfo=datetime.timezone.utc))
    t = ev.completed.timestamp()
    assert decision.fenced_after([ev], "n", t + 0.9)
    assert not decision.fenced_after([ev], "n", t + 1.0)
    assert not decision.fenced_after([ev], "other", t - 10)


def test_nodes_removed_from_the_cluster_are_forgotten_not_reported(xml):
    records, _ = run([st(xml, HEALTHY)])
    records["old-node"] = NodeRecord(reported="online", last_seen_online=1.0)
    _, out = run([st(xml, HEALTHY)], records=records)
    assert "old-node" not in records and sent(out[0]) == []
    assert any("forgotten" in d.reason for d in out[0])


def test_transition_is_logged_once_per_episode(xml):
    records, out = run([st(xml, HEALTHY), st(xml, FENCED_LATER), phantom(xml), phantom(xml),
                        phantom(xml), st(xml, FENCED_LATER), phantom(xml)])
    noted = [i for i, o in enumerate(out) for d in o if "in transition" in d.reason]
    assert noted == [2, 6]


def phantom_started(xml):
    """What pacemaker 2.1.5 shows for 2-3 s at the end of a reconnect attempt to a dead remote
    node: online="true" with the connection resource already role="Started"."""
    return _reconnecting(xml, "Started")


CONFIRM = Settings(recovery_confirm_time=10)


def test_brief_phantom_started_of_a_dead_node_is_not_a_recovery(xml):
    # healthy, killed+fenced (reported), then a 2-sample phantom "online, Started", offline again
    seq = [st(xml, HEALTHY), st(xml, FENCED_LATER), phantom_started(xml), phantom_started(xml),
           st(xml, FENCED_LATER), st(xml, FENCED_LATER)]
    records, out = run(seq, settings=CONFIRM, step=2)
    assert [n["payload"]["event"] for d in out for n in sent(d)] == ["STOPPED"]
    assert "not yet reported as back" in " ".join(d.reason for d in out[3])
    assert records["remote1"].reported == "offline"


def test_node_online_for_the_confirmation_time_is_reported_back(xml):
    seq = [st(xml, HEALTHY), st(xml, FENCED_LATER)] + [st(xml, HEALTHY)] * 4
    records, out = run(seq, settings=CONFIRM, step=5)
    events = [(i, n["payload"]["event"]) for i, d in enumerate(out) for n in sent(d)]
    # online from sample 2 (t=10); confirmed at sample 4 (10 s later), not before
    assert events == [(1, "STOPPED"), (4, "STARTED")]


def test_phantom_does_not_hide_a_later_fencing_success(xml):
    """UNKNOWN first (nothing fenced yet); a phantom online sample must not move the node's
    'last seen online' past the fence that follows, or NORMAL would never be sent."""
    unfenced = st(xml, FENCED_LATER, **{'status="success"': 'status="failed"'})
    seq = [st(xml, HEALTHY), unfenced, phantom_started(xml), unfenced]
    # healthy at 04:00:25, the fence succeeds at 04:00:31, the phantom is seen at 04:00:35
    records, out = run(seq, settings=CONFIRM, start=T_BEFORE_KILL + 15, step=5)
    assert [n["payload"]["host_status"] for d in out for n in sent(d)] == ["UNKNOWN"]
    # the fencing success in the sample happened after the last confirmed-online sample
    later = decision.evaluate(st(xml, FENCED_LATER), "remote2", records,
                              T_BEFORE_KILL + 60, CONFIRM)
    assert [n["payload"]["host_status"] for n in sent(later)] == ["NORMAL"]


def kinds(out):
    return [[(d.node, d.kind) for d in o] for o in out]


def test_every_decision_has_its_kind(xml):
    """The kinds are the host monitor's decisions metric: a notification always comes with a
    reported_* kind, waiting/transition/baseline decisions with theirs."""
    settings = Settings(fencing_wait_timeout=10, recovery_confirm_time=10)
    records, out = run([st(xml, HEALTHY), st(xml, PENDING), st(xml, PENDING), st(xml, PENDING),
                        st(xml, FENCED_LATER), phantom(xml), st(xml, HEALTHY),
                        st(xml, HEALTHY), st(xml, HEALTHY)], settings=settings)
    got = kinds(out)
    assert got[0] == [("ctl1", decision.BASELINE), ("remote1", decision.BASELINE),
                      ("remote3", decision.BASELINE)]
    assert got[1] == [("remote1", decision.FENCING_WAIT)]
    assert got[3] == [("remote1", decision.REPORTED_STOPPED_UNKNOWN)]
    assert got[4] == [("remote1", decision.REPORTED_STOPPED_NORMAL)]
    assert got[5] == [("remote1", decision.IN_TRANSITION)]
    assert got[6] == [("remote1", decision.RECOVERY_PENDING)]
    assert got[8] == [("remote1", decision.REPORTED_STARTED)]
    for o in out:
        for d in o:
            assert (d.notification is not None) == d.kind.startswith("reported_"), d
    blocked = st(xml, HEALTHY, **{'with_quorum="true"': 'with_quorum="false"'})
    assert kinds([decision.evaluate(blocked, "remote2", {}, 0, Settings())]) == \
        [[("remote2", decision.BLOCKED)]]


# Two samples a second apart, as in the field bed; no fencing wait, so the time span alone decides.
SPAN = Settings(monitoring_samples=2, monitoring_interval=1, fencing_wait_timeout=0)
# From here, FENCED_LATER's fence success (04:00:31Z) is older than the last online sample.
AFTER_FENCING = T_BEFORE_KILL + 60


def run_at(xml, timed_samples, settings):
    """``run`` on (time, sample name) pairs."""
    return run([st(xml, name) for _, name in timed_samples], settings=settings,
               times=[when for when, _ in timed_samples])


def test_unfenced_offline_in_back_to_back_samples_is_not_reported(xml):
    """A remote node's connection resource restarted during a cluster transition: offline in
    two samples 0.6 s apart (the second came at once after a slow crm_mon), then online."""
    t = AFTER_FENCING
    _, out = run_at(xml, [(t, HEALTHY), (t + 1, FENCED_LATER), (t + 1.6, FENCED_LATER),
                          (t + 2.6, HEALTHY), (t + 3.6, HEALTHY)], SPAN)
    assert [sent(o) for o in out] == [[]] * 5
    assert kinds(out)[2] == [("remote1", decision.OFFLINE_CONFIRMING)]


def test_unfenced_offline_is_reported_once_it_spans_the_samples(xml):
    t = AFTER_FENCING
    _, out = run_at(xml, [(t, HEALTHY), (t + 1, FENCED_LATER), (t + 1.6, FENCED_LATER),
                          (t + 2.1, FENCED_LATER)], SPAN)
    assert [sent(o) for o in out[:3]] == [[]] * 3
    [n] = sent(out[3])
    assert n["payload"] == {"event": "STOPPED", "cluster_status": "OFFLINE", "host_status": "UNKNOWN"}
    assert n["generated_time"] == datetime.datetime.fromtimestamp(
        t + 1, datetime.timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def test_fenced_offline_is_reported_without_waiting_for_the_span(xml):
    t = T_BEFORE_KILL
    _, out = run_at(xml, [(t, HEALTHY), (t + 0.3, FENCED_LATER), (t + 0.6, FENCED_LATER)], SPAN)
    [n] = sent(out[2])
    assert n["payload"]["host_status"] == "NORMAL"
