"""Pure decision logic of the host monitor: samples in, notifications out.

Per peer node the monitor keeps a :class:`NodeRecord` (persisted as JSON between runs). Each
sample is classified (online / offline / transitional), debounced over
``monitoring_samples`` and compared with what was last *reported*:

=============================  ==========================================================
stable sample vs. reported      action
=============================  ==========================================================
online, never seen before       remember as baseline, send nothing
online, reported offline        STARTED / ONLINE / NORMAL, once the node has stayed online for
                                recovery_confirm_time (pacemaker shows a dead remote node as
                                online and Started for 2-3 s at the end of each reconnect attempt)
offline, reported online or     fenced → STOPPED/OFFLINE/NORMAL; fencing still running →
never seen (first start)        wait up to fencing_wait_timeout, then STOPPED ... UNKNOWN;
                                nothing pending → STOPPED/OFFLINE/UNKNOWN once the node has
                                been offline for (monitoring_samples - 1) x monitoring_interval
offline, reported UNKNOWN       fenced now → a second STOPPED with NORMAL (engine acts)
transitional (pending, unclean  never reported, and it breaks a debounce streak; the
but online, connection          "phantom online" of a dead remote node's reconnect attempt
resource not Started)           is exactly this, so it is not a recovery
=============================  ==========================================================

"Fenced" means pacemaker's fencing history has a successful off/reboot of the node that
completed after the last sample in which this monitor saw the node online (or, with no such
sample, the newest event for the node is that success), and pacemaker no longer marks the node
unclean. ``trust_clean_offline_without_fencing`` accepts offline + clean instead.
"""

import datetime
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from monitors.host.crmmon import ClusterStatus, FenceEvent, Node
from monitors.notifier import envelope

ONLINE = "online"
OFFLINE = "offline"
TRANSITIONAL = "transitional"


@dataclass
class NodeRecord:
    """Memory of one peer across samples (and monitor restarts)."""

    history: list[str] = field(default_factory=list)
    reported: str | None = None              # ONLINE / OFFLINE / None (never reported)
    reported_host_status: str | None = None  # for OFFLINE: NORMAL / UNKNOWN
    last_seen_online: float | None = None    # epoch seconds of the last online sample
    offline_since: float | None = None       # first offline sample of the current outage
    online_since: float | None = None        # first sample of the current online streak
    last_sample: str | None = None           # previous raw sample (for quieter logs)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "NodeRecord":
        known = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Settings:
    monitoring_samples: int = 1
    restrict_to_remotes: bool = False
    trust_clean_offline_without_fencing: bool = False
    fencing_wait_timeout: float = 120.0
    recovery_confirm_time: float = 0.0
    monitoring_interval: float = 0.0


def offline_confirm_time(settings: Settings) -> float:
    """How long an unfenced node must stay offline before it is reported: the time the
    ``monitoring_samples`` debounce is meant to span. Samples can come back to back (the next
    one starts at once when crm_mon was slow), and a remote node whose connection resource is
    restarted during a cluster transition is offline for a second or two without being down.
    Not covered: after pacemakerd replaces a frozen controller, every remote node is offline,
    clean and unfenced for several seconds until the new one reconnects it."""
    return (settings.monitoring_samples - 1) * settings.monitoring_interval


# Decision kinds (the ``decision`` label of masakari_ha_monitor_host_decisions_total).
BLOCKED = "blocked"
FORGOTTEN = "forgotten"
IN_TRANSITION = "in_transition"
BASELINE = "baseline"
RECOVERY_PENDING = "recovery_pending"
REPORTED_STARTED = "reported_started"
REPORTED_STOPPED_NORMAL = "reported_stopped_normal"
REPORTED_STOPPED_UNKNOWN = "reported_stopped_unknown"
FENCING_WAIT = "fencing_wait"
OFFLINE_CONFIRMING = "offline_confirming"


@dataclass(frozen=True)
class Decision:
    """One line of the monitor's reasoning; ``notification`` is set when something is sent;
    ``kind`` is one of the constants above."""

    node: str
    reason: str
    notification: dict[str, Any] | None = None
    kind: str = ""


def classify(node: Node) -> str:
    """Reduce a node to ONLINE / OFFLINE / TRANSITIONAL."""
    if not node.online:
        return OFFLINE
    if node.unclean or node.pending:
        return TRANSITIONAL
    if node.is_remote and node.connection_role not in (None, "Started"):
        # A dead remote node shows online="true" while pacemaker tries to reconnect
        # (connection resource role "Starting"): not a recovery.
        return TRANSITIONAL
    return ONLINE


def stable_sample(history: list[str], samples: int) -> str | None:
    """The debounced state, or None while samples are too few, mixed or transitional."""
    if len(history) < samples:
        return None
    window = history[-samples:]
    if window[0] == TRANSITIONAL or any(s != window[0] for s in window):
        return None
    return window[0]


def recovery_confirmed(rec: NodeRecord, now: float, settings: Settings) -> bool:
    """May an online node count as back? Always, unless it was reported down: then only after
    it has been online without interruption for ``recovery_confirm_time``."""
    if rec.reported != OFFLINE:
        return True
    return rec.online_since is not None and now - rec.online_since >= settings.recovery_confirm_time


def fenced_after(events: Iterable[FenceEvent], node: str, since: float | None) -> bool:
    """Did a successful off/reboot of ``node`` complete after ``since`` (epoch seconds)?

    pacemaker prints completion times with one-second resolution, so the comparison is made
    against ``since`` truncated to the second. With ``since`` unknown (node never seen online)
    the newest finished event for the node decides.
    """
    mine = [e for e in events if e.target == node]
    if since is None:
        finished = [e for e in mine if e.completed is not None]
        if not finished:
            return False
        newest = max(finished, key=lambda e: e.completed)
        return newest.powered_off and not any(e.status == "pending" for e in mine)
    floor = int(since)
    return any(e.powered_off and e.completed.timestamp() >= floor for e in mine)


def fencing_in_progress(node: Node, events: Iterable[FenceEvent]) -> bool:
    """Pacemaker is still working on fencing ``node`` (unclean, or a pending fence event)."""
    return node.unclean or any(e.target == node.name and e.status == "pending" for e in events)


def watched_nodes(status: ClusterStatus, me: str, settings: Settings) -> list[Node]:
    """Peers this monitor reports on: all members and remote nodes but itself."""
    out = []
    for node in status.nodes.values():
        if node.name == me:
            continue
        if settings.restrict_to_remotes and not node.is_remote:
            continue
        out.append(node)
    return sorted(out, key=lambda n: n.name)


def state_counts(status: ClusterStatus, me: str, settings: Settings) -> dict[str, int]:
    """How many watched peers are ONLINE / OFFLINE / TRANSITIONAL in this sample."""
    counts = {ONLINE: 0, OFFLINE: 0, TRANSITIONAL: 0}
    for node in watched_nodes(status, me, settings):
        counts[classify(node)] += 1
    return counts


def precheck(status: ClusterStatus, me: str) -> str | None:
    """Why this sample must not be used at all (None when it may be used)."""
    if not status.has_quorum:
        return "partition has no quorum (or no DC): reporting nobody"
    own = status.nodes.get(me)
    if own is None:
        return f"own node {me!r} is not in the cluster status: reporting nobody"
    if classify(own) != ONLINE:
        return f"own node {me!r} is not online and clean: reporting nobody"
    return None


def evaluate(status: ClusterStatus, me: str, records: dict[str, NodeRecord], now: float,
             settings: Settings, extra_fence_events: dict[str, tuple[FenceEvent, ...]] | None = None,
             ) -> list[Decision]:
    """Advance ``records`` (mutated in place) by one sample; return the decisions taken.

    ``extra_fence_events`` holds per-node history fetched with stonith_admin when the caller
    looked further (see :func:`needs_fence_history`).
    """
    blocked = precheck(status, me)
    if blocked:
        return [Decision(me, blocked, kind=BLOCKED)]
    decisions: list[Decision] = []
    for gone in sorted(set(records) - set(status.nodes)):
        del records[gone]
        decisions.append(Decision(gone, "no longer in the cluster configuration: forgotten",
                                  kind=FORGOTTEN))
    observed = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    for node in watched_nodes(status, me, settings):
        rec = records.setdefault(node.name, NodeRecord())
        sample = classify(node)
        previous, rec.last_sample = rec.last_sample, sample
        rec.history = (rec.history + [sample])[-settings.monitoring_samples:]
        if sample == ONLINE:
            if rec.online_since is None:
                rec.online_since = now
            # A node reported down is taken as back only once it stayed online long enough;
            # until then a (phantom) online sample must not move the outage's markers, or a
            # later fencing success would look older than the node's "last seen online".
            if recovery_confirmed(rec, now, settings):
                rec.last_seen_online, rec.offline_since = now, None
        else:
            rec.online_since = None
            if sample == OFFLINE and rec.offline_since is None:
                rec.offline_since = now   # when this outage was first observed
        stable = stable_sample(rec.history, settings.monitoring_samples)
        if stable is None:
            if sample == TRANSITIONAL and previous != TRANSITIONAL:
                decisions.append(Decision(node.name, "in transition (pending/unclean/connection "
                                          f"{node.connection_role}); not a state change",
                                          kind=IN_TRANSITION))
            continue
        events = status.fence_events + (extra_fence_events or {}).get(node.name, ())
        if stable == ONLINE:
            if rec.reported is None:
                rec.reported = ONLINE
                decisions.append(Decision(node.name, "first seen online: baseline, nothing sent",
                                          kind=BASELINE))
            elif rec.reported == OFFLINE and not recovery_confirmed(rec, now, settings):
                decisions.append(Decision(node.name, (
                    f"online for {now - rec.online_since:.0f}s of {settings.recovery_confirm_time:.0f}s "
                    "(recovery_confirm_time); not yet reported as back"), kind=RECOVERY_PENDING))
            elif rec.reported == OFFLINE:
                rec.reported, rec.reported_host_status = ONLINE, None
                decisions.append(Decision(
                    node.name, "back online",
                    envelope.compute_host(node.name, False, envelope.HOST_STATUS_NORMAL, observed),
                    kind=REPORTED_STARTED))
            continue
        # stable OFFLINE
        if rec.reported == OFFLINE and rec.reported_host_status == envelope.HOST_STATUS_NORMAL:
            continue
        observed_off = datetime.datetime.fromtimestamp(rec.offline_since or now,
                                                       datetime.timezone.utc)
        fenced = fenced_after(events, node.name, rec.last_seen_online) and not node.unclean
        trusted = settings.trust_clean_offline_without_fencing and not node.unclean
        if fenced or trusted:
            why = "fenced (pacemaker fencing history)" if fenced else \
                "offline and clean, trusted without fencing"
            again = " (after an earlier UNKNOWN report)" if rec.reported == OFFLINE else ""
            rec.reported, rec.reported_host_status = OFFLINE, envelope.HOST_STATUS_NORMAL
            decisions.append(Decision(
                node.name, f"offline, {why}{again}",
                envelope.compute_host(node.name, True, envelope.HOST_STATUS_NORMAL, observed_off),
                kind=REPORTED_STOPPED_NORMAL))
            continue
        if rec.reported == OFFLINE:
            continue  # already reported UNKNOWN; waiting for fencing to upgrade it
        waited = now - (rec.offline_since or now)
        if fencing_in_progress(node, events) and waited < settings.fencing_wait_timeout:
            decisions.append(Decision(node.name, f"offline, fencing in progress; waiting "
                                      f"({waited:.0f}s of {settings.fencing_wait_timeout:.0f}s)",
                                      kind=FENCING_WAIT))
            continue
        confirm = offline_confirm_time(settings)
        if waited < confirm:
            decisions.append(Decision(node.name, f"offline for {waited:.1f}s of {confirm:.0f}s "
                                      "((monitoring_samples - 1) x monitoring_interval), not fenced; "
                                      "not yet reported", kind=OFFLINE_CONFIRMING))
            continue
        rec.reported, rec.reported_host_status = OFFLINE, envelope.HOST_STATUS_UNKNOWN
        reason = "fencing not confirmed within fencing_wait_timeout" \
            if fencing_in_progress(node, events) else "no successful fencing in pacemaker's history"
        decisions.append(Decision(
            node.name, f"offline, {reason}: host_status UNKNOWN (engine will not evacuate)",
            envelope.compute_host(node.name, True, envelope.HOST_STATUS_UNKNOWN, observed_off),
            kind=REPORTED_STOPPED_UNKNOWN))
    return decisions


def needs_fence_history(status: ClusterStatus, me: str, records: dict[str, NodeRecord],
                        settings: Settings) -> list[str]:
    """Offline peers for which crm_mon's own <fence_history> shows no confirming success,
    so the caller should ask stonith_admin (cheap to skip when everything is online)."""
    if precheck(status, me):
        return []
    out = []
    for node in watched_nodes(status, me, settings):
        if node.online:
            continue
        rec = records.get(node.name)
        if rec is not None and rec.reported == OFFLINE and \
                rec.reported_host_status == envelope.HOST_STATUS_NORMAL:
            continue
        since = rec.last_seen_online if rec else None
        if not fenced_after(status.fence_events, node.name, since):
            out.append(node.name)
    return out
