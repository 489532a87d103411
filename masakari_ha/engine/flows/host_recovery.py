"""A host that failed is back (STARTED with ``[host_failure] auto_recover_host``)."""

import logging

from masakari_ha.db import recovery_records
from masakari_ha.engine import executor
from masakari_ha.engine.tasks.recover import EnableComputeServiceTask

LOG = logging.getLogger(__name__)

ACTION = "host:recovery"


def bring_back(claim, nova, control, context) -> None:
    """Un-force and re-enable the host's nova-compute, then clear its maintenance flag."""
    LOG.info("Notification %s, host %s: decision: auto_recover_host is on, bringing the host back",
             claim.notification_uuid, claim.host_name)
    flow = executor.stage_flow(ACTION, {"main": [EnableComputeServiceTask(context, nova, control=control)]})
    executor.run_flow(claim.notification_uuid, ACTION, flow, {"host_name": claim.host_name}, control=control)
    recovery_records.update_host(claim.host_name, on_maintenance=False)
    LOG.info("Notification %s, host %s: host is out of maintenance", claim.notification_uuid,
             claim.host_name)
