"""Evacuating one guest of a failed host, idempotently, with upstream's per-vm_state rules.

Each step looks at Nova before acting, so running it again (engine crash, retry) never
evacuates a guest twice: a guest no longer on the failed host, or with an evacuation
migration record from it, is only confirmed; evacuation is confirmed by Nova's migration
record *and* the guest's host (not upstream's hypervisor_hostname heuristic).

What it costs Nova per failed host, whatever the number of guests: one listing of the
host's servers when the evacuations start (instead of a GET per guest), then one
os-migrations list per poll round (``[engine] evacuation_poll_interval``, shared by all
guests of the host). Per guest: evacuate, lock (see :meth:`GuestEvacuation._evacuate_and_confirm`
for why in that order), one GET once its record is done, unlock.
The evacuate request is sent at microversion <= 2.94 (``[host_failure]
keep_power_state_on_evacuation``): the fencing gate has confirmed the host off, so Nova
may start running guests itself, and there is no separate start-and-wait per guest.
"""

import contextlib
import datetime
import logging
import threading
import time

from masakari_ha import metrics
from masakari_ha.compute import ComputeServiceStillInUse, NovaConflict, NovaNotFound, NovaUnavailable
from masakari_ha.compute.models import Server
from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from masakari_ha.engine import planning
from masakari_ha.engine.control import RecoveryInterrupted, RunControl, WaitTimeout

LOG = logging.getLogger(__name__)

LOCK_REASON = "masakari_ha evacuation"


def snapshot(server: Server) -> dict:
    """The fields of a guest before recovery touched it, as JSON (persisted in the flow)."""
    return {"id": server.id, "name": server.name, "vm_state": server.vm_state,
            "task_state": server.task_state, "power_state": server.power_state,
            "host": server.host, "locked": server.locked, "vcpus": server.vcpus,
            "ram_mb": server.ram_mb, "disk_gb": server.disk_gb}


def from_snapshot(data: dict) -> Server:
    return Server(id=data["id"], name=data.get("name") or "", vm_state=data.get("vm_state"),
                  task_state=data.get("task_state"), power_state=data.get("power_state"),
                  host=data.get("host"), hypervisor_hostname=None, locked=bool(data.get("locked")),
                  vcpus=data.get("vcpus"), ram_mb=data.get("ram_mb"), disk_gb=data.get("disk_gb"))


class EvacuationFailed(Exception):
    """One guest could not be evacuated; the message goes into its vmove."""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


#: os-migrations reads one engine sends, across all failed hosts: at most this many in
#: flight and this many per second. One failed host needs at most 8 per second (rounds of
#: 0.125 s); with many hosts failing together each host's rounds space out (40 hosts: one
#: read per host every 2 s) instead of multiplying the load on nova-api by the number of
#: hosts - reads that would otherwise take the capacity Nova needs for the evacuations.
MAX_CONCURRENT_RECORD_READS = 4
MAX_RECORD_READS_PER_SECOND = 20.0


class _ReadPacer:
    """Admits os-migrations reads of this engine one after the other, evenly spaced."""

    def __init__(self, concurrency: int, per_second: float):
        self._slots = threading.BoundedSemaphore(concurrency)
        self._spacing = 1.0 / per_second
        self._lock = threading.Lock()
        self._next = 0.0

    @contextlib.contextmanager
    def turn(self):
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + self._spacing
        if at > now:
            time.sleep(at - now)  # bounded: (hosts waiting) / per_second
        with self._slots:
            yield


_record_reads = _ReadPacer(MAX_CONCURRENT_RECORD_READS, MAX_RECORD_READS_PER_SECOND)

#: Pause between two looks of a waiting guest; the look itself sleeps until the next round.
PROBE_PAUSE = 0.01
#: Longest wait for a failed host's first listing of evacuation records (queued behind
#: other hosts' reads, or Nova slow to answer).
FIRST_LISTING_TIMEOUT = 120.0


class MigrationWatch:
    """A failed host's evacuation records, shared by the confirmations of all its guests.

    Listed at most once per round (one call per host instead of two per guest and poll),
    so a host with hundreds of guests in flight does not flood Nova's API. A round lasts
    ``[engine] evacuation_poll_interval`` (read at each round, so a configuration reload
    applies to evacuations in flight), half of it once one of them finished since the
    first listing: they finish in a wave (all were requested within a second or two and
    take about as long), so once the wave started the rest follow shortly - and the
    stragglers at its end are the ones the recovery waits for, so the rounds stay short
    until nobody waits any more.

    Guests waiting for their evacuation sleep until the next listing
    (:meth:`records_after`) instead of each polling on its own clock: one of them keeps
    time and lists, the others are woken once per round. With many hosts failing at once
    the rounds are paced engine-wide (see :data:`MAX_RECORD_READS_PER_SECOND`), and the
    waiting guests sleep as long.
    """

    def __init__(self, nova, failed_host: str, interval: float | None = None):
        self.nova = nova
        self.failed_host = failed_host
        self._interval = interval
        self._cond = threading.Condition()
        self._busy = False  # one waiter keeps time or lists; the others wait for its round
        self._round_no = 0
        self._listed_at = float("-inf")
        self._by_instance: dict[str, list] = {}
        self._progressing = False
        self._finished_at_first: set[str] | None = None  # records finished before we looked

    @property
    def interval(self) -> float:
        """The base round length."""
        return self._interval if self._interval is not None else CONF.engine.evacuation_poll_interval

    @property
    def fastest_interval(self) -> float:
        """The shortest round."""
        return self.interval / 2

    def _round(self) -> float:
        return self.fastest_interval if self._progressing else self.interval

    def seed(self, listed: list, listed_at: float) -> None:
        """Take ``listed`` (the host's records, read at ``listed_at`` by someone else: see
        :mod:`masakari_ha.engine.prefetch`) as the first round, when none was made yet."""
        with self._cond:
            if self._round_no:
                return
            self._store(listed)
            self._listed_at = listed_at
            self._cond.notify_all()

    def records(self, instance_uuid: str) -> list:
        """The evacuation records of ``instance_uuid`` from any listing made since this
        watch was created (listed first when there is none yet).

        :raises WaitTimeout: no listing could be made (never an empty answer by default:
            that would read as "never evacuated").
        """
        listed, round_no = self.records_after(instance_uuid, 0, timeout=FIRST_LISTING_TIMEOUT)
        if not round_no:
            raise WaitTimeout(f"Timed out after {FIRST_LISTING_TIMEOUT:g}s waiting for the evacuation "
                              f"records of host {self.failed_host}.")
        return listed

    def records_after(self, instance_uuid: str, seen: int, timeout: float) -> tuple[list, int]:
        """Wait (up to ``timeout``) for a listing newer than round ``seen``; return the
        records of ``instance_uuid`` in the newest listing and its round number.

        The waiter that finds nobody keeping time waits for the round to be due and lists;
        a Nova error propagates to it (the others keep waiting: the next round retries).
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._round_no <= seen:
                now = time.monotonic()
                if now >= deadline:
                    break
                if self._busy:
                    self._cond.wait(deadline - now)
                    continue
                self._busy = True
                try:
                    due_at = self._listed_at + self._round()
                    if now < due_at:
                        self._cond.wait(min(due_at, deadline) - now)
                        if time.monotonic() < due_at:
                            continue  # own deadline reached first (finally hands over)
                    self._list()
                finally:
                    self._busy = False
                    self._cond.notify_all()
            return list(self._by_instance.get(instance_uuid, ())), self._round_no

    def _list(self) -> None:
        """List the host's records (called holding the condition; released meanwhile)."""
        self._cond.release()
        try:
            with _record_reads.turn():
                listed = self.nova.list_evacuations(source_compute=self.failed_host)
        except BaseException:
            self._cond.acquire()
            self._listed_at = time.monotonic()  # a failing Nova is asked again next round
            raise
        self._cond.acquire()
        self._store(listed)
        self._listed_at = time.monotonic()

    def _store(self, listed: list) -> None:
        """Keep a listing as the newest round (called holding the condition)."""
        by_instance: dict[str, list] = {}
        for record in listed:
            by_instance.setdefault(record.instance_uuid, []).append(record)
        finished = {r.id for r in listed if r.status in planning.MIGRATION_DONE | planning.MIGRATION_FAILED}
        if self._finished_at_first is None:
            self._finished_at_first = finished
        self._progressing = bool(finished - self._finished_at_first)
        self._by_instance = by_instance
        self._round_no += 1


class GuestEvacuation:
    """Evacuate-and-confirm for one guest; ``run()`` returns the destination host.

    :param original: the guest as it was before recovery (drives upstream's per-vm_state
        rules via :func:`planning.evacuation_steps`).
    :param since: evacuation records older than this belong to an earlier incident.
    :param current: the guest as Nova showed it moments ago (the host listing taken when
        this task started), so it need not be read again; None: read it.
    :param vmoves: where vmove updates go (a :class:`VmoveWriter`); None: written at once.
    """

    def __init__(self, nova, control: RunControl, failed_host: str, original: Server,
                 target: str | None = None, since: datetime.datetime | None = None,
                 watch: MigrationWatch | None = None, current: Server | None = None,
                 vmoves=None):
        self.nova = nova
        self.watch = watch or MigrationWatch(nova, failed_host)
        self.control = control
        self.failed_host = failed_host
        self.original = original
        self.target = target
        self.since = since
        self.uuid = original.id
        self.current = current
        self.vmoves = vmoves
        self.keep_power_state = CONF.host_failure.keep_power_state_on_evacuation
        self._stale: set[str] = set()

    def run(self, slot=contextlib.nullcontext()) -> str:
        """Evacuate (holding ``slot`` until Nova confirmed it), restore the power state."""
        self.control.check()
        arrives_stopped = self.nova.evacuate_arrives_stopped(self.keep_power_state)
        steps = planning.evacuation_steps(self.original, evacuate_leaves_stopped=arrives_stopped)
        with slot:
            server = self._evacuate_and_confirm(steps)
        return self._restore(steps, server)

    def _update_vmove(self, status: str, **fields) -> None:
        if self.vmoves is not None:
            self.vmoves.update(self.uuid, status, **fields)
        else:
            recovery_records.update_vmove(self.control.notification_uuid, self.uuid, status, **fields)

    def _evacuate_and_confirm(self, steps) -> Server:
        server = self.current if self.current is not None else self.nova.get_server(self.uuid)
        # The shared list was read after this task started, so it holds every evacuation a
        # previous (dead) engine sent; within this task nobody else evacuates this guest.
        # Any such listing will do: guests that wait for a slot need not read it again.
        migrations = self.watch.records(self.uuid)
        record = planning.find_evacuation(migrations, self.uuid, self.failed_host, since=self.since)
        started = (record is not None and record.status not in planning.MIGRATION_FAILED) or \
            server.host not in (None, self.failed_host)
        # Locked (when the owner had not locked it) so its owner cannot act on it until the
        # recovery is over - right after Nova accepted the evacuation rather than before it:
        # from that moment the guest's task_state (rebuilding) refuses its owner's actions
        # anyway (but delete), and a host's evacuate requests do not queue behind a lock
        # request each at nova-api (with a hundred guests, a third of the time until the
        # last one is sent). A guest whose state is reset first is locked before the reset,
        # as upstream does.
        lock = steps.lock and not server.locked
        if started:
            LOG.info("Notification %s, host %s, instance %s: evacuation already requested earlier "
                     "(%s); confirming only", self.control.notification_uuid, self.failed_host,
                     self.uuid, record.status if record else f"now on {server.host}")
            if lock:  # the engine that requested it may have died before locking it
                self.nova.lock(self.uuid, reason=LOCK_REASON)
        else:
            LOG.info("Notification %s, host %s, instance %s: evacuating (%s)",
                     self.control.notification_uuid, self.failed_host, self.uuid, steps.reason)
            lock_first = lock and steps.reset_to_error_before
            if lock_first:
                self.nova.lock(self.uuid, reason=LOCK_REASON)
            if steps.reset_to_error_before and (server.vm_state != "error" or server.task_state):
                self.nova.reset_state(self.uuid, "error")
            # Records of earlier failed attempts (another phase, a retry) must not judge this one.
            self._stale = {m.id for m in migrations if m.status in planning.MIGRATION_FAILED}
            self._evacuate()
            if lock and not lock_first:
                self.nova.lock(self.uuid, reason=LOCK_REASON)
        return self._confirm(steps.vm_state_at_evacuate)

    def _restore(self, steps, server: Server) -> str:
        # Judged from the state the guest arrived in, not only the one expected: an
        # evacuation requested by an earlier attempt may have been sent at another
        # microversion (the option changed between attempts).
        want_running = steps.final_vm_state == "active"
        if want_running and server.vm_state != "active":
            if server.task_state != "powering-on":  # resumed: may be in flight already
                self.nova.start(self.uuid)
            self._wait_state("active", CONF.wait_period_after_power_on)
        if not want_running and server.vm_state != "stopped":
            if server.task_state != "powering-off":
                self.nova.stop(self.uuid)
            self._wait_state("stopped", CONF.wait_period_after_power_off)
        if steps.reset_to_error_after:
            self.nova.reset_state(self.uuid, "error")
        if steps.lock:
            self.nova.unlock(self.uuid)
        return server.host

    def _migrations(self):
        return self.nova.list_evacuations(instance_uuid=self.uuid, source_compute=self.failed_host)

    def _accepted(self) -> bool:
        """True when Nova holds a live evacuation record of this attempt."""
        fresh = [m for m in self._migrations() if m.id not in self._stale]
        record = planning.find_evacuation(fresh, self.uuid, self.failed_host, since=self.since)
        return record is not None and record.status not in planning.MIGRATION_FAILED

    def _current_migrations(self, listed: list):
        """Records that can judge the evacuation in flight: not an earlier failed attempt's;
        when any record is still alive, failed ones are history (resume after a crash)."""
        records = [m for m in listed if m.id not in self._stale]
        alive = [m for m in records if m.status not in planning.MIGRATION_FAILED]
        return alive or records

    def _evacuate(self) -> None:
        self._update_vmove("ongoing", start_time=_now())
        LOG.info("Notification %s: Call evacuate command for instance %s on host %s",
                 self.control.notification_uuid, self.uuid, self.target or "<scheduler>")

        def attempt():
            try:
                self.nova.evacuate(self.uuid, host=self.target, keep_power_state=self.keep_power_state)
                return True
            except ComputeServiceStillInUse:
                # Nova has not seen the force-down yet: force again and retry within the bound.
                self.nova.force_down(self.failed_host, True)
                return False
            except (NovaUnavailable, NovaConflict):
                # 5xx or timeout: Nova may still have accepted it; 409 after such a retry: it
                # did. Only its record tells; a blind retry could evacuate the guest twice.
                if self._accepted():
                    return True
                raise

        self.control.wait_for(attempt, CONF.wait_period_after_service_update, CONF.verify_interval,
                              f"Nova to accept the evacuation of instance {self.uuid} (source "
                              f"compute {self.failed_host} still up)")

    def _confirm(self, vm_state_before: str) -> Server:
        seen = [0]

        def probe():
            # Sleeps until the host's next listing (at most a second, to notice a stop).
            listed, seen[0] = self.watch.records_after(self.uuid, seen[0], timeout=1.0)
            records = self._current_migrations(listed)
            record = planning.find_evacuation(records, self.uuid, self.failed_host, since=self.since)
            if record is None or record.status not in planning.MIGRATION_DONE | planning.MIGRATION_FAILED:
                return None  # Nova is still at it: no need to read the guest yet
            server = self.nova.get_server(self.uuid)
            verdict = planning.is_evacuation_confirmed(server, records, self.failed_host,
                                                       vm_state_before=vm_state_before, since=self.since)
            if verdict.failed:
                raise EvacuationFailed(verdict.reason)
            return server if verdict.confirmed else None

        try:
            return self.control.wait_for(probe, CONF.wait_period_after_evacuation, PROBE_PAUSE,
                                         f"evacuation of instance {self.uuid} from {self.failed_host}")
        except WaitTimeout as error:
            raise EvacuationFailed(f"Failed reason: timeout. {error}") from error

    def _wait_state(self, vm_state: str, timeout: float) -> None:
        try:
            self.control.wait_for(lambda: self.nova.get_server(self.uuid).vm_state == vm_state,
                                  timeout, CONF.verify_interval, f"instance {self.uuid} to be {vm_state}")
        except WaitTimeout as error:
            raise EvacuationFailed(str(error)) from error


def evacuate_and_record(nova, control: RunControl, failed_host: str, original: Server,
                        target: str | None = None, since: datetime.datetime | None = None,
                        watch: MigrationWatch | None = None, slot=contextlib.nullcontext(),
                        current: Server | None = None, vmoves=None) -> bool:
    """Run one guest's evacuation and write its vmove outcome; True when it succeeded.

    ``slot`` (a context manager) bounds concurrency: it is held from the evacuate call
    until Nova confirmed the evacuation. ``current`` and ``vmoves``: see
    :class:`GuestEvacuation`.
    """
    notification_uuid = control.notification_uuid

    def update_vmove(status: str, **fields) -> None:
        if vmoves is not None:
            vmoves.update(original.id, status, **fields)
        else:
            recovery_records.update_vmove(notification_uuid, original.id, status, **fields)

    try:
        dest = GuestEvacuation(nova, control, failed_host, original, target, since, watch,
                               current, vmoves).run(slot)
    except NovaNotFound:
        update_vmove("ignored", end_time=_now(), message="Instance no longer exists in Nova.")
        metrics.record_evacuation("skipped")
        return True
    except RecoveryInterrupted:
        raise
    except Exception as error:  # any failure of this guest is recorded; the others go on
        LOG.warning("Notification %s, host %s, instance %s: evacuation failed: %s",
                    notification_uuid, failed_host, original.id, error)
        update_vmove("failed", end_time=_now(), message=str(error)[:2000])
        metrics.record_evacuation("failure")
        return False
    update_vmove("succeeded", dest_host=dest, end_time=_now(), message=None)
    LOG.info("Notification %s, host %s, instance %s: evacuated to %s", notification_uuid,
             failed_host, original.id, dest)
    metrics.record_evacuation("success")
    return True
