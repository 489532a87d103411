"""Start the simulated cloud and point the in-process API and engine at it.

:func:`start` is called by ``masakari-ha-all`` (before gunicorn forks its worker) when
``[nova]`` is not configured. It starts, on the ``[simulation]`` ports (or free ones):

* the Keystone v3 emulator with ``instance-ha`` registered in its catalog at the API's URL,
* the Nova emulator with the simulated hosts and their guests,
* the MAAS emulator with one machine per host (the engine's fencing driver is ``maas``),
* the simulated compute nodes and the control API ``masakari-ha-sim`` uses,

switches the API to keystone authentication against the emulated Keystone (so the stock
``openstack`` CLI works with the printed credentials) and writes
``<state_path>/simulation.json`` (URLs and environment) for tools and tests.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import os
import sysconfig
from typing import Any, Callable

from masakari_ha import progress
from masakari_ha.demo import nodes as nodes_mod

LOG = logging.getLogger(__name__)

#: The masakari service user of the emulated Keystone (project ``service``, role admin).
SERVICE_USER = ("masakari", "masakaripass", "service")
STATE_FILE = "simulation.json"


@dataclasses.dataclass
class Simulation:
    """A running simulated cloud (``stop()`` ends it)."""

    env: Any                      # masakari_ha.simulator.SimulatorEnvironment
    maas: Any                     # masakari_ha.simulator.maas.MaasEmulator
    nodes: nodes_mod.SimulatedNodes
    control: Any                  # ServedApp of the control API
    api_url: str
    hosts: list[str]
    state_file: str | None = None

    @property
    def control_url(self) -> str:
        return self.control.url

    def environ(self) -> dict[str, str]:
        """OS_* variables for the stock ``openstack`` CLI (admin of the emulated cloud)."""
        return {**self.env.environ(), "MASAKARI_HA_SIM_URL": self.control_url}

    def describe(self) -> dict[str, Any]:
        return {"api": self.api_url, "keystone": self.env.auth_url, "nova": self.env.nova_url,
                "maas": self.maas.url, "control": self.control_url, "hosts": self.hosts,
                "environment": self.environ()}

    def stop(self) -> None:
        if self.state_file:
            try:
                os.unlink(self.state_file)   # nothing runs there any more
            except FileNotFoundError:
                pass
        for stop in (self.nodes.stop, self.control.stop, self.maas.stop, self.env.stop):
            try:
                stop()
            except Exception:  # noqa: BLE001 - stop the rest anyway
                LOG.exception("simulation: stopping %s failed", stop)


def _bind(start: Callable[[int], Any], port: int, what: str) -> Any:
    """Start on ``port``; when it is busy, on a free one (and say so)."""
    try:
        return start(port)
    except OSError as error:
        if port == 0:
            raise
        LOG.warning("SIMULATION: port %d for the %s is busy (%s); using a free port instead",
                    port, what, error)
        return start(0)


def api_url(conf) -> str:
    host = conf.masakari_api_listen
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{conf.masakari_api_listen_port}/v1"


def start(conf) -> Simulation:
    """Start the simulated cloud for ``conf`` and configure ``conf`` to use it."""
    from masakari_ha.simulator import environment
    from masakari_ha.simulator.maas import DEFAULT_API_KEY, MaasEmulator
    from masakari_ha.simulator.server import ServedApp
    from masakari_ha.demo import control

    sim = conf.simulation
    hosts = [h for h in sim.hosts if h]
    url = api_url(conf)

    def start_pair(keystone_port: int) -> Any:
        return _bind(lambda nova_port: environment.start_simulators(
            keystone_port=keystone_port, nova_port=nova_port, latency=sim.latency,
            instance_ha_url=url), sim.nova_port, "Nova emulator")

    env = _bind(start_pair, sim.keystone_port, "Keystone emulator")
    populate(env.cloud, hosts, sim.guests_per_host)
    maas = _bind(lambda port: MaasEmulator(hosts, DEFAULT_API_KEY, port=port, defaults={
        "off_delay": 1.0, "on_delay": 1.0, "query_latency": 0.05}).start(), sim.maas_port,
        "MAAS emulator")
    nodes = nodes_mod.SimulatedNodes(conf, env, maas, hosts)
    served = _bind(lambda port: ServedApp(control.create_app(nodes), port=port),
                   sim.control_port, "simulation control API")
    simulation = Simulation(env=env, maas=maas, nodes=nodes, control=served, api_url=url,
                            hosts=hosts)
    configure(conf, simulation, DEFAULT_API_KEY)
    nodes.start(url)
    _write_state(conf, simulation)
    return simulation


def populate(cloud: Any, hosts: list[str], guests_per_host: int) -> None:
    """Hosts, and ``guests_per_host`` active guests on each but the last one (the spare);
    guest names say where they started (``vm-2-1``: first guest of compute-2)."""
    total = len(hosts) + guests_per_host * max(0, len(hosts) - 1)
    with progress.Progress("Creating simulated hosts and guests", total=total) as bar:
        for index, host in enumerate(hosts):
            cloud.add_host(host)
            bar.advance(detail=host)
            if index < len(hosts) - 1:
                for number in range(1, guests_per_host + 1):
                    cloud.add_server(host, name=f"vm-{host.rsplit('-', 1)[-1]}-{number}")
                    bar.advance(detail=host)
    LOG.info("SIMULATION: %d hosts with %d guests created", len(hosts), total - len(hosts))


def configure(conf, simulation: Simulation, maas_key: str) -> None:
    """Point ``[nova]`` (override), and by default ``[keystone_authtoken]``,
    ``auth_strategy``, ``[fencing]`` and ``[maas]`` at the emulators: a value the operator set
    in a config file wins over these defaults (e.g. ``auth_strategy = noauth``)."""
    from keystoneauth1 import loading as ks_loading
    from keystonemiddleware import auth_token  # noqa: F401 - registers [keystone_authtoken]

    env = simulation.env
    env.configure_nova(conf)
    conf.set_default("validate_host_names", True, group="nova")
    group = "keystone_authtoken"
    try:
        conf.register_opts(ks_loading.get_auth_plugin_conf_options("password"), group=group)
    except Exception:  # noqa: BLE001 - already registered (a second start in one process)
        pass
    user, password, project = SERVICE_USER
    defaults = {
        (group, "auth_type"): "password", (group, "auth_url"): env.auth_url,
        (group, "www_authenticate_uri"): env.auth_url, (group, "username"): user,
        (group, "password"): password, (group, "project_name"): project,
        (group, "user_domain_name"): "Default", (group, "project_domain_name"): "Default",
        (group, "region_name"): env.identity.region,
        (None, "auth_strategy"): "keystone",
        ("fencing", "driver"): "maas",
        ("maas", "url"): simulation.maas.url, ("maas", "api_key"): maas_key,
        ("maas", "poll_interval"): 0.2, ("maas", "power_off_timeout"): 30,
        ("maas", "request_timeout"): 10,
    }
    for (section, name), value in defaults.items():
        conf.set_default(name, value, group=section)


def _write_state(conf, simulation: Simulation) -> None:
    os.makedirs(conf.state_path, exist_ok=True)
    path = os.path.join(conf.state_path, STATE_FILE)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(simulation.describe(), handle, indent=2)
    simulation.state_file = path
    LOG.info("SIMULATION: description written to %s", path)


def shell_setup() -> list[str]:
    """Banner lines that make ``masakari-ha-sim`` (and an ``openstack`` CLI installed next to
    it) found in another shell: the scripts directory of this installation (``.venv/bin`` of
    ``tools/run-service``) is not on that shell's PATH."""
    scripts = sysconfig.get_path("scripts")
    lines = []
    if os.path.exists(os.path.join(scripts, "masakari-ha-sim")):
        lines.append(f'export PATH="{scripts}:$PATH"')
    if not all(importlib.util.find_spec(m) for m in ("openstackclient", "masakariclient")):
        lines.append("# no openstack CLI here yet: "
                     f"{os.path.join(scripts, 'pip')} install python-openstackclient "
                     "python-masakariclient")
    return lines


def banner(simulation: Simulation) -> str:
    """What ``masakari-ha-all`` prints on stdout: loud, and how to use it."""
    env = simulation.environ()
    servers = sorted(simulation.env.cloud.servers_on(simulation.hosts[0]), key=lambda s: s.name)
    example = servers[0].uuid if servers else "<server uuid>"
    spare = simulation.hosts[-1]
    bar = "=" * 78
    lines = [
        bar,
        "  THIS IS A SIMULATION. No real cloud is touched: Keystone, Nova, MAAS, pacemaker",
        "  and libvirt are emulated in this process (no [nova] section is configured).",
        bar,
        f"  masakari_ha API   {simulation.api_url}   (catalog service type instance-ha)",
        f"  Keystone (sim)    {simulation.env.auth_url}",
        f"  Nova (sim)        {simulation.env.nova_url}",
        f"  MAAS (sim)        {simulation.maas.url}   (fencing driver: maas)",
        f"  control (sim)     {simulation.control_url}   (used by masakari-ha-sim)",
        f"  hosts             {', '.join(simulation.hosts)}   ({spare} has no guests: a spare)",
        "",
        "  In another shell:",
        "",
        *[f"    export {key}={value}" for key, value in env.items()],
        *[f"    {line}" for line in shell_setup()],
        "",
        "    openstack server list --all-projects --long",
        "    openstack segment create seg1 auto COMPUTE",
        *[f"    openstack segment host create {h} COMPUTE SSH seg1"
          for h in simulation.hosts[:-1]],
        f"    openstack segment host create {spare} COMPUTE SSH seg1 --reserved True",
        f"    openstack server set --property HA_Enabled=True {example}",
        "",
        "  Then break something and watch the recovery:",
        "",
        f"    masakari-ha-sim crash-instance {example}",
        f"    masakari-ha-sim kill-host {simulation.hosts[0]}",
        "    masakari-ha-sim status",
        "    openstack notification list",
        "    openstack notification show <notification uuid> --os-ha-api-version 1.1",
        "    openstack notification vmove list <notification uuid> --os-ha-api-version 1.3",
        f"    masakari-ha-sim revive-host {simulation.hosts[0]}",
        bar,
    ]
    return "\n".join(lines)
