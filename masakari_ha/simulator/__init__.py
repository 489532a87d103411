"""Emulators of Keystone v3, Nova (and a Placement subset) that speak the real HTTP APIs.

Used by unit and functional tests of the engine, by the demo and by benchmarks. (The MAAS
emulator for fencing lives in :mod:`masakari_ha.simulator.maas`.)

Starting them
    ``start_simulators(hosts=[...], servers_per_host=N, latency="fast"|"realistic"|LatencyProfile,
    service_down_time=60, max_limit=1000, keystone_port=0, nova_port=0, instance_ha_url=None,
    control_token=None, placement=True)`` returns a :class:`SimulatorEnvironment` (``.cloud``,
    ``.identity``, ``.auth_url``, ``.nova_url``, ``.nova_base_url``, ``.credentials()``,
    ``.session()``, ``.novaclient("2.53")``, ``.configure_nova(CONF)``, ``.environ()``,
    ``.set_endpoint(type, name, url)``, ``.stop()``). pytest fixtures: ``sim_env`` and
    ``sim_factory`` in :mod:`masakari_ha.simulator.fixtures`. From a shell:
    ``python -m masakari_ha.simulator --hosts compute-1,compute-2 --servers-per-host 3
    --port-base 15100`` (Keystone on 15100, Nova on 15101).

Credentials
    ``admin``/``adminpass`` (project ``admin``, roles admin/member/reader), ``masakari``/
    ``masakaripass`` (project ``service``, admin/service), ``demo``/``demopass`` (project ``demo``,
    member/reader); domain ``Default``. Catalog: ``compute`` (``<nova>/v2.1``), ``placement``
    (``<nova>/placement``), ``identity``, and ``instance-ha`` when configured.

Driving the cloud
    In process, :class:`SimulatedCloud`: ``add_host(name, vcpus=, memory_mb=, local_gb=,
    hypervisor_hostname=)``, ``add_server(host, name=, metadata=, vm_state=, task_state=,
    flavor=, project_id=, locked=)``, ``add_aggregate(name, hosts)``, ``kill_host(name,
    immediate=False)`` (down after ``service_down_time``, or at once), ``restart_compute(name)``
    (``done`` evacuations become ``completed``), ``set_capacity_full(host)``,
    ``fail_evacuations([uuid])``, ``inject(call, status=500, delay=0, instance=None, times=None)``,
    ``evacuate_calls(uuid)`` (accepted evacuations; all HTTP calls are in ``call_counts()``),
    ``server(uuid)``, ``servers_on(host)``, ``service(host)``, ``list_migrations(...)``,
    ``wait_idle()``; with a ManualClock ``advance(seconds)``. From another process,
    :class:`RemoteCloud` over ``<nova>/_sim`` offers the same verbs.

Fault call kinds
    ``servers.list``, ``servers.get``, ``action:<name>`` (``action:evacuate``, ``action:os-stop``,
    ``action:os-start``, ``action:lock``, ``action:unlock``, ``action:os-resetState``),
    ``metadata.get|set|delete``, ``services.list|update``, ``hypervisors.list|get``,
    ``migrations.list``, ``aggregates.list|get|create|action``, or ``*``.
"""

from masakari_ha.simulator.environment import (SimulatorEnvironment, host_names, populate,
                                               start_simulators)
from masakari_ha.simulator.nova.cloud import SimulatedCloud
from masakari_ha.simulator.nova.latency import LatencyProfile
from masakari_ha.simulator.nova.model import NovaError
from masakari_ha.simulator.remote import RemoteCloud

__all__ = ["LatencyProfile", "NovaError", "RemoteCloud", "SimulatedCloud",
           "SimulatorEnvironment", "host_names", "populate", "start_simulators"]
