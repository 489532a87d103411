"""Process failure (nova-compute): disable the service and confirm; re-enable on STARTED."""

import logging

from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from masakari_ha.engine import errors, executor, registry
from masakari_ha.engine.flows import host_recovery

LOG = logging.getLogger(__name__)

ACTION = "process:recovery"
NOVA_COMPUTE = "nova-compute"


def run(claim, nova, control, context) -> None:
    payload = claim.payload
    event = str(payload.get("event", "")).upper()
    process_name = payload.get("process_name")
    host = claim.host_name
    if event == "STARTED":
        if process_name == NOVA_COMPUTE and CONF.host_failure.auto_recover_host:
            host_recovery.bring_back(claim, nova, control, context)
            return
        LOG.info("Notification %s, host %s: decision: process %s started, nothing to do",
                 claim.notification_uuid, host, process_name)
        return
    if event != "STOPPED":
        raise errors.IgnoreRecovery(f"Notification event {event} of process {process_name} on host "
                                    f"{host} is ignored.")
    recovery_records.update_host(host, on_maintenance=True)
    if process_name != NOVA_COMPUTE:
        message = f"Skipping recovery for process {process_name}: only {NOVA_COMPUTE} has a recovery flow."
        LOG.info("Notification %s, host %s: decision skip: %s", claim.notification_uuid, host, message)
        raise errors.SkipRecovery(message)
    stages = registry.build_stages(CONF.taskflow_driver_recovery_flows.process_failure_recovery_tasks,
                                   context, nova, control=control)
    flow = executor.stage_flow(ACTION, stages)
    executor.run_flow(claim.notification_uuid, ACTION, flow,
                      {"process_name": process_name, "host_name": host,
                       "notification_uuid": claim.notification_uuid}, control=control)
