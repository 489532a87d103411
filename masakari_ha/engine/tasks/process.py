"""Process (nova-compute) failure tasks: disable the compute service and confirm it."""

import logging

from masakari_ha.conf import CONF
from masakari_ha.engine import errors
from masakari_ha.engine.control import WaitTimeout
from masakari_ha.engine.tasks.base import MasakariTask

LOG = logging.getLogger(__name__)


class DisableComputeNodeTask(MasakariTask):
    """Disable scheduling to the host whose nova-compute process died (no-op if disabled)."""

    def execute(self, process_name, host_name):
        self.update_details(f"Disabling compute service on host: '{host_name}'", 0.0)
        service = self.novaclient.get_compute_service(host_name)
        if service.disabled:
            self.update_details(f"Skipping recovery for process {process_name} as it is "
                                f"already disabled", 1.0)
            return
        self.novaclient.disable_service(host_name, CONF.process_failure.service_disable_reason)
        self.update_details(f"Disabled compute service on host: '{host_name}'", 1.0)


class ConfirmComputeNodeDisabledTask(MasakariTask):
    """Poll Nova until the service shows disabled (bounded by wait_period_after_service_update)."""

    def execute(self, process_name, host_name):
        self.update_details("Checking whether compute service is disabled on host: "
                            f"'{host_name}'", 0.0)
        try:
            self.control.wait_for(
                lambda: self.novaclient.get_compute_service(host_name).disabled,
                CONF.wait_period_after_service_update, CONF.verify_interval,
                f"compute service of host {host_name} to be disabled")
        except WaitTimeout as error:
            raise errors.RecoveryFailure(
                f"Failed to disable compute service of host {host_name}: {error}") from error
        self.update_details(f"Confirmed compute service is disabled on host: '{host_name}'", 1.0)
