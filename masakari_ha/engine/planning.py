"""Pure recovery decisions: which guests, in what order, how, where, and did it work.

No I/O and no configuration access: every input is a parameter, every output a frozen
value, so each rule is unit-tested in isolation and the engine's tasks stay thin
(read Nova → decide here → act on Nova).

* :func:`select_instances` — which guests of a failed host to evacuate, in which order
  (upstream's ``HA_Enabled`` / ``evacuate_all_instances`` / error-state rules, then
  restart priority).
* :func:`evacuation_steps` — upstream's per-``vm_state`` handling around one evacuation,
  adjusted for microversions that leave evacuated guests stopped.
* :func:`assign_reserved_hosts` — spread guests over reserved hosts by free capacity.
* :func:`mass_failure_exceeded` / :func:`hosts_failed_in_window` — the mass-failure guard.
* :func:`is_evacuation_confirmed` — confirmation by Nova's evacuation migration record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence

from masakari_ha.compute.models import MIGRATION_TYPE_EVACUATION, POWER_SHUTDOWN, HostCapacity, Migration, Server

#: Server metadata key holding an integer restart priority (higher restarts first).
RESTART_PRIORITY_KEY = "masakari_ha:restart_priority"
DEFAULT_RESTART_PRIORITY = 0

_TRUE_STRINGS = frozenset({"1", "t", "true", "on", "y", "yes"})

#: vm_states Nova cannot evacuate: the guest is not on any host (any more).
NOT_EVACUABLE_STATES = frozenset({"shelved_offloaded", "deleted", "soft-deleted"})
#: vm_states whose guest keeps its state through an evacuation without a reset.
_KEPT_STATES = frozenset({"active", "stopped", "error"})


def parse_bool(value: object) -> bool:
    """Lenient boolean as upstream reads metadata: true/yes/1/on/t/y (any case) are true."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE_STRINGS


# -- instance selection --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A guest left out of the recovery and why (for the decision log and progress)."""

    server: Server
    reason: str


@dataclasses.dataclass(frozen=True)
class Selection:
    """Outcome of :func:`select_instances`.

    ``selected`` is in evacuation order. ``notes`` are non-fatal remarks about selected
    guests (e.g. an unreadable restart priority that fell back to the default).
    ``ha_enabled`` holds the ids of selected guests flagged HA-enabled.
    """

    selected: tuple[Server, ...]
    skipped: tuple[Skipped, ...]
    notes: tuple[tuple[Server, str], ...] = ()
    ha_enabled: frozenset[str] = frozenset()


def restart_priority(
    server: Server,
    *,
    priority_key: str = RESTART_PRIORITY_KEY,
    default: int = DEFAULT_RESTART_PRIORITY,
) -> tuple[int, str | None]:
    """``(priority, note)`` from the server's metadata; invalid or absent → ``default``.

    ``note`` explains a fallback caused by an unreadable value, else ``None``.
    """
    raw = server.metadata.get(priority_key)
    if raw is None or str(raw).strip() == "":
        return default, None
    try:
        return int(str(raw).strip()), None
    except ValueError:
        return default, (
            f"instance {server.id}: metadata {priority_key}={raw!r} is not an integer; "
            f"using default priority {default}"
        )


def select_instances(
    servers: Iterable[Server],
    *,
    ha_enabled_key: str,
    evacuate_all: bool,
    ignore_error_state: bool,
    priority_key: str = RESTART_PRIORITY_KEY,
    default_priority: int = DEFAULT_RESTART_PRIORITY,
) -> Selection:
    """Choose and order the guests of a failed host to evacuate.

    Upstream rules: a guest is HA-enabled when ``metadata[ha_enabled_key]`` parses as
    true; with ``ignore_error_state`` guests in vm_state ``error`` are left out (even
    HA-enabled ones); without ``evacuate_all`` only HA-enabled guests are taken.
    Shelved-offloaded/deleted guests are never taken (Nova cannot evacuate them) and a
    guest listed twice is taken once.

    Order: HA-enabled first, then restart priority (higher first), then name, then id —
    fully deterministic, so a resumed recovery plans the same order.
    """
    keyed: list[tuple[tuple[bool, int, str, str], Server]] = []
    skipped: list[Skipped] = []
    notes: list[tuple[Server, str]] = []
    ha_ids: set[str] = set()
    seen: set[str] = set()
    for server in servers:
        if server.id in seen:
            continue
        seen.add(server.id)
        ha = parse_bool(server.metadata.get(ha_enabled_key, "false"))
        if server.vm_state in NOT_EVACUABLE_STATES:
            skipped.append(Skipped(server, f"vm_state {server.vm_state} cannot be evacuated"))
            continue
        if ignore_error_state and server.vm_state == "error":
            which = "HA-enabled instance" if ha else "instance"
            skipped.append(Skipped(server, f"{which} in error state ignored (ignore_instances_in_error_state)"))
            continue
        if not ha and not evacuate_all:
            skipped.append(Skipped(server, f"not HA-enabled (metadata {ha_enabled_key} not true)"))
            continue
        priority, note = restart_priority(server, priority_key=priority_key, default=default_priority)
        if note:
            notes.append((server, note))
        if ha:
            ha_ids.add(server.id)
        keyed.append(((not ha, -priority, server.name, server.id), server))
    keyed.sort(key=lambda item: item[0])
    return Selection(
        selected=tuple(server for _key, server in keyed),
        skipped=tuple(skipped),
        notes=tuple(notes),
        ha_enabled=frozenset(ha_ids),
    )


# -- per-guest evacuation steps -------------------------------------------------------


class NotEvacuable(ValueError):
    """The guest's vm_state does not allow an evacuation at all."""


@dataclasses.dataclass(frozen=True)
class EvacuationSteps:
    """What to do around one evacuation, in order.

    1. ``lock`` the guest (only if it was not locked; unlock afterwards only then);
    2. ``reset_to_error_before``: Nova refuses to evacuate a guest with a task in progress
       or in paused/suspended/rescued/resized/shelved states, an ``error`` reset clears it;
    3. evacuate; Nova's rebuild leaves the guest in ``expected_vm_state``;
       ``vm_state_at_evacuate`` is what confirmation compares against;
    4. ``stop_after`` / ``start_after`` bring it to the wanted power state;
    5. ``reset_to_error_after`` puts a guest that was in ``error`` back there.

    ``final_vm_state`` is where the guest should end up; ``reason`` says why, for the log.
    """

    original_vm_state: str | None
    lock: bool
    reset_to_error_before: bool
    vm_state_at_evacuate: str
    expected_vm_state: str
    stop_after: bool
    start_after: bool
    reset_to_error_after: bool
    final_vm_state: str
    reason: str


def evacuation_steps(server: Server, *, evacuate_leaves_stopped: bool = False) -> EvacuationSteps:
    """Upstream's per-vm_state handling, adjusted for the negotiated microversion.

    Net effect (as upstream): active → active; stopped → stopped; error → rebuilt then
    stopped and reset to ``error``; paused/suspended/rescued/shelved → reset, evacuated,
    stopped; resized → reset, evacuated, running again only if it was running
    (power_state ≠ SHUTDOWN). A non-null task_state forces a reset to ``error`` first; a
    guest that was active is then not stopped afterwards. With
    ``evacuate_leaves_stopped`` (microversion ≥ 2.95) guests arrive stopped and those
    that should run are started.

    Raises :class:`NotEvacuable` for shelved-offloaded or deleted guests.
    """
    vm_state = server.vm_state or ""
    if vm_state in NOT_EVACUABLE_STATES:
        raise NotEvacuable(f"instance {server.id} in vm_state {vm_state} cannot be evacuated")
    task = server.task_state
    if vm_state in _KEPT_STATES:
        reset_before = task is not None
        want_running = vm_state == "active"
        reset_after = vm_state == "error"
        reason = f"vm_state {vm_state}" + (f" with task_state {task}: reset to error first" if task else "")
    elif vm_state == "resized":
        reset_before = True
        want_running = server.power_state != POWER_SHUTDOWN
        reset_after = False
        reason = f"vm_state resized (power_state {server.power_state}): reset to error first"
    else:
        reset_before = True
        want_running = False
        reset_after = False
        reason = f"vm_state {vm_state or 'unknown'}: reset to error first, stopped afterwards"

    at_evacuate = "error" if reset_before else vm_state
    if evacuate_leaves_stopped or at_evacuate == "stopped":
        expected = "stopped"
    else:
        expected = "active"  # active stays active; Nova's rebuild turns error into active
    stop_after = not want_running and expected == "active"
    start_after = want_running and expected == "stopped"
    final = "error" if reset_after else ("active" if want_running else "stopped")
    return EvacuationSteps(
        original_vm_state=server.vm_state,
        lock=not server.locked,
        reset_to_error_before=reset_before,
        vm_state_at_evacuate=at_evacuate,
        expected_vm_state=expected,
        stop_after=stop_after,
        start_after=start_after,
        reset_to_error_after=reset_after,
        final_vm_state=final,
        reason=reason,
    )


# -- reserved host placement ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Placement:
    """Outcome of :func:`assign_reserved_hosts`.

    ``assignments`` maps instance id → reserved host, in placement order; ``unplaced``
    are the guests no reserved host could take; ``notes`` explain capacity assumptions.
    """

    assignments: Mapping[str, str]
    unplaced: tuple[Server, ...]
    notes: tuple[str, ...] = ()

    @property
    def hosts_used(self) -> tuple[str, ...]:
        """Reserved hosts that receive at least one guest, in first-use order."""
        return tuple(dict.fromkeys(self.assignments.values()))


def _effective_free(free: int | None, total: int | None, ratio: float) -> float | None:
    """Free room after applying an allocation ratio (``None`` = unknown, unbounded)."""
    if free is None:
        return None
    if total is None or ratio == 1.0:
        return float(free)
    return float(free) + float(total) * (ratio - 1.0)


@dataclasses.dataclass
class _Room:
    host: str
    vcpus: float | None
    ram_mb: float | None
    disk_gb: float | None
    count: int = 0

    def fits(self, demand: tuple[int, int, int], max_per_host: int | None, extra: int = 1) -> bool:
        if max_per_host is not None and self.count + extra > max_per_host:
            return False
        for have, need in zip((self.vcpus, self.ram_mb, self.disk_gb), demand):
            if have is not None and need > have:
                return False
        return True

    def take(self, demand: tuple[int, int, int], count: int = 1) -> None:
        self.count += count
        self.vcpus = None if self.vcpus is None else self.vcpus - demand[0]
        self.ram_mb = None if self.ram_mb is None else self.ram_mb - demand[1]
        self.disk_gb = None if self.disk_gb is None else self.disk_gb - demand[2]


def _demand(server: Server) -> tuple[int, int, int]:
    return (server.vcpus or 0, server.ram_mb or 0, server.disk_gb or 0)


def assign_reserved_hosts(
    instances: Sequence[Server],
    capacities: Sequence[HostCapacity] | Mapping[str, HostCapacity],
    *,
    max_per_host: int | None = None,
    cpu_allocation_ratio: float = 1.0,
    ram_allocation_ratio: float = 1.0,
    disk_allocation_ratio: float = 1.0,
) -> Placement:
    """Place guests (already in evacuation order) on reserved hosts by free capacity.

    Hosts are tried from the most free RAM (then vCPU, disk) down; hosts whose capacity
    Nova could not report come last, in the order given. When one host can take every
    guest, all go there (consuming as few reserved hosts as possible, like upstream);
    otherwise guests are placed first-fit in priority order, spilling onto the next host
    when one is full (hosts of unknown size only take what the known ones cannot). A dimension Nova did not report is treated as unbounded; a guest
    whose flavor size is unknown counts as size zero (both noted). ``max_per_host``
    caps the number of guests per reserved host. Allocation ratios apply to the hosts'
    totals when Nova reported them.
    """
    if max_per_host is not None and max_per_host < 1:
        raise ValueError(f"max_per_host must be at least 1, not {max_per_host}")
    caps = list(capacities.values()) if isinstance(capacities, Mapping) else list(capacities)
    notes: list[str] = []
    rooms: list[_Room] = []
    for cap in dict((c.host, c) for c in caps).values():
        rooms.append(_Room(
            cap.host,
            _effective_free(cap.free_vcpus, cap.total_vcpus, cpu_allocation_ratio),
            _effective_free(cap.free_ram_mb, cap.total_ram_mb, ram_allocation_ratio),
            _effective_free(cap.free_disk_gb, cap.total_disk_gb, disk_allocation_ratio),
        ))
        if not cap.known:
            notes.append(f"capacity of reserved host {cap.host} unknown; assumed large enough")

    def order(room: _Room) -> tuple[int, float, float, float]:
        known = room.ram_mb is not None and room.vcpus is not None
        return (0 if known else 1, -(room.ram_mb or 0.0), -(room.vcpus or 0.0), -(room.disk_gb or 0.0))

    rooms.sort(key=order)
    for server in instances:
        if None in (server.vcpus, server.ram_mb, server.disk_gb):
            notes.append(f"flavor size of instance {server.id} unknown; counted as zero")

    total = tuple(sum(_demand(s)[i] for s in instances) for i in range(3))
    # A host of unknown size "fits" anything: take it whole only when no size is known.
    known_rooms = [r for r in rooms if r.ram_mb is not None and r.vcpus is not None] or rooms
    single = next((r for r in known_rooms if r.fits(total, max_per_host, extra=len(instances))), None)
    assignments: dict[str, str] = {}
    unplaced: list[Server] = []
    if single is not None and instances:
        for server in instances:
            single.take(_demand(server))
            assignments[server.id] = single.host
        return Placement(assignments, (), tuple(notes))
    for server in instances:
        demand = _demand(server)
        room = next((r for r in rooms if r.fits(demand, max_per_host)), None)
        if room is None:
            unplaced.append(server)
            continue
        room.take(demand)
        assignments[server.id] = room.host
    return Placement(assignments, tuple(unplaced), tuple(notes))


# -- mass-failure guard -----------------------------------------------------------------


def mass_failure_exceeded(failed_hosts_in_window: int, total_hosts: int, threshold_percent: float) -> bool:
    """True when strictly more than ``threshold_percent`` % of a segment's hosts failed.

    ``failed_hosts_in_window`` counts distinct hosts (including the one being handled).
    A threshold of 100 or more disables the guard; a segment without hosts never trips it.
    """
    if threshold_percent < 0:
        raise ValueError(f"threshold_percent must not be negative, not {threshold_percent}")
    if total_hosts <= 0 or threshold_percent >= 100:
        return False
    return failed_hosts_in_window * 100 > threshold_percent * total_hosts


def failure_window_start(now: dt.datetime, window_seconds: float) -> dt.datetime:
    """Oldest failure time that still counts towards the guard at ``now``."""
    if window_seconds < 0:
        raise ValueError(f"window_seconds must not be negative, not {window_seconds}")
    return now - dt.timedelta(seconds=window_seconds)


def hosts_failed_in_window(
    failures: Iterable[tuple[str, dt.datetime]],
    *,
    now: dt.datetime,
    window_seconds: float,
) -> frozenset[str]:
    """Distinct hosts with a failure at or after the window start and not after ``now``."""
    start = failure_window_start(now, window_seconds)
    return frozenset(host for host, when in failures if start <= when <= now)


# -- evacuation confirmation ------------------------------------------------------------


class VerdictState(str, enum.Enum):
    CONFIRMED = "confirmed"
    PENDING = "pending"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether one evacuation is done: ``state``, a ``reason`` for the log, and where to."""

    state: VerdictState
    reason: str
    dest_host: str | None = None
    migration_id: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.state is VerdictState.CONFIRMED

    @property
    def failed(self) -> bool:
        return self.state is VerdictState.FAILED

    @property
    def pending(self) -> bool:
        return self.state is VerdictState.PENDING


#: Evacuation migration statuses: the guest was rebuilt on the destination.
MIGRATION_DONE = frozenset({"done", "completed"})
#: Evacuation migration statuses: it will not happen.
MIGRATION_FAILED = frozenset({"failed", "error"})
_FINAL_VM_STATES = frozenset({"active", "stopped"})


def _created(migration: Migration) -> dt.datetime | None:
    if not migration.created_at:
        return None
    try:
        parsed = dt.datetime.fromisoformat(migration.created_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _naive_utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is None else when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def find_evacuation(
    migrations: Iterable[Migration],
    instance_uuid: str,
    source_host: str,
    *,
    since: dt.datetime | None = None,
) -> Migration | None:
    """Newest evacuation record of ``instance_uuid`` away from ``source_host``.

    ``since`` (naive UTC or aware) ignores records created before it — an old evacuation
    from the same host must not confirm a new one. Records without a readable
    ``created_at`` are kept. The engine also uses this before evacuating: a record
    that is not failed means the evacuation was already requested (resume safely).
    """
    limit = None if since is None else _naive_utc(since)
    best: tuple[dt.datetime, Migration] | None = None
    first_undated: Migration | None = None
    for migration in migrations:
        if migration.instance_uuid != instance_uuid or migration.source_compute != source_host:
            continue
        if migration.migration_type not in (None, MIGRATION_TYPE_EVACUATION):
            continue
        created = _created(migration)
        if created is None:
            first_undated = first_undated or migration
        elif (limit is None or created >= limit) and (best is None or created > best[0]):
            best = (created, migration)  # ties keep Nova's order (newest first)
    return best[1] if best is not None else first_undated


def is_evacuation_confirmed(
    server: Server,
    migrations: Iterable[Migration],
    source_host: str,
    *,
    vm_state_before: str | None = None,
    since: dt.datetime | None = None,
) -> Verdict:
    """Judge one evacuation from Nova's migration records and the guest's state.

    Confirmed: the newest evacuation record from ``source_host`` (see
    :func:`find_evacuation`) is ``done``/``completed``, the guest's compute host is no
    longer ``source_host``, it has no task in progress and its vm_state is final
    (active/stopped). Failed: that record is ``failed``/``error``, or the guest settled in
    ``error`` (no task in progress) although it was not in ``error`` when evacuate was
    called (``vm_state_before``; LP#1859406) — while the record is still in progress
    Nova's record decides, since Nova marks it failed when the rebuild fails. Otherwise
    pending — poll again.
    """
    record = find_evacuation(migrations, server.id, source_host, since=since)
    record_id = record.id if record else None
    if record is not None and record.status in MIGRATION_FAILED:
        return Verdict(VerdictState.FAILED,
                       f"evacuation migration {record.id} of instance {server.id} from {source_host} "
                       f"is {record.status}", None, record_id)
    in_progress = record is not None and record.status not in MIGRATION_DONE
    settled_in_error = server.vm_state == "error" and server.task_state is None
    if settled_in_error and not in_progress and vm_state_before is not None and vm_state_before != "error":
        return Verdict(VerdictState.FAILED,
                       f"instance {server.id} went to vm_state error during evacuation from {source_host} "
                       f"(was {vm_state_before})", server.host, record_id)
    if record is None:
        return Verdict(VerdictState.PENDING,
                       f"no evacuation record yet for instance {server.id} from {source_host}")
    if in_progress:
        return Verdict(VerdictState.PENDING,
                       f"evacuation migration {record.id} of instance {server.id} is {record.status}",
                       None, record_id)
    if not server.host or server.host == source_host:
        return Verdict(VerdictState.PENDING,
                       f"instance {server.id} still reported on host {server.host}", None, record_id)
    if server.task_state is not None or server.vm_state not in _FINAL_VM_STATES:
        return Verdict(VerdictState.PENDING,
                       f"instance {server.id} on {server.host} is vm_state {server.vm_state} "
                       f"task_state {server.task_state}", server.host, record_id)
    return Verdict(VerdictState.CONFIRMED,
                   f"instance {server.id} evacuated from {source_host} to {server.host} "
                   f"(migration {record.id} {record.status}, vm_state {server.vm_state})",
                   server.host, record_id)
