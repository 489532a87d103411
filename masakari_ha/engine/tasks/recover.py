"""Bringing a repaired host back ([host_failure] auto_recover_host): un-force, re-enable."""

import logging

from masakari_ha.compute import ForceUpRefused
from masakari_ha.conf import CONF
from masakari_ha.engine import errors
from masakari_ha.engine.control import WaitTimeout
from masakari_ha.engine.tasks.base import MasakariTask

LOG = logging.getLogger(__name__)


class EnableComputeServiceTask(MasakariTask):
    """Clear ``forced_down`` and enable nova-compute on a host that came back.

    Nova refuses to un-force while evacuation records from the host are ``done`` (it turns
    them ``completed`` when the host's nova-compute restarts), so the un-force is retried
    until ``wait_period_after_service_update`` with the reason in the error if it never
    succeeds.
    """

    def execute(self, host_name):
        self.update_details(f"Bringing compute service of host '{host_name}' back", 0.0)
        nova = self.novaclient
        refusal = []

        def unforced():
            if not nova.capabilities.force_down:
                return True
            try:
                return not nova.force_down(host_name, False).forced_down
            except ForceUpRefused as error:
                refusal[:] = [str(error)]
                return False

        try:
            self.control.wait_for(unforced, CONF.wait_period_after_service_update, CONF.verify_interval,
                                  f"Nova to accept un-forcing the compute service of host {host_name}")
        except WaitTimeout as error:
            reason = refusal[0] if refusal else str(error)
            raise errors.RecoveryFailure(
                f"Nova still refuses to un-force the compute service of host {host_name} after "
                f"{CONF.wait_period_after_service_update}s: {reason}. Its nova-compute must restart "
                f"(to complete its evacuation records) before the host can come back.") from error
        nova.enable_service(host_name)
        try:
            self.control.wait_for(lambda: not nova.get_compute_service(host_name).disabled,
                                  CONF.wait_period_after_service_update, CONF.verify_interval,
                                  f"compute service of host {host_name} to be enabled")
        except WaitTimeout as error:
            raise errors.RecoveryFailure(str(error)) from error
        self.update_details(f"Compute service of host '{host_name}' is enabled and not forced down", 1.0)
