"""Host failure tasks: take the failed compute out of Nova's view, choose guests, evacuate."""

import concurrent.futures
import logging

from masakari_ha.conf import CONF
from masakari_ha.db import recovery_records
from masakari_ha.engine import errors, evacuation, executor, limits, planning, prefetch
from masakari_ha.engine.control import RecoveryInterrupted, WaitTimeout
from masakari_ha.engine.tasks.base import MasakariTask
from masakari_ha.engine.vmove_writer import VmoveWriter

LOG = logging.getLogger(__name__)


class DisableComputeServiceTask(MasakariTask):
    """Disable nova-compute on the failed host and force it down, then confirm both.

    Upstream only disabled and then slept 180 s hoping Nova noticed the host down; forcing
    it down (microversion >= 2.11) lets evacuation start at once.
    """

    def execute(self, host_name):
        self.update_details(f"Disabling compute service on host: '{host_name}'", 0.0)
        nova = self.novaclient
        force = nova.capabilities.force_down
        reason = CONF.host_failure.service_disable_reason
        # One update carrying both changes (its answer is the service afterwards), from the
        # service as read while the flow started (see prefetch), else read first.
        read = prefetch.compute_service(self.control, host_name)
        service = nova.disable_and_force_down(host_name, reason, service=read) if force else \
            nova.disable_service(host_name, reason)
        # The service as Nova shows it after the changes: the first check needs no read.
        seen = [service]

        def confirmed():
            current = seen.pop() if seen else nova.get_compute_service(host_name)
            return current.disabled and (current.forced_down or not force)

        try:
            self.control.wait_for(confirmed, CONF.wait_period_after_service_update, CONF.verify_interval,
                                  f"compute service of host {host_name} to be disabled and forced down")
        except WaitTimeout as error:
            raise errors.RecoveryFailure(str(error)) from error
        self.update_details(f"Disabled compute service on host: '{host_name}'"
                            + (" and forced it down" if force else ""), 1.0)


class PrepareHAEnabledInstancesTask(MasakariTask):
    """List every guest of the failed host, choose and order them, record a vmove for each."""

    default_provides = "instance_list"

    def execute(self, host_name, notification_uuid):
        self.update_details("Preparing instances for evacuation", 0.0)
        # Usually read while the service was being disabled (see prefetch); the evacuation
        # task that follows in this run starts from the same listing.
        servers = prefetch.servers_on_host(self.control, self.novaclient, host_name, keep=True)
        self.update_details(f"Total instances running on failed host '{host_name}' is {len(servers)}", 0.3)
        conf = CONF.host_failure
        selection = planning.select_instances(
            servers, ha_enabled_key=conf.ha_enabled_instance_metadata_key,
            evacuate_all=conf.evacuate_all_instances, ignore_error_state=conf.ignore_instances_in_error_state)
        for skipped in selection.skipped:
            LOG.info("Notification %s, host %s, instance %s: decision skip: %s", notification_uuid,
                     host_name, skipped.server.id, skipped.reason)
        if selection.skipped:
            self.update_details("Skipped instances: " + ", ".join(
                f"'{s.server.id}' ({s.reason})" for s in selection.skipped), 0.4)
        ha_count = len(selection.ha_enabled & {s.id for s in selection.selected})
        self.update_details(f"Total HA Enabled instances count: '{ha_count}'", 0.6)
        self.update_details(f"Total Non-HA Enabled instances count: '{len(selection.selected) - ha_count}'", 0.7)
        instances = [evacuation.snapshot(s) for s in selection.selected]
        instances += self._unfinished_from_earlier_attempt(notification_uuid, {i["id"] for i in instances})
        # A guest's state before the *first* attempt decides how it is restored: a failed
        # evacuation leaves it in error, which must not become its "original" state.
        originals = executor.remember(notification_uuid, "originals", {i["id"]: i for i in instances})
        instances = [originals[i["id"]] for i in instances]
        self.update_details(f"Total instances to evacuate are '{len(instances)}'", 0.8)
        if not instances:
            message = f"Skipped host '{host_name}' recovery as no instances needs to be evacuated"
            self.update_details(message, 1.0)
            raise errors.SkipRecovery(message)
        recovery_records.ensure_vmoves(notification_uuid, host_name, [(i["id"], i["name"]) for i in instances])
        self.update_details("Instances to be evacuated are: '" + ",".join(i["id"] for i in instances) + "'", 1.0)
        return instances

    def _unfinished_from_earlier_attempt(self, notification_uuid: str, listed: set[str]) -> list[dict]:
        """Guests an earlier attempt started moving (no longer listed on the host) but did
        not finish: keep them, so a retry confirms and restores them."""
        extra = []
        for vmove in recovery_records.list_vmoves(notification_uuid):
            if vmove["status"] in ("succeeded", "ignored") or vmove["instance_uuid"] in listed:
                continue
            try:
                extra.append(evacuation.snapshot(self.novaclient.get_server(vmove["instance_uuid"])))
            except Exception as error:
                LOG.warning("Notification %s, instance %s: cannot read it again: %s",
                            notification_uuid, vmove["instance_uuid"], error)
        return extra


class EvacuateInstancesTask(MasakariTask):
    """Evacuate every pending guest with bounded concurrency and confirm each one.

    With ``reserved_host_list`` (reserved_host method) guests are spread over the reserved
    hosts by free capacity; the hosts used are enabled in Nova, taken out of the reserve
    and, with ``add_reserved_host_to_aggregate``, added to the failed host's aggregates.
    """

    def execute(self, host_name, notification_uuid, instance_list=None, reserved_host_list=None):
        self.update_details("Evacuating instances", 0.0)
        originals = {i["id"]: evacuation.from_snapshot(i) for i in (instance_list or [])}
        todo = []
        for vmove in recovery_records.list_vmoves(notification_uuid):
            if vmove["status"] in ("succeeded", "ignored"):
                continue
            uuid = vmove["instance_uuid"]
            if uuid not in originals:
                originals[uuid] = self.novaclient.get_server(uuid)
            todo.append(originals[uuid])
        targets: dict[str, str] = {}
        if reserved_host_list is not None:
            targets = self._place(host_name, todo, reserved_host_list)
            todo = [server for server in todo if server.id in targets]
        since = self.control.since
        self._evacuate_all(host_name, todo, targets, since)
        vmoves = recovery_records.list_vmoves(notification_uuid)
        failed = [v["instance_uuid"] for v in vmoves if v["status"] == "failed"]
        done = [v["instance_uuid"] for v in vmoves if v["status"] == "succeeded"]
        if done:
            self.update_details("Successfully evacuate instances '" + ",".join(done)
                                + f"' from host '{host_name}'", 0.7)
        if failed:
            message = "Failed to evacuate instances '" + ",".join(failed) + f"' from host '{host_name}'"
            self.update_details(message, 0.7)
            raise errors.RecoveryFailure(message)
        self.update_details("Evacuation process completed!", 1.0)

    def _evacuate_all(self, host_name, todo, targets, since) -> None:
        """Evacuate ``todo`` in parallel; every vmove outcome is stored when this returns.

        The guests still on the failed host are read with one listing (their state now,
        for the idempotence checks) instead of one GET each; a guest not listed there (an
        earlier attempt moved it, or it is gone) is read on its own.
        """
        if not todo:
            return
        workers = min(CONF.host_failure_recovery_threads, len(todo))
        watch = evacuation.MigrationWatch(self.novaclient, host_name)
        seeded = prefetch.evacuations_from(self.control, host_name)
        if seeded is not None:  # read after this run's claim: the idempotence check may use it
            watch.seed(*seeded)
        current = {server.id: server for server in self._servers_on_host(host_name)}
        segment = self.control.segment_uuid
        vmoves = VmoveWriter(self.notification_uuid)

        def one(server):
            target = targets.get(server.id)
            return evacuation.evacuate_and_record(self.novaclient, self.control, host_name, server,
                                                  target, since, watch, limits.evacuation_slot(target, segment),
                                                  current=current.get(server.id), vmoves=vmoves)

        interrupted = None
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                       thread_name_prefix="evacuate") as pool:
                futures = [pool.submit(one, server) for server in todo]
                for future in concurrent.futures.as_completed(futures):
                    try:
                        future.result()
                    except RecoveryInterrupted as error:
                        interrupted = error
                        pool.shutdown(wait=False, cancel_futures=True)
        finally:
            vmoves.close()
        if interrupted is not None:
            raise interrupted

    def _servers_on_host(self, host_name):
        """The failed host's guests as Nova shows them now.

        Taken from the listing the preparation task of this same run used moments ago when
        there is one (this engine has held the claim since, so nobody else acted on them),
        else listed again (a resumed run, or a custom flow without that task).
        """
        return prefetch.servers_on_host(self.control, self.novaclient, host_name)

    def _place(self, host_name, servers, reserved_host_list) -> dict[str, str]:
        if not reserved_host_list:
            raise errors.ReservedHostsUnavailable(
                f"No reserved_hosts available for evacuation of host {host_name}.")
        capacities = self.novaclient.host_capacities(reserved_host_list)
        placement = planning.assign_reserved_hosts(servers, capacities)
        LOG.info("Notification %s, host %s: decision: placement on reserved hosts %s",
                 self.notification_uuid, host_name,
                 ", ".join(f"{uuid}->{target}" for uuid, target in placement.assignments.items()))
        for note in placement.notes:
            LOG.info("Notification %s, host %s: placement note: %s", self.notification_uuid, host_name, note)
        for server in placement.unplaced:
            LOG.warning("Notification %s, host %s, instance %s: decision: no reserved host has room",
                        self.notification_uuid, host_name, server.id)
            recovery_records.update_vmove(self.notification_uuid, server.id, "failed",
                                          message="No reserved host has room for this instance.")
        if not placement.assignments and servers:
            raise errors.ReservedHostsUnavailable(
                f"No reserved host has room for the instances of host {host_name}.")
        for reserved in placement.hosts_used:
            self._take_into_service(host_name, reserved)
        return dict(placement.assignments)

    def _take_into_service(self, host_name: str, reserved: str) -> None:
        if CONF.host_failure.add_reserved_host_to_aggregate:
            for aggregate in self.novaclient.list_aggregates():
                if host_name in aggregate.hosts and reserved not in aggregate.hosts:
                    self.novaclient.add_host_to_aggregate(aggregate.id, reserved)
                    self.update_details(f"Add host {reserved} to aggregate {aggregate.name}", 0.1)
        self.novaclient.enable_service(reserved)
        if self.update_host_method is not None:
            self.update_host_method(reserved, reserved=False)
        LOG.info("Notification %s, host %s: decision: reserved host %s taken into service",
                 self.notification_uuid, host_name, reserved)
        self.update_details(f"Reserved host {reserved} enabled and taken out of the reserve", 0.2)
