"""Instance (VM) failure: upstream's event whitelist, then stop → start → confirm active."""

import logging

from masakari_ha.conf import CONF
from masakari_ha.engine import errors, executor, registry

LOG = logging.getLogger(__name__)

ACTION = "instance:recovery"

#: (event, vir_domain_event) pairs upstream recovers; everything else is ignored.
RECOVERABLE_EVENTS = frozenset({
    ("LIFECYCLE", "STOPPED_FAILED"),
    ("QEMU_GUEST_AGENT_ERROR", "STOPPED_FAILED"),
    ("IO_ERROR", "IO_ERROR_REPORT"),
})


def run(claim, nova, control, context) -> None:
    """Recover the instance of a VM notification; raises an outcome for non-finished ends."""
    payload = claim.payload
    event = str(payload.get("event", "")).upper()
    domain_event = str(payload.get("vir_domain_event", "")).upper()
    instance_uuid = payload.get("instance_uuid")
    if (event, domain_event) not in RECOVERABLE_EVENTS or not instance_uuid:
        message = (f"Notification {claim.notification_uuid} of instance {instance_uuid} with event "
                   f"{event}/{domain_event} is ignored: only {sorted(RECOVERABLE_EVENTS)} are recovered.")
        LOG.info("Notification %s, host %s, instance %s: decision ignore: %s", claim.notification_uuid,
                 claim.host_name, instance_uuid, message)
        raise errors.IgnoreRecovery(message)
    stages = registry.build_stages(CONF.taskflow_driver_recovery_flows.instance_failure_recovery_tasks,
                                   context, nova, control=control)
    flow = executor.stage_flow(ACTION, stages)
    executor.run_flow(claim.notification_uuid, ACTION, flow,
                      {"instance_uuid": instance_uuid, "notification_uuid": claim.notification_uuid},
                      control=control)
