"""Instance (VM) failure tasks: stop → start → confirm active, the guest locked meanwhile."""

import logging

from oslo_utils import strutils

from masakari_ha import metrics
from masakari_ha.compute import NovaNotFound
from masakari_ha.conf import CONF
from masakari_ha.engine import errors
from masakari_ha.engine.control import WaitTimeout
from masakari_ha.engine.tasks.base import MasakariTask

LOG = logging.getLogger(__name__)

LOCK_REASON = "masakari_ha instance recovery"
#: Nova task states of a power action already in flight (asking again would be a 409).
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"


def is_ha_enabled(metadata, key: str) -> bool:
    """Upstream's lenient bool parse of the HA metadata value; absent means False."""
    return strutils.bool_from_string(metadata.get(key, "False"), default=False)


class StopInstanceTask(MasakariTask):
    """Decide whether the guest is ours to recover, lock it, and make sure it is stopped."""

    default_provides = "instance_was_locked"

    def execute(self, instance_uuid):
        self.update_details(f"Stopping instance: {instance_uuid}", 0.0)
        try:
            server = self.novaclient.get_server(instance_uuid)
        except NovaNotFound:
            raise errors.IgnoreRecovery(f"Instance {instance_uuid} no longer exists in Nova.")
        key = CONF.instance_failure.ha_enabled_instance_metadata_key
        if not CONF.instance_failure.process_all_instances and not is_ha_enabled(server.metadata, key):
            message = (f"Skipping recovery for instance: {instance_uuid} as it is not "
                       f"Ha_Enabled (metadata {key}).")
            LOG.info("Notification %s, instance %s, host %s: decision skip: %s",
                     self.notification_uuid, instance_uuid, server.host, message)
            self.update_details(message, 1.0)
            raise errors.SkipRecovery(message)
        if server.vm_state in ("paused", "rescued"):
            message = (f"Recovery of instance {instance_uuid} is ignored as it is in "
                       f"'{server.vm_state}' state.")
            LOG.info("Notification %s, instance %s, host %s: decision ignore: %s",
                     self.notification_uuid, instance_uuid, server.host, message)
            self.update_details(message, 1.0)
            raise errors.IgnoreRecovery(message)
        was_locked = server.locked
        if not was_locked:
            self.novaclient.lock(instance_uuid, reason=LOCK_REASON)
        if server.vm_state != "stopped" and server.task_state != POWERING_OFF:
            if server.vm_state == "resized":
                self.novaclient.reset_state(instance_uuid, "active")
            self.novaclient.stop(instance_uuid)
        self.control.wait_for(
            lambda: self.novaclient.get_server(instance_uuid).vm_state == "stopped",
            CONF.wait_period_after_power_off, CONF.verify_interval,
            f"instance {instance_uuid} to stop")
        self.update_details(f"Stopped instance: '{instance_uuid}'", 1.0)
        return was_locked

    def revert(self, instance_uuid, result=None, **kwargs):
        if result is False:  # we locked it; give the owner their guest back
            try:
                self.novaclient.unlock(instance_uuid)
            except Exception:
                LOG.exception("Could not unlock instance %s after a failed recovery", instance_uuid)


class StartInstanceTask(MasakariTask):
    """Start the stopped guest (a guest already active after a resume is left alone)."""

    def execute(self, instance_uuid):
        self.update_details(f"Starting instance: '{instance_uuid}'", 0.0)
        server = self.novaclient.get_server(instance_uuid)
        if server.vm_state == "stopped" and server.task_state != POWERING_ON:
            self.novaclient.start(instance_uuid)
        elif server.vm_state != "active" and server.task_state != POWERING_ON:
            raise errors.RecoveryFailure(
                f"Invalid state for Instance {instance_uuid}. Expected state: 'STOPPED', "
                f"Actual state: '{(server.vm_state or 'unknown').upper()}'")
        self.update_details(f"Instance started: '{instance_uuid}'", 1.0)


class ConfirmInstanceActiveTask(MasakariTask):
    """Wait until Nova reports the guest active, then unlock it if recovery locked it."""

    def execute(self, instance_uuid, instance_was_locked=None):
        self.update_details(f"Confirming instance '{instance_uuid}' vm_state is ACTIVE", 0.0)
        try:
            self.control.wait_for(
                lambda: self.novaclient.get_server(instance_uuid).vm_state == "active",
                CONF.wait_period_after_power_on, CONF.verify_interval,
                f"instance {instance_uuid} to become active")
        except WaitTimeout as error:
            metrics.record_restart("failure")
            raise errors.RecoveryFailure(f"Failed to start instance {instance_uuid}: {error}") from error
        metrics.record_restart("success")
        if instance_was_locked is False:
            self.novaclient.unlock(instance_uuid)
        self.update_details(f"Confirmed instance '{instance_uuid}' vm_state is ACTIVE", 1.0)
