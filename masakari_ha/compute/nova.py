"""NovaClient: every Nova call masakari_ha makes, idempotent where Nova allows it.

Built on python-novaclient over the process-wide keystoneauth1 session
(:mod:`masakari_ha.compute.session`). The compute microversion is negotiated with the
server on first use: the highest version both support, capped at
``[nova] api_max_microversion``, never below 2.53. What that version implies
(force-down by service id, lock reasons, guests left stopped after evacuation) is
exposed through :attr:`NovaClient.capabilities` and :attr:`NovaClient.evacuate_leaves_stopped`.
An evacuate request may be sent below the negotiated version
(``evacuate(..., keep_power_state=True)``: at most 2.94, guests keep their power state);
:meth:`NovaClient.evacuate_arrives_stopped` says what a given choice means.

Every failure is raised as a :mod:`masakari_ha.compute.exceptions` error naming the host
and/or instance. Every state-changing call logs one INFO line.

Thread-safe: one instance is meant to be shared by all threads of a process (see
:func:`get_client`).
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import novaclient
from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import session as ks_session
from novaclient import client as nova_client_factory
from oslo_config import cfg

from masakari_ha.compute import _convert, _translate, session as compute_session
from masakari_ha.compute import exceptions as exc
from masakari_ha.compute.microversion import (
    MAX_TESTED_MICROVERSION,
    MIN_MICROVERSION,
    Capabilities,
    Microversion,
    negotiate,
    parse_version_document,
)
from masakari_ha.compute.models import (
    MIGRATION_TYPE_EVACUATION,
    Aggregate,
    ComputeService,
    HostCapacity,
    Migration,
    Server,
)
from masakari_ha.compute.placement import PlacementReader

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = "nova-compute"
_T = TypeVar("_T")


class NovaClient:
    """Nova operations the API and the engine need, with explicit microversion handling.

    :param session: keystoneauth1 session (shared; it holds the auth plugin).
    :param adapter_options: keystoneauth adapter arguments (``endpoint_override``,
        ``region_name``, ``interface``, ``service_type``, retries).
    :param max_microversion: cap for negotiation (highest version known to work).
    :param placement_endpoint_override: Placement URL when the catalog has none (Placement
        is otherwise found in the catalog with the same region/interface as Nova).
    """

    def __init__(
        self,
        session: ks_session.Session,
        *,
        adapter_options: dict[str, Any] | None = None,
        max_microversion: Microversion | str = MAX_TESTED_MICROVERSION,
        placement_endpoint_override: str | None = None,
    ) -> None:
        self._session = session
        self._adapter_options = dict(adapter_options or {})
        self._adapter_options.setdefault("service_type", "compute")
        if isinstance(max_microversion, str):
            max_microversion = Microversion.parse(max_microversion)
        library_max = Microversion.parse(novaclient.API_MAX_VERSION.get_string())
        self._max_microversion = min(max_microversion, library_max)
        self._lock = threading.Lock()
        self._capabilities: Capabilities | None = None
        self._nova: Any = None
        self._stats_nova: Any = None
        self._evacuate_nova: Any = None
        self._placement = PlacementReader(session, self._adapter_options, placement_endpoint_override)
        self._placement_usable = True

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> "NovaClient":
        """Build a client from the ``[nova]`` section (session shared process-wide).

        Raises :class:`NovaMisconfigured` naming the problem (e.g. a missing ``auth_url``
        for ``auth_type = password``) instead of a keystoneauth/oslo.config traceback.
        """
        try:
            return cls(
                compute_session.get_session(conf),
                adapter_options=compute_session.adapter_kwargs(conf),
                max_microversion=conf.nova.api_max_microversion,
            )
        except Exception as error:  # keystoneauth, oslo.config and ValueError all mean "fix [nova]"
            raise exc.NovaMisconfigured(
                f"Cannot build the Nova client from [nova]: {type(error).__name__}: {error}") from error

    # -- microversion -----------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        """What the negotiated microversion allows (negotiates on first access)."""
        self._ensure_negotiated()
        assert self._capabilities is not None
        return self._capabilities

    @property
    def microversion(self) -> Microversion:
        """The negotiated compute API microversion."""
        return self.capabilities.version

    @property
    def evacuate_leaves_stopped(self) -> bool:
        """True when Nova (microversion >= 2.95) leaves an evacuated guest stopped.

        The engine must then start the guests that were running before the failure.
        """
        return self.capabilities.evacuate_leaves_stopped

    def evacuate_arrives_stopped(self, keep_power_state: bool) -> bool:
        """Whether :meth:`evacuate` with this ``keep_power_state`` leaves guests stopped."""
        return self.capabilities.evacuate_arrives_stopped(keep_power_state)

    def _ensure_negotiated(self) -> None:
        if self._capabilities is not None:
            return
        with self._lock:
            if self._capabilities is not None:
                return
            server_min, server_max = self._discover_range()
            version = negotiate(server_min, server_max, self._max_microversion, MIN_MICROVERSION)
            caps = Capabilities(version)
            self._nova = self._make_novaclient(version)
            self._stats_nova = self._make_novaclient(caps.hypervisor_stats_version)
            keep_version = caps.evacuate_version(keep_power_state=True)
            self._evacuate_nova = self._nova if keep_version == version else self._make_novaclient(keep_version)
            LOG.info(
                "Nova compute API microversion %s negotiated (server %s-%s, cap %s); "
                "evacuated guests left stopped: %s",
                version, server_min, server_max, self._max_microversion, caps.evacuate_leaves_stopped,
            )
            self._capabilities = caps

    def _make_novaclient(self, version: Microversion) -> Any:
        options = dict(self._adapter_options)
        interface = options.pop("interface", None)
        if interface is not None:
            options["endpoint_type"] = interface
        return nova_client_factory.Client(str(version), session=self._session, **options)

    def _discover_range(self) -> tuple[Microversion, Microversion]:
        """Read Nova's version document: the endpoint's own, else the root list."""
        adapter = ks_adapter.Adapter(self._session, **self._adapter_options)
        try:
            endpoint = adapter.get_endpoint()
        except Exception as error:  # keystoneauth raises several unrelated types here
            raise _translate.translate(error, "endpoint lookup") from error
        if not endpoint:
            raise exc.NovaError("Nova endpoint lookup failed: no compute endpoint in the catalog")
        parsed = urllib.parse.urlsplit(endpoint)
        root = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, "/", "", ""))
        last_error: exc.NovaError | None = None
        for url in (endpoint.rstrip("/"), root):
            try:
                response = adapter.get(url, raise_exc=True, headers={"Accept": "application/json"})
                found = parse_version_document(response.json())
            except ValueError:
                found = None
            except Exception as error:
                last_error = _translate.translate(error, "version discovery")
                if isinstance(last_error, exc.NovaUnavailable):
                    raise last_error from error
                continue
            if found:
                return found
        if last_error is not None:
            raise last_error
        raise exc.NovaUnsupported(f"Nova at {endpoint} publishes no compute API microversion range")

    @property
    def _client(self) -> Any:
        self._ensure_negotiated()
        return self._nova

    def _call(self, action: str, fn: Callable[[], _T], *, host: str | None = None,
              instance: str | None = None) -> _T:
        try:
            return fn()
        except Exception as error:
            raise _translate.translate(error, action, host=host, instance=instance) from error

    # -- compute services -------------------------------------------------------------

    def compute_service_exists(self, host: str) -> bool:
        """True when Nova has a nova-compute service whose host is exactly ``host``."""
        return bool(self._services(host))

    def get_compute_service(self, host: str) -> ComputeService:
        """The nova-compute service of ``host``; :class:`NovaNotFound` when there is none."""
        services = self._services(host)
        if not services:
            raise exc.NovaNotFound(f"Nova has no {COMPUTE_BINARY} service on host {host}", status_code=404)
        return services[0]

    def _services(self, host: str) -> list[ComputeService]:
        found = self._call(
            "service lookup",
            lambda: self._client.services.list(host=host, binary=COMPUTE_BINARY),
            host=host,
        )
        return [s for s in map(_convert.service, found) if s.host == host and s.binary == COMPUTE_BINARY]

    def disable_service(self, host: str, reason: str, *, refresh: bool = True) -> ComputeService:
        """Disable scheduling to ``host`` with ``reason``; already disabled → no change.

        An existing disabled reason (an operator's) is kept. Returns the service as Nova
        shows it afterwards; with ``refresh=False`` as it was read before the change (its
        id, for a caller that changes it again next and reads it then).
        """
        svc = self.get_compute_service(host)
        if svc.disabled:
            LOG.info("Compute service %s on host %s already disabled (%s); left as is",
                     svc.id, host, svc.disabled_reason)
            return svc
        LOG.info("Disabling compute service %s on host %s: %s", svc.id, host, reason)
        self._call("disable compute service",
                   lambda: self._client.services.disable_log_reason(svc.id, reason), host=host)
        return self.get_compute_service(host) if refresh else svc

    def disable_and_force_down(self, host: str, reason: str, *,
                               service: ComputeService | None = None) -> ComputeService:
        """Disable ``host``'s nova-compute with ``reason`` and force it down, in one update.

        ``PUT /os-services/{service_id}`` takes ``status``, ``disabled_reason`` and
        ``forced_down`` together from microversion 2.53 (our minimum), and answers with the
        service as updated: one read and one write instead of a write per field and a read
        after each. An existing disabled reason (an operator's) is kept; a field that
        already has the wanted value is not sent; nothing to change: no write. ``service``:
        the service as the caller just read it (saves reading it again). Returns the service
        as Nova shows it afterwards.
        """
        if not (self.capabilities.force_down and self.capabilities.service_by_id):
            raise exc.NovaUnsupported(
                f"Nova disable and force down in one update for host {host} needs microversion "
                f">= 2.53, negotiated {self.microversion}")
        svc = service if service is not None and service.host == host else self.get_compute_service(host)
        body: dict[str, Any] = {}
        if not svc.disabled:
            body.update(status="disabled", disabled_reason=reason)
        if not svc.forced_down:
            body["forced_down"] = True
        if not body:
            LOG.info("Compute service %s on host %s already disabled (%s) and forced down; left as is",
                     svc.id, host, svc.disabled_reason)
            return svc
        if "status" in body:
            LOG.info("Disabling compute service %s on host %s: %s%s", svc.id, host, reason,
                     "; setting forced_down=True" if "forced_down" in body else "")
        else:
            LOG.info("Compute service %s on host %s already disabled (%s), reason kept; setting "
                     "forced_down=True", svc.id, host, svc.disabled_reason)
        updated = self._call(
            "disable and force down",
            lambda: self._client.services._update(f"/os-services/{svc.id}", body, "service"),
            host=host,
        )
        return _convert.service(updated)

    def enable_service(self, host: str) -> ComputeService:
        """Enable scheduling to ``host``; already enabled → no change."""
        svc = self.get_compute_service(host)
        if not svc.disabled:
            LOG.info("Compute service %s on host %s already enabled", svc.id, host)
            return svc
        LOG.info("Enabling compute service %s on host %s", svc.id, host)
        self._call("enable compute service", lambda: self._client.services.enable(svc.id), host=host)
        return self.get_compute_service(host)

    def force_down(self, host: str, forced: bool, *, service: ComputeService | None = None) -> ComputeService:
        """Set (``forced=True``) or clear Nova's ``forced_down`` flag of ``host``'s service.

        Forcing down lets evacuation start at once instead of after Nova's heartbeat
        timeout. Clearing raises :class:`ForceUpRefused` while ``done`` evacuation
        records remain (Nova clears them when the host's nova-compute restarts).
        No change when the flag already has the wanted value. ``service``: the service as
        the caller just read it (saves reading it again). Returns it as Nova shows it
        afterwards.
        """
        if not self.capabilities.force_down:
            raise exc.NovaUnsupported(
                f"Nova force down for host {host} needs microversion >= 2.11, negotiated {self.microversion}")
        svc = service if service is not None and service.host == host else self.get_compute_service(host)
        if svc.forced_down == forced:
            LOG.info("Compute service %s on host %s already has forced_down=%s", svc.id, host, forced)
            return svc
        LOG.info("Setting forced_down=%s on compute service %s of host %s", forced, svc.id, host)
        self._call("force down" if forced else "force up",
                   lambda: self._client.services.force_down(svc.id, forced), host=host)
        return self.get_compute_service(host)

    # -- servers ----------------------------------------------------------------------

    def list_servers_on_host(self, host: str) -> list[Server]:
        """Every server Nova places on ``host``, all projects, all pages (no 1000 cap)."""
        found = self._call(
            "list servers",
            lambda: self._client.servers.list(
                detailed=True, search_opts={"host": host, "all_tenants": True}, limit=-1),
            host=host,
        )
        servers: dict[str, Server] = {}
        for resource in found:
            srv = _convert.server(resource)
            if srv.host == host:
                servers.setdefault(srv.id, srv)
        return list(servers.values())

    def get_server(self, uuid: str) -> Server:
        """One server as an admin sees it; :class:`NovaNotFound` when it is gone."""
        return _convert.server(self._call("get server", lambda: self._client.servers.get(uuid), instance=uuid))

    def lock(self, uuid: str, reason: str | None = None) -> None:
        """Lock the server so its owner cannot act on it during recovery.

        ``reason`` is sent from microversion 2.73 on. Already locked → no error.
        """
        LOG.info("Locking instance %s (%s)", uuid, reason or "no reason")
        if self.capabilities.lock_reason and reason:
            self._state_call("lock", uuid, lambda: self._client.servers.lock(uuid, reason=reason),
                             done=lambda s: s.locked)
        else:
            self._state_call("lock", uuid, lambda: self._client.servers.lock(uuid), done=lambda s: s.locked)

    def unlock(self, uuid: str) -> None:
        """Unlock the server; already unlocked → no error."""
        LOG.info("Unlocking instance %s", uuid)
        self._state_call("unlock", uuid, lambda: self._client.servers.unlock(uuid), done=lambda s: not s.locked)

    def stop(self, uuid: str) -> None:
        """Ask Nova to stop the guest; already stopped or stopping → no error (409 re-checked)."""
        LOG.info("Stopping instance %s", uuid)
        self._state_call("stop", uuid, lambda: self._client.servers.stop(uuid),
                         done=lambda s: s.vm_state == "stopped" or s.task_state == "powering-off")

    def start(self, uuid: str) -> None:
        """Ask Nova to start the guest; already active or starting → no error (409 re-checked)."""
        LOG.info("Starting instance %s", uuid)
        self._state_call("start", uuid, lambda: self._client.servers.start(uuid),
                         done=lambda s: s.vm_state == "active" or s.task_state == "powering-on")

    def reset_state(self, uuid: str, state: str) -> None:
        """Force the guest's vm_state to ``error`` or ``active`` (clears its task_state)."""
        if state not in ("error", "active"):
            raise ValueError(f"reset_state of instance {uuid}: state must be 'error' or 'active', not {state!r}")
        LOG.info("Resetting state of instance %s to %s", uuid, state)
        self._call(f"reset state to {state}", lambda: self._client.servers.reset_state(uuid, state),
                   instance=uuid)

    def evacuate(self, uuid: str, host: str | None = None, *, keep_power_state: bool = False) -> None:
        """Rebuild the guest on another host (``host`` or the scheduler's choice).

        ``keep_power_state`` sends the request at microversion <= 2.94 (the guest arrives
        as it was: running guests are started by Nova); otherwise at the negotiated
        version, where from 2.95 the guest arrives stopped. Only safe to ask for when the
        source host is known to be off (see :meth:`Capabilities.evacuate_version`).

        Raises :class:`ComputeServiceStillInUse` when Nova still sees the source compute
        up. Not idempotent in Nova: callers check :meth:`list_evacuations` first.
        """
        client = self._client
        if keep_power_state:
            client = self._evacuate_nova
        LOG.info("Call evacuate command for instance %s on host %s", uuid, host or "<scheduler>")
        self._call("evacuate", lambda: client.servers.evacuate(uuid, host=host), instance=uuid,
                   host=host)

    def _state_call(self, action: str, uuid: str, fn: Callable[[], Any], *,
                    done: Callable[[Server], bool]) -> None:
        """Run a server action; on 409 succeed quietly if the server is already ``done``."""
        try:
            self._call(action, fn, instance=uuid)
        except exc.NovaConflict as conflict:
            current = self.get_server(uuid)
            if done(current):
                LOG.info("Instance %s: %s not needed, Nova says vm_state=%s locked=%s",
                         uuid, action, current.vm_state, current.locked)
                return
            raise conflict

    # -- migrations -------------------------------------------------------------------

    def list_evacuations(self, instance_uuid: str | None = None,
                         source_compute: str | None = None) -> list[Migration]:
        """Evacuation migration records (newest first), all pages, filtered as given."""
        query: dict[str, str] = {"migration_type": MIGRATION_TYPE_EVACUATION}
        if instance_uuid:
            query["instance_uuid"] = instance_uuid
        if source_compute:
            query["source_compute"] = source_compute
        url: str | None = "/os-migrations?" + urllib.parse.urlencode(sorted(query.items()))
        records: dict[str, Migration] = {}
        pages = 0
        while url and pages < 1000:
            pages += 1
            page_url = url
            _resp, body = self._call("list evacuations", lambda: self._client.client.get(page_url),
                                     instance=instance_uuid, host=source_compute)
            for item in (body or {}).get("migrations", []):
                record = _convert.migration(item)
                if record.migration_type in (None, MIGRATION_TYPE_EVACUATION):
                    records.setdefault(record.id, record)
            url = _next_link((body or {}).get("migrations_links"))
        return list(records.values())

    # -- aggregates -------------------------------------------------------------------

    def list_aggregates(self) -> list[Aggregate]:
        """All host aggregates with their member hosts."""
        return [_convert.aggregate(a) for a in self._call("list aggregates", lambda: self._client.aggregates.list())]

    def add_host_to_aggregate(self, aggregate_id: int, host: str) -> None:
        """Add ``host`` to the aggregate; already a member → no error."""
        LOG.info("Adding host %s to aggregate %s", host, aggregate_id)
        try:
            self._call(f"add to aggregate {aggregate_id}",
                       lambda: self._client.aggregates.add_host(aggregate_id, host), host=host)
        except exc.NovaConflict:
            current = _convert.aggregate(self._call(
                f"get aggregate {aggregate_id}", lambda: self._client.aggregates.get(aggregate_id), host=host))
            if host not in current.hosts:
                raise
            LOG.info("Host %s already in aggregate %s", host, aggregate_id)

    # -- capacity ---------------------------------------------------------------------

    def host_capacities(self, hosts: Iterable[str]) -> dict[str, HostCapacity]:
        """Free vCPU/RAM/disk per host, as the scheduler will count it where possible.

        The host's compute nodes come from ``os-hypervisors`` (read at <= 2.87, where it
        still carries statistics). Their free capacity comes from Placement
        (``(total - reserved) * allocation_ratio - used``) when Placement is reachable,
        else from the hypervisor statistics (physical figures, no allocation ratio).
        A host Nova cannot describe (no hypervisor record, API forbidden or failing) gets
        an all-``None`` :class:`HostCapacity` and a warning; the planner treats it as
        unknown rather than failing the recovery over a statistics read.
        """
        self._ensure_negotiated()
        result: dict[str, HostCapacity] = {}
        for host in hosts:
            if host not in result:
                result[host] = self._host_capacity(host)
        return result

    def _host_capacity(self, host: str) -> HostCapacity:
        query = urllib.parse.urlencode({"hypervisor_hostname_pattern": host})
        try:
            _resp, body = self._call(
                "read hypervisor statistics",
                lambda: self._stats_nova.client.get(f"/os-hypervisors/detail?{query}"), host=host)
            hypervisors = _convert.hypervisors_of_host(host, (body or {}).get("hypervisors", []))
        except exc.NovaNotFound:
            hypervisors = []
        except exc.NovaError as error:
            LOG.warning("Capacity of host %s unknown: %s", host, error)
            hypervisors = []
        from_hypervisors = _convert.capacity(host, hypervisors)
        names = [str(h["hypervisor_hostname"]) for h in hypervisors if h.get("hypervisor_hostname")]
        if not names or not self._placement_usable:
            return from_hypervisors
        try:
            return self._placement.capacity(host, names, from_hypervisors.running_vms)
        except exc.NovaError as error:
            if not isinstance(error, (exc.NovaUnavailable, exc.NovaNotFound)):
                self._placement_usable = False  # not in the catalog / not allowed: stop asking
            LOG.warning("Placement capacity of host %s unavailable, using hypervisor statistics "
                        "(no allocation ratios): %s", host, error)
            return from_hypervisors


def _next_link(links: Any) -> str | None:
    for link in links or ():
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None


_shared_lock = threading.Lock()
_shared: tuple[int, NovaClient] | None = None


def get_client(conf: cfg.ConfigOpts | None = None) -> NovaClient:
    """The process-wide :class:`NovaClient` for ``conf`` (default: the global CONF)."""
    global _shared
    if conf is None:
        from masakari_ha.conf import CONF as conf  # noqa: N811 - late import keeps this module light
    with _shared_lock:
        if _shared is None or _shared[0] != id(conf):
            _shared = (id(conf), NovaClient.from_conf(conf))
        return _shared[1]


def reset() -> None:
    """Forget the shared client and session (configuration reload, tests)."""
    global _shared
    with _shared_lock:
        _shared = None
    compute_session.reset()
