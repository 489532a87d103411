"""The emulated cloud: hosts, services, servers, migrations and aggregates in memory.

:class:`SimulatedCloud` is the single source of truth behind the Nova emulator's HTTP routes and the
control API tests use. It does no I/O and never sleeps: actions schedule *events* due at a clock
time, and every public method first applies the events that are due (under one lock), so with a
:class:`~masakari_ha.simulator.clock.ManualClock` the whole state machine is deterministic.

Service liveness follows Nova's DB servicegroup driver: a service is up when it is not forced down
and its host's nova-compute reported within ``service_down_time`` seconds. A killed host stops
reporting; ``kill_host(..., immediate=True)`` back-dates the last report so it is down at once.
"""

from __future__ import annotations

import collections
import dataclasses
import heapq
import itertools
import threading
import time
from typing import Any, Callable, Iterable

from masakari_ha.simulator.clock import Clock, ManualClock, RealClock
from masakari_ha.simulator.nova import latency as latency_mod
from masakari_ha.simulator.nova import model
from masakari_ha.simulator.nova.actions import ServerActionsMixin, ServiceActionsMixin
from masakari_ha.simulator.nova.faults import FaultInjector, HttpFault
from masakari_ha.simulator.nova.model import (Aggregate, Flavor, Host, Migration, NovaError,
                                              Server, Service)
from masakari_ha.simulator.nova.scheduler import Candidate

DEFAULT_PROJECT_ID = "00000000000000000000000000000001"
DEFAULT_USER_ID = "00000000000000000000000000000002"


@dataclasses.dataclass
class ServiceView:
    """A service snapshot plus its computed liveness (what GET /os-services shows)."""

    service: Service
    up: bool
    updated_at: float


class SimulatedCloud(ServerActionsMixin, ServiceActionsMixin):
    """In-memory Nova state with Nova's rules; thread-safe."""

    def __init__(self, clock: Clock | None = None,
                 latency: latency_mod.LatencyProfile | None = None,
                 service_down_time: float = 60.0, max_limit: int = 1000,
                 project_id: str = DEFAULT_PROJECT_ID, user_id: str = DEFAULT_USER_ID,
                 controller_host: str = "controller") -> None:
        self._lock = threading.RLock()
        self.clock = clock or RealClock()
        self.latency = latency or latency_mod.profile("fast")
        self.faults = FaultInjector()
        self.service_down_time = service_down_time
        self.max_limit = max_limit
        self.project_id = project_id
        self.user_id = user_id
        self.hosts: dict[str, Host] = {}
        self.services: dict[int, Service] = {}
        self.servers: dict[str, Server] = {}
        self.migrations: dict[int, Migration] = {}
        self.aggregates: dict[int, Aggregate] = {}
        self._compute_by_host: dict[str, Service] = {}
        self._used: dict[str, list[int]] = {}  # host -> [vcpus, ram, disk, count]
        self._events: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._ids = collections.defaultdict(itertools.count)
        self._evacuate_calls: collections.Counter[str] = collections.Counter()
        self._call_counts: collections.Counter[str] = collections.Counter()
        self._server_seq = itertools.count()
        for binary in ("nova-scheduler", "nova-conductor"):
            self._add_service(controller_host, binary, "internal")

    # ----------------------------------------------------------------- events and time
    def _now(self) -> float:
        return self.clock.now()

    def _schedule(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self._schedule_at(self._now() + delay, fn, *args)

    def _schedule_at(self, due: float, fn: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._events, (due, next(self._seq), fn, args))

    def _advance(self) -> None:
        now = self._now()
        while self._events and self._events[0][0] <= now:
            due, _, fn, args = heapq.heappop(self._events)
            fn(due, *args)

    def run_due(self) -> None:
        """Apply every transition whose time has come (any public call does this too)."""
        with self._lock:
            self._advance()

    def pending_events(self) -> int:
        with self._lock:
            self._advance()
            return len(self._events)

    def wait_idle(self, timeout: float = 10.0, interval: float = 0.01) -> bool:
        """With a real clock: wait until no transition is pending (True) or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while self.pending_events():
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)
        return True

    def advance(self, seconds: float) -> None:
        """Move a ManualClock forward and apply what became due (unit tests)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; a real clock moves by itself")
        self.clock.advance(seconds)
        self.run_due()

    def _next_id(self, kind: str) -> int:
        return next(self._ids[kind]) + 1

    # ----------------------------------------------------------------- inventory
    def _add_service(self, host: str, binary: str, zone: str) -> Service:
        svc = Service(id=self._next_id("service"), uuid=model.new_uuid(), host=host, binary=binary,
                      zone=zone, created_at=self._now())
        self.services[svc.id] = svc
        return svc

    def add_host(self, name: str, vcpus: int = 64, memory_mb: int = 262144, local_gb: int = 2000,
                 host_ip: str | None = None, hypervisor_hostname: str | None = None) -> Host:
        """Register a compute node with a running nova-compute service (enabled, up).

        ``hypervisor_hostname`` (e.g. an FQDN) lets the node name differ from the service host
        name, as with libvirt on many clouds; guests then report it as
        ``OS-EXT-SRV-ATTR:hypervisor_hostname``.
        """
        if not name or not isinstance(name, str):
            raise ValueError("a host needs a name")
        with self._lock:
            self._advance()
            if name in self.hosts:
                raise NovaError(409, f"Compute host {name} already exists.")
            number = len(self.hosts) + 1
            host = Host(name=name, vcpus=vcpus, memory_mb=memory_mb, local_gb=local_gb,
                        hypervisor_id=number, host_ip=host_ip or f"192.0.2.{number % 250 + 1}",
                        node=hypervisor_hostname or name)
            self.hosts[name] = host
            self._used[name] = [0, 0, 0, 0]
            self._compute_by_host[name] = self._add_service(name, "nova-compute", "nova")
            return dataclasses.replace(host)

    def add_server(self, host: str, name: str | None = None,
                   metadata: dict[str, str] | None = None, vm_state: str = model.ACTIVE,
                   task_state: str | None = None, power_state: int | None = None,
                   flavor: Flavor | None = None, project_id: str | None = None,
                   locked: bool = False, uuid: str | None = None) -> Server:
        """Place a guest on ``host`` directly (as if booted long ago); returns a snapshot."""
        if vm_state not in model.VM_STATES:
            raise ValueError(f"unknown vm_state {vm_state!r}")
        with self._lock:
            self._advance()
            self._host(host, code=400)
            now = self._now()
            number = next(self._server_seq)
            server = Server(
                uuid=uuid or model.new_uuid(), name=name or f"{host}-vm-{number}",
                project_id=project_id or self.project_id, user_id=self.user_id, host=None,
                created_at=now + number * 1e-6, updated_at=now, flavor=flavor or model.DEFAULT_FLAVOR,
                vm_state=vm_state, task_state=task_state,
                power_state=(model.POWER_FOR_VM_STATE[vm_state] if power_state is None
                             else power_state),
                metadata={str(k): str(v) for k, v in (metadata or {}).items()},
                locked=locked, locked_by="admin" if locked else None, launched_at=now)
            if server.uuid in self.servers:
                raise NovaError(409, f"Instance {server.uuid} already exists.")
            self.servers[server.uuid] = server
            if vm_state != model.SHELVED_OFFLOADED:
                self._place(server, host)
            return dataclasses.replace(server)

    def add_aggregate(self, name: str, hosts: Iterable[str] = (),
                      availability_zone: str | None = None) -> Aggregate:
        with self._lock:
            self._advance()
            agg = self._create_aggregate(name, availability_zone)
            for host in hosts:
                self.aggregate_add_host(agg.id, host)
            return dataclasses.replace(agg, hosts=list(agg.hosts))

    # ----------------------------------------------------------------- capacity bookkeeping
    def _place(self, server: Server, host: str | None) -> None:
        """Move ``server`` to ``host`` keeping per-host usage counters exact."""
        if server.host is not None:
            used = self._used[server.host]
            used[0] -= server.flavor.vcpus
            used[1] -= server.flavor.ram
            used[2] -= server.flavor.disk
            used[3] -= 1
        server.host = host
        if host is not None:
            used = self._used[host]
            used[0] += server.flavor.vcpus
            used[1] += server.flavor.ram
            used[2] += server.flavor.disk
            used[3] += 1

    def usage(self, host: str) -> dict[str, int]:
        with self._lock:
            self._advance()
            vcpus, ram, disk, count = self._used[self._host(host).name]
            return {"vcpus_used": vcpus, "memory_mb_used": ram, "local_gb_used": disk,
                    "running_vms": count}

    def _candidate(self, host: Host) -> Candidate:
        svc = self._compute_service(host.name)
        vcpus, ram, disk, _ = self._used[host.name]
        full = host.capacity_full
        return Candidate(name=host.name, enabled=not svc.disabled, up=self._is_up(svc),
                         free_vcpus=0 if full else host.vcpus - vcpus,
                         free_ram_mb=0 if full else host.memory_mb - ram,
                         free_disk_gb=0 if full else host.local_gb - disk)

    def set_capacity_full(self, host: str, full: bool = True) -> None:
        """Make ``host`` report no free resources to the scheduler (failure injection)."""
        with self._lock:
            self._advance()
            self._host(host).capacity_full = full

    # ----------------------------------------------------------------- liveness
    def _compute_service(self, host: str) -> Service:
        try:
            return self._compute_by_host[host]
        except KeyError:
            raise NovaError(404, f"Compute host {host} could not be found.") from None

    def _last_seen(self, svc: Service) -> float:
        host = self.hosts.get(svc.host)
        if host is None or host.alive:
            return self._now()
        return host.died_at if host.died_at is not None else self._now()

    def _is_up(self, svc: Service) -> bool:
        if svc.forced_down:
            return False
        return self._now() - self._last_seen(svc) <= self.service_down_time

    def _service_view(self, svc: Service) -> ServiceView:
        return ServiceView(service=dataclasses.replace(svc), up=self._is_up(svc),
                           updated_at=self._last_seen(svc))

    def kill_host(self, name: str, immediate: bool = False) -> None:
        """The host dies: its nova-compute stops reporting and its guests stop progressing.

        Nova keeps showing the guests as they were; the service turns ``down`` after
        ``service_down_time`` (at once with ``immediate``).
        """
        with self._lock:
            self._advance()
            host = self._host(name)
            host.alive = False
            host.died_at = self._now() - (self.service_down_time + 1 if immediate else 0)

    def restart_compute(self, name: str) -> None:
        """nova-compute on ``name`` (re)starts: it reports again, cleans up guests that were
        evacuated away (their ``done`` migrations become ``completed``) and finishes power
        actions it missed. A forced-down service stays forced down."""
        with self._lock:
            self._advance()
            host = self._host(name)
            host.alive = True
            host.died_at = None
            now = self._now()
            for mig in self.migrations.values():
                if (mig.source_compute == name and mig.migration_type == "evacuation"
                        and mig.status == model.MIGRATION_DONE):
                    mig.status = model.MIGRATION_COMPLETED
                    mig.updated_at = now
            for server in self.servers.values():
                if server.host == name and server.task_state in (model.POWERING_OFF,
                                                                 model.POWERING_ON):
                    self._finish_power(now, server.uuid, server.task_state)

    def host_alive(self, name: str) -> bool:
        with self._lock:
            return self._host(name).alive

    # ----------------------------------------------------------------- lookups
    def _host(self, name: str, code: int = 404) -> Host:
        try:
            return self.hosts[name]
        except KeyError:
            raise NovaError(code, f"Compute host {name} could not be found.") from None

    def _server(self, uuid: str) -> Server:
        server = self.servers.get(uuid)
        if server is None:
            raise NovaError(404, f"Instance {uuid} could not be found.")
        return server

    def server(self, uuid: str) -> Server:
        with self._lock:
            self._advance()
            return _copy_server(self._server(uuid))

    def node_of(self, host: str | None) -> str | None:
        """The hypervisor hostname of a compute host (None for None or an unknown host)."""
        known = self.hosts.get(host or "")
        return known.node if known else None

    def servers_on(self, host: str) -> list[Server]:
        with self._lock:
            self._advance()
            return [_copy_server(s) for s in self.servers.values() if s.host == host]

    def service(self, host: str, binary: str = "nova-compute") -> ServiceView:
        with self._lock:
            self._advance()
            for svc in self.services.values():
                if svc.host == host and svc.binary == binary:
                    return self._service_view(svc)
            raise NovaError(404, f"Service {binary} on host {host} could not be found.")

    def list_services(self, host: str | None = None,
                      binary: str | None = None) -> list[ServiceView]:
        with self._lock:
            self._advance()
            return [self._service_view(s) for s in self.services.values()
                    if (host is None or s.host == host) and (binary is None or s.binary == binary)]

    def list_migrations(self, **filters: Any) -> list[Migration]:
        """Newest first; filters: instance_uuid, migration_type, source_compute, dest_compute,
        status, host (source or destination)."""
        allowed = {"instance_uuid", "migration_type", "source_compute", "dest_compute", "status",
                   "host"}
        unknown = set(filters) - allowed
        if unknown:
            raise ValueError(f"unknown migration filters: {', '.join(sorted(unknown))}")
        with self._lock:
            self._advance()
            result = []
            for mig in self.migrations.values():
                if any(v is not None and (k != "host" and getattr(mig, k) != v)
                       for k, v in filters.items()):
                    continue
                host = filters.get("host")
                if host is not None and host not in (mig.source_compute, mig.dest_compute):
                    continue
                result.append(dataclasses.replace(mig))
            result.sort(key=lambda m: (m.created_at, m.id), reverse=True)
            return result

    def list_aggregates(self) -> list[Aggregate]:
        with self._lock:
            self._advance()
            return [dataclasses.replace(a, hosts=list(a.hosts), metadata=dict(a.metadata))
                    for a in self.aggregates.values()]

    def list_hypervisors(self, pattern: str | None = None) -> list[dict[str, Any]]:
        """One record per compute host: host, service view, capacity and usage, guest list."""
        with self._lock:
            self._advance()
            result = []
            for host in self.hosts.values():
                if pattern is not None and pattern not in host.node:
                    continue
                vcpus, ram, disk, count = self._used[host.name]
                result.append({
                    "host": dataclasses.replace(host),
                    "service": self._service_view(self._compute_service(host.name)),
                    "vcpus_used": vcpus, "memory_mb_used": ram, "local_gb_used": disk,
                    "running_vms": count,
                    "servers": [(s.uuid, s.name) for s in self.servers.values()
                                if s.host == host.name],
                })
            return result

    # ----------------------------------------------------------------- counters and faults
    def record_call(self, call: str) -> None:
        with self._lock:
            self._call_counts[call] += 1

    def call_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._call_counts)

    def evacuate_calls(self, uuid: str | None = None) -> int | dict[str, int]:
        """Accepted evacuate calls for one instance, or a dict for all instances."""
        with self._lock:
            if uuid is None:
                return dict(self._evacuate_calls)
            return self._evacuate_calls[uuid]

    def inject(self, call: str = "*", status: int | None = 500, delay: float = 0.0,
               instance: str | None = None, times: int | None = None,
               message: str | None = None) -> HttpFault:
        """Make matching HTTP calls fail with ``status`` and/or answer after ``delay`` seconds."""
        fault = HttpFault(call=call, status=status, delay=delay, instance=instance, times=times)
        if message:
            fault.message = message
        return self.faults.add_http_fault(fault)

    def fail_evacuations(self, instances: Iterable[str]) -> None:
        """Evacuations of these instances fail on the destination (vm error, migration failed)."""
        self.faults.fail_evacuations(set(instances))

    def summary(self) -> dict[str, Any]:
        """Counts for dashboards and the control API."""
        with self._lock:
            self._advance()
            states = collections.Counter(s.vm_state for s in self.servers.values())
            migs = collections.Counter(m.status for m in self.migrations.values())
            return {"hosts": len(self.hosts), "servers": len(self.servers),
                    "vm_states": dict(states), "migrations": dict(migs),
                    "pending_events": len(self._events),
                    "evacuate_calls": sum(self._evacuate_calls.values())}


def _copy_server(server: Server) -> Server:
    return dataclasses.replace(server, metadata=dict(server.metadata),
                               fault=dict(server.fault) if server.fault else None)
