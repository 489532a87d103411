"""Host failure (COMPUTE_HOST): gates, then the flow of the segment's recovery method.

=================  ==================================================================
recovery method    flows run
=================  ==================================================================
auto               auto (Nova's scheduler chooses destinations)
reserved_host      rh (guests spread over the segment's reserved hosts by capacity)
auto_priority      auto; on failure rh
rh_priority        rh; on failure auto
=================  ==================================================================
"""

import logging

from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from masakari_ha.engine import errors, executor, gates, prefetch, registry
from masakari_ha.engine.control import RecoveryInterrupted
from masakari_ha.engine.flows import host_recovery

LOG = logging.getLogger(__name__)

ACTION = "instance:evacuate"
PHASE_NAMES = {"auto": "auto", "rh": "reserved_host"}
PHASES = {
    "auto": ("auto",),
    "reserved_host": ("rh",),
    "auto_priority": ("auto", "rh"),
    "rh_priority": ("rh", "auto"),
}


def run(claim, nova, control, context, fencing_driver) -> None:
    """Recover a COMPUTE_HOST notification; raises an outcome for non-finished ends."""
    event = str(claim.payload.get("event", "")).upper()
    host = claim.host_name
    if event == "STARTED":
        if CONF.host_failure.auto_recover_host:
            host_recovery.bring_back(claim, nova, control, context)
        else:
            LOG.info("Notification %s, host %s: decision: host started, nothing to do",
                     claim.notification_uuid, host)
        return
    if event != "STOPPED":
        raise errors.IgnoreRecovery(f"Notification event {event} of host {host} is ignored.")
    if not claim.payload.get("host_status"):
        raise errors.IgnoreRecovery(f"Notification of host {host} has no host_status; ignored.")
    # One gate after the other: a held recovery (mass failure, maybe a partition) must not
    # go on to power the host off.
    for gate in (lambda: gates.mass_failure(claim), lambda: gates.fencing(claim, fencing_driver, control)):
        decision = gate()
        if not decision.passed:
            if decision.status == "ignored":
                raise errors.IgnoreRecovery(decision.reason)
            raise errors.GateClosed(decision.reason)
    # The host's guests and evacuation records are read while the flow starts and its
    # compute service is disabled (the first evacuation needs all three).
    prefetch.start(control, nova, host)
    values = {"on_maintenance": True}
    if claim.host_reserved:
        values["reserved"] = False
    recovery_records.update_host(host, **values)
    _run_phases(claim, nova, control, context)


def _run_phases(claim, nova, control, context) -> None:
    phases = PHASES[claim.recovery_method or "auto"]
    start = 0
    for index, phase in enumerate(phases):  # a resumed engine continues the phase that was running
        if index and executor.has_unfinished(claim.notification_uuid, _flow_name(phase)):
            start = index
    failures: list[tuple[str, Exception]] = []
    for phase in phases[start:]:
        try:
            _run_phase(claim, nova, control, context, phase)
            return
        except (errors.SkipRecovery, errors.IgnoreRecovery, RecoveryInterrupted):
            raise
        except Exception as error:
            failures.append((phase, error))
            if phase != phases[-1]:
                LOG.warning("Notification %s, host %s: decision: %s recovery failed (%s); falling back",
                            claim.notification_uuid, claim.host_name, phase, error)
    if len(failures) == 1:
        raise failures[0][1]
    raise errors.RecoveryFailure("; ".join(f"{PHASE_NAMES[phase]} recovery failed: {error}"
                                           for phase, error in failures))


def _flow_name(phase: str) -> str:
    return f"{ACTION}:{phase}"


def _run_phase(claim, nova, control, context, phase: str) -> None:
    options = CONF.taskflow_driver_recovery_flows
    store = {"host_name": claim.host_name, "notification_uuid": claim.notification_uuid}
    if phase == "rh":
        value = options.host_rh_failure_recovery_tasks
        store["reserved_host_list"] = [
            h["name"] for h in recovery_records.segment_hosts(claim.segment_uuid)
            if h["reserved"] and not h["on_maintenance"] and h["name"] != claim.host_name]
        if not store["reserved_host_list"] and not executor.has_unfinished(
                claim.notification_uuid, _flow_name(phase)):
            raise errors.ReservedHostsUnavailable(
                f"No reserved_hosts available for evacuation of host {claim.host_name}.")
        update_host = _update_host
    else:
        value = options.host_auto_failure_recovery_tasks
        update_host = None
    stages = registry.build_stages(value, context, nova, control=control, update_host_method=update_host)
    flow = executor.stage_flow(ACTION, stages)
    executor.run_flow(claim.notification_uuid, _flow_name(phase), flow, store, control=control)


def _update_host(host_name: str, **values) -> None:
    recovery_records.update_host(host_name, **values)
