"""Safety gates a host failure passes before anything is evacuated.

Each gate returns a :class:`Decision` and logs one line with notification, host and reason.
Fail-closed unless configured otherwise:

======================  ===========================================  =====================
gate                    passes when                                  closed →
======================  ===========================================  =====================
mass failure            ≤ ``mass_failure_threshold`` % of the         ``error`` (held)
                        segment's hosts failed within the window
fencing (noop driver)   host monitor reported ``host_status=NORMAL``  ``error`` (required)
                        (pacemaker fenced the node)                   ``ignored`` (optional)
fencing (real driver)   driver confirmed the host off (already off    ``error`` (required)
                        counts)                                       logged, go on (optional)
======================  ===========================================  =====================
"""

import dataclasses
import datetime
import logging

from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from masakari_ha.engine import planning, progress_writer
from masakari_ha.fencing.base import FencingError

LOG = logging.getLogger(__name__)

FENCING_GATE = "FencingGate"


@dataclasses.dataclass(frozen=True)
class Decision:
    passed: bool
    reason: str
    #: Status when closed: "error" (hold, retried once) or "ignored".
    status: str = "error"


def _log(gate: str, claim, decision: Decision) -> None:
    LOG.info("Notification %s, host %s: %s gate %s: %s", claim.notification_uuid, claim.host_name, gate,
             "passed" if decision.passed else "closed", decision.reason)


def mass_failure(claim, now: datetime.datetime | None = None) -> Decision:
    """Hold the recovery when too many hosts of the segment failed recently (partition?)."""
    conf = CONF.host_failure
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    hosts = [h for h in recovery_records.segment_hosts(claim.segment_uuid)] if claim.segment_uuid else []
    since = planning.failure_window_start(claim.generated_time, conf.mass_failure_window)
    failed = recovery_records.recent_host_failures(claim.segment_uuid, since) if claim.segment_uuid else set()
    failed.add(claim.source_host_uuid)
    total = len(hosts)
    if len(failed) >= conf.mass_failure_min_hosts and planning.mass_failure_exceeded(
            len(failed), total, conf.mass_failure_threshold):
        decision = Decision(False, (
            f"Mass failure guard: {len(failed)} of {total} hosts of segment {claim.segment_uuid} failed "
            f"within {conf.mass_failure_window}s (threshold {conf.mass_failure_threshold}%); recovery of "
            f"host {claim.host_name} is held, as a network partition looks the same. Check the "
            f"segment's hosts and re-run when the failures are confirmed."))
    else:
        decision = Decision(True, f"{len(failed)} of {total} hosts of the segment failed within "
                                  f"{conf.mass_failure_window}s (threshold {conf.mass_failure_threshold}%)")
    _log("mass-failure", claim, decision)
    return decision


def fencing(claim, driver, control=None) -> Decision:
    """Is the failed host confirmed off? Uses the driver, or host_status with ``noop``.

    ``control``: the run's RunControl, whose progress writer records the gate's progress
    (written at once without one)."""
    host = claim.host_name
    required = CONF.fencing.required
    host_status = str(claim.payload.get("host_status", "")).upper()

    def record(**fields) -> None:
        if control is not None:
            progress_writer.record(control, FENCING_GATE, **fields)
        else:
            recovery_records.record_progress(claim.notification_uuid, FENCING_GATE, **fields)

    def progress(message: str) -> None:
        record(message=message)

    if not getattr(driver, "proves_fencing", True):
        if host_status == "NORMAL":
            decision = Decision(True, f"host monitor reported host_status=NORMAL for {host} "
                                      f"(pacemaker fenced it); fencing driver {driver.name} does not fence")
        else:
            decision = Decision(False, (
                f"Fencing check failed for host {host}: host_status is {host_status or 'missing'} "
                f"(not NORMAL) and fencing driver '{driver.name}' cannot power the host off, so it is "
                f"not confirmed off."), "error" if required else "ignored")
    else:
        try:
            result = driver.power_off(host, f"masakari_ha notification {claim.notification_uuid}", progress)
            fenced, why = result.fenced, result.reason or result.detail
        except FencingError as error:
            fenced, why = False, str(error)
        if fenced:
            decision = Decision(True, f"fencing driver {driver.name} confirmed host {host} off")
        elif required:
            decision = Decision(False, f"Fencing check failed for host {host}: driver '{driver.name}' "
                                       f"could not confirm it off: {why}")
        elif host_status == "NORMAL":
            decision = Decision(True, f"fencing of {host} not confirmed ({why}) but [fencing] required "
                                      f"is off and the host monitor reported NORMAL")
        else:
            decision = Decision(False, f"Fencing of host {host} not confirmed ({why}) and host_status is "
                                       f"{host_status or 'missing'}; not evacuating.", "ignored")
    progress(decision.reason)
    record(progress=1.0, state="SUCCESS" if decision.passed else "FAILURE")
    _log("fencing", claim, decision)
    return decision
