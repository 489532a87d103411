"""Nova's rules for server and service actions, as mixins of :class:`SimulatedCloud`.

Each public method checks what real Nova checks (and answers with real Nova's HTTP code and
message via :class:`NovaError`), changes state at once where Nova's API does, and schedules the
rest as events where Nova's conductor/compute do it asynchronously. The methods assume the mixin's
host class provides the lock, the event queue and the lookups (see cloud.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from masakari_ha.simulator.nova import model
from masakari_ha.simulator.nova.model import Aggregate, Migration, NovaError, Server
from masakari_ha.simulator.nova.scheduler import choose_host

EVACUABLE_VM_STATES = (model.ACTIVE, model.STOPPED, model.ERROR)
UNFORCE_REFUSED = ("Unable to force up host {host} as `done` evacuation migration records remain "
                   "associated with the host. Ensure the compute service has been restarted, "
                   "allowing these records to move to `completed` before retrying this request.")


class ServerActionsMixin:
    """evacuate, os-stop, os-start, lock, unlock, os-resetState, metadata, server listing."""

    # ----------------------------------------------------------------- listing
    def list_servers(self, project_id: str | None = None, host: str | None = None,
                     limit: int | None = None, marker: str | None = None,
                     status: str | None = None, name: str | None = None
                     ) -> tuple[list[Server], int]:
        """A page of servers (newest first) and the limit that applied.

        ``project_id=None`` lists every project (all_tenants). The caller adds a ``next`` link
        when the page is full, as Nova does.
        """
        if limit is not None and limit < 0:
            raise NovaError(400, "limit param must be positive")
        page_size = self.max_limit if limit is None else min(limit, self.max_limit)
        with self._lock:
            self._advance()
            matching = [s for s in self.servers.values()
                        if (project_id is None or s.project_id == project_id)
                        and (host is None or s.host == host)
                        and (status is None or _status(s) == status.upper())
                        and (name is None or name in s.name)]
            matching.sort(key=lambda s: (s.created_at, s.uuid), reverse=True)
            start = 0
            if marker is not None:
                for index, server in enumerate(matching):
                    if server.uuid == marker:
                        start = index + 1
                        break
                else:
                    if marker not in self.servers:
                        raise NovaError(400, f"marker [{marker}] not found")
                    start = len(matching)
            page = matching[start:start + page_size]
            return [dataclasses.replace(s, metadata=dict(s.metadata)) for s in page], page_size

    # ----------------------------------------------------------------- evacuate
    def evacuate(self, uuid: str, host: str | None = None, force: bool = False,
                 target_state: str | None = None) -> Migration:
        """Accept an evacuation as nova-api does; the rest happens in scheduled events.

        ``force`` (2.29–2.67) skips the scheduler's checks of a named host; ``target_state``
        ``"stopped"`` is what microversion 2.95 asks for.
        """
        with self._lock:
            self._advance()
            server = self._server(uuid)
            if host is not None:
                if host not in self.hosts:
                    raise NovaError(404, f"Compute host {host} not found.")
                if host == server.host:
                    raise NovaError(400, "The target host can't be the same one.")
            if server.vm_state not in EVACUABLE_VM_STATES or server.task_state is not None:
                raise model.invalid_state("evacuate", server)
            source = server.host
            if source is None:
                raise model.invalid_state("evacuate", server)
            if self._is_up(self._compute_service(source)):
                raise NovaError(400, f"Compute service of {source} is still in use.")
            now = self._now()
            server.task_state = model.REBUILDING
            server.updated_at = now
            mig = Migration(id=self._next_id("migration"), uuid=model.new_uuid(),
                            instance_uuid=uuid, source_compute=source,
                            source_node=self.hosts[source].node,
                            dest_compute=host, dest_node=None, status=model.MIGRATION_ACCEPTED,
                            migration_type="evacuation", created_at=now, updated_at=now,
                            project_id=server.project_id, user_id=server.user_id)
            self.migrations[mig.id] = mig
            self._evacuate_calls[uuid] += 1
            settle_state = model.STOPPED if (target_state == model.STOPPED
                                             or server.vm_state == model.STOPPED) else model.ACTIVE
            schedule_delay = self.latency.duration("evacuate_schedule")
            total = max(self.latency.duration("evacuate"), schedule_delay)
            self._schedule(schedule_delay, self._evacuate_scheduled, mig.id, host, force,
                           settle_state, total - schedule_delay)
            return dataclasses.replace(mig)

    def _evacuate_scheduled(self, at: float, mig_id: int, requested: str | None, force: bool,
                            settle_state: str, remaining: float) -> None:
        mig = self.migrations[mig_id]
        server = self.servers[mig.instance_uuid]
        if requested is not None and force:
            dest = requested
        else:
            candidates = [self._candidate(h) for h in self.hosts.values()]
            dest = choose_host(candidates, server.flavor, exclude=mig.source_compute,
                               requested=requested)
        if dest is None:
            mig.status = model.MIGRATION_ERROR
            mig.updated_at = at
            server.vm_state, server.task_state = model.ERROR, None
            server.updated_at = at
            server.fault = {"code": 500, "created": at,
                            "message": "No valid host was found. There are not enough hosts "
                                       "available."}
            return
        mig.dest_compute, mig.dest_node = dest, self.hosts[dest].node
        mig.status = model.MIGRATION_PRE_MIGRATING
        mig.updated_at = at
        self._place(server, dest)
        server.task_state = model.REBUILD_SPAWNING
        server.updated_at = at
        self._schedule_at(at + remaining, self._evacuate_finished, mig_id, settle_state)

    def _evacuate_finished(self, at: float, mig_id: int, settle_state: str) -> None:
        mig = self.migrations[mig_id]
        server = self.servers[mig.instance_uuid]
        dest = self.hosts.get(mig.dest_compute or "")
        if dest is None or not dest.alive:
            return  # the destination died mid-rebuild: the guest stays stuck, as in Nova
        if self.faults.evacuation_fails(server.uuid):
            mig.status = model.MIGRATION_FAILED
            self._place(server, mig.source_compute)
            server.vm_state, server.task_state, server.power_state = model.ERROR, None, model.NOSTATE
            server.fault = {"code": 500, "created": at,
                            "message": "Rebuild of the instance failed on the destination host "
                                       "(injected fault)."}
        else:
            mig.status = model.MIGRATION_DONE
            server.vm_state, server.task_state = settle_state, None
            server.power_state = model.POWER_FOR_VM_STATE[settle_state]
            server.fault = None
            server.launched_at = at
        mig.updated_at = server.updated_at = at

    # ----------------------------------------------------------------- power actions
    def stop(self, uuid: str, admin: bool = True) -> None:
        with self._lock:
            self._advance()
            server = self._server(uuid)
            self._check_lock(server, "stop", admin)
            if server.vm_state not in (model.ACTIVE, model.ERROR) or server.task_state:
                raise model.invalid_state("stop", server)
            self._power_action(server, model.POWERING_OFF, self.latency.duration("stop"))

    def start(self, uuid: str, admin: bool = True) -> None:
        with self._lock:
            self._advance()
            server = self._server(uuid)
            self._check_lock(server, "start", admin)
            if server.vm_state != model.STOPPED or server.task_state:
                raise model.invalid_state("start", server)
            self._power_action(server, model.POWERING_ON, self.latency.duration("start"))

    def _power_action(self, server: Server, task_state: str, duration: float) -> None:
        server.task_state = task_state
        server.updated_at = self._now()
        self._schedule(duration, self._finish_power, server.uuid, task_state)

    def _finish_power(self, at: float, uuid: str, task_state: str) -> None:
        server = self.servers.get(uuid)
        if server is None or server.task_state != task_state:
            return
        host = self.hosts.get(server.host or "")
        if host is None or not host.alive:
            return  # the cast went to a dead compute: stuck until it restarts
        settled = model.STOPPED if task_state == model.POWERING_OFF else model.ACTIVE
        server.vm_state, server.task_state = settled, None
        server.power_state = model.POWER_FOR_VM_STATE[settled]
        server.updated_at = at

    def crash(self, uuid: str) -> None:
        """The guest's qemu process dies on its (alive) host.

        Nova learns it from the libvirt lifecycle event after ``latency.power_sync`` seconds:
        ``_sync_instance_power_state`` records power_state SHUTDOWN and, the guest being
        ``active``, stops it, so it settles ``stopped`` - the state masakari's instance-failure
        flow (stop, start, confirm active) starts from. Until then Nova still shows it running.
        """
        with self._lock:
            self._advance()
            server = self._server(uuid)
            if server.vm_state != model.ACTIVE or server.task_state is not None:
                raise model.invalid_state("crash", server)
            self._schedule(self.latency.duration("power_sync"), self._power_synced, uuid)

    def _power_synced(self, at: float, uuid: str) -> None:
        server = self.servers.get(uuid)
        host = self.hosts.get(server.host or "") if server else None
        if server is None or host is None or not host.alive:
            return
        server.power_state = model.SHUTDOWN
        if server.vm_state == model.ACTIVE and server.task_state is None:
            server.vm_state = model.STOPPED
        server.updated_at = at

    @staticmethod
    def _check_lock(server: Server, action: str, admin: bool) -> None:
        if server.locked and not admin:
            raise NovaError(409, f"Instance {server.uuid} is locked")

    # ----------------------------------------------------------------- lock / reset / metadata
    def lock(self, uuid: str, reason: str | None = None, by: str = "admin") -> None:
        with self._lock:
            self._advance()
            server = self._server(uuid)
            server.locked, server.locked_reason, server.locked_by = True, reason, by
            server.updated_at = self._now()

    def unlock(self, uuid: str, admin: bool = True) -> None:
        with self._lock:
            self._advance()
            server = self._server(uuid)
            if server.locked and server.locked_by == "admin" and not admin:
                raise NovaError(409, f"Instance {uuid} is locked")
            server.locked, server.locked_reason, server.locked_by = False, None, None
            server.updated_at = self._now()

    def reset_state(self, uuid: str, state: str) -> None:
        if state not in (model.ACTIVE, model.ERROR):
            raise NovaError(400, "Invalid input for field/attribute state. Value: "
                                 f"{state}. '{state}' is not one of ['active', 'error']")
        with self._lock:
            self._advance()
            server = self._server(uuid)
            server.vm_state, server.task_state = state, None
            server.updated_at = self._now()

    def set_metadata(self, uuid: str, metadata: dict[str, str], replace: bool = False
                     ) -> dict[str, str]:
        for key, value in metadata.items():
            if not isinstance(key, str) or not 1 <= len(key) <= 255:
                raise NovaError(400, "Invalid input for field/attribute metadata key.")
            if not isinstance(value, str) or len(value) > 255:
                raise NovaError(400, f"Invalid input for field/attribute {key}. "
                                     "Value: must be a string of at most 255 characters")
        with self._lock:
            self._advance()
            server = self._server(uuid)
            if replace:
                server.metadata = dict(metadata)
            else:
                server.metadata.update(metadata)
            server.updated_at = self._now()
            return dict(server.metadata)

    def delete_metadata(self, uuid: str, key: str) -> None:
        with self._lock:
            self._advance()
            server = self._server(uuid)
            if key not in server.metadata:
                raise NovaError(404, "Metadata item was not found")
            del server.metadata[key]


class ServiceActionsMixin:
    """os-services updates (2.53 and legacy) and os-aggregates host membership."""

    def _service_by_ref(self, ref: int | str) -> model.Service:
        for svc in self.services.values():
            if svc.uuid == ref or svc.id == ref:
                return svc
        raise NovaError(404, f"Service {ref} could not be found.")

    def find_service(self, host: str, binary: str) -> model.Service:
        with self._lock:
            for svc in self.services.values():
                if svc.host == host and svc.binary == binary:
                    return dataclasses.replace(svc)
        raise NovaError(404, f"Service {binary} on host {host} could not be found.")

    def update_service(self, ref: int | str, status: str | None = None,
                       disabled_reason: str | None = None,
                       forced_down: bool | None = None) -> Any:
        """PUT /os-services/{id} semantics (2.53); also used by the legacy actions."""
        with self._lock:
            self._advance()
            svc = self._service_by_ref(ref)
            if svc.binary != "nova-compute" and forced_down is not None:
                raise NovaError(400, f"Updating a {svc.binary} service is not supported. "
                                     "Only nova-compute services can be updated.")
            if forced_down is False and svc.forced_down:
                if any(m.source_compute == svc.host and m.migration_type == "evacuation"
                       and m.status == model.MIGRATION_DONE for m in self.migrations.values()):
                    raise NovaError(400, UNFORCE_REFUSED.format(host=svc.host))
            if status is not None:
                svc.disabled = status == "disabled"
                svc.disabled_reason = disabled_reason if svc.disabled else None
            if forced_down is not None:
                svc.forced_down = forced_down
            svc.updated_at = self._now()
            return self._service_view(svc)

    # ----------------------------------------------------------------- aggregates
    def _create_aggregate(self, name: str, availability_zone: str | None) -> Aggregate:
        if not name or len(name) > 255:
            raise NovaError(400, "Invalid input for field/attribute name.")
        if any(a.name == name for a in self.aggregates.values()):
            raise NovaError(409, f"Aggregate {name} already exists.")
        agg = Aggregate(id=self._next_id("aggregate"), uuid=model.new_uuid(), name=name,
                        availability_zone=availability_zone, created_at=self._now())
        if availability_zone:
            agg.metadata["availability_zone"] = availability_zone
        self.aggregates[agg.id] = agg
        return agg

    def create_aggregate(self, name: str, availability_zone: str | None = None) -> Aggregate:
        with self._lock:
            self._advance()
            return dataclasses.replace(self._create_aggregate(name, availability_zone))

    def _aggregate(self, agg_id: int | str) -> Aggregate:
        for agg in self.aggregates.values():
            if str(agg.id) == str(agg_id) or agg.uuid == agg_id:
                return agg
        raise NovaError(404, f"Aggregate {agg_id} could not be found.")

    def get_aggregate(self, agg_id: int | str) -> Aggregate:
        with self._lock:
            agg = self._aggregate(agg_id)
            return dataclasses.replace(agg, hosts=list(agg.hosts), metadata=dict(agg.metadata))

    def aggregate_add_host(self, agg_id: int | str, host: str) -> Aggregate:
        with self._lock:
            self._advance()
            agg = self._aggregate(agg_id)
            if host not in self.hosts:
                raise NovaError(404, f"Compute host {host} could not be found.")
            if host in agg.hosts:
                raise NovaError(409, f"Aggregate {agg.id} already has host {host}.")
            agg.hosts.append(host)
            agg.updated_at = self._now()
            return dataclasses.replace(agg, hosts=list(agg.hosts), metadata=dict(agg.metadata))

    def aggregate_remove_host(self, agg_id: int | str, host: str) -> Aggregate:
        with self._lock:
            self._advance()
            agg = self._aggregate(agg_id)
            if host not in agg.hosts:
                raise NovaError(404, f"Cannot remove host {host} in aggregate {agg.id}")
            agg.hosts.remove(host)
            agg.updated_at = self._now()
            return dataclasses.replace(agg, hosts=list(agg.hosts), metadata=dict(agg.metadata))


def _status(server: Server) -> str:
    return model.STATUS_FOR_TASK_STATE.get(server.task_state or "",
                                           model.STATUS_FOR_VM_STATE[server.vm_state])


server_status = _status
