"""Keystone + Nova emulators started together: what tests, the demo and benchmarks use.

    env = start_simulators(hosts=["compute-1", "compute-2"], servers_per_host=3)
    env.cloud.kill_host("compute-1", immediate=True)       # control, in process
    nova = env.novaclient("2.53")                           # python-novaclient over real HTTP
    env.configure_nova(CONF)                                # [nova] section for masakari_ha
    env.stop()
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable

from masakari_ha.simulator import keystone
from masakari_ha.simulator.identity import Identity
from masakari_ha.simulator.nova import app as nova_app
from masakari_ha.simulator.nova import latency as latency_mod
from masakari_ha.simulator.nova.cloud import SimulatedCloud
from masakari_ha.simulator.server import ServedApp

HA_KEY = "HA_Enabled"


@dataclasses.dataclass
class SimulatorEnvironment:
    cloud: SimulatedCloud
    identity: Identity
    keystone_server: ServedApp
    nova_server: ServedApp
    username: str = "admin"
    password: str = "adminpass"
    project_name: str = "admin"
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    control_token: str | None = None

    @property
    def keystone_url(self) -> str:
        return self.keystone_server.url

    @property
    def auth_url(self) -> str:
        return self.keystone_server.url + "/v3"

    @property
    def nova_base_url(self) -> str:
        """Root of the Nova emulator (version document, ``/_sim`` control API)."""
        return self.nova_server.url

    @property
    def placement_url(self) -> str:
        return self.nova_server.url + "/placement"

    @property
    def nova_url(self) -> str:
        """The compute endpoint as in the catalog (``.../v2.1``)."""
        return self.nova_server.url + "/v2.1"

    def set_endpoint(self, service_type: str, name: str, url: str) -> None:
        """Add or replace a catalog entry, e.g. ``("instance-ha", "masakari", api_url)``."""
        self.identity.set_endpoint(service_type, name, url)

    def credentials(self) -> dict[str, str]:
        return {"auth_url": self.auth_url, "username": self.username, "password": self.password,
                "project_name": self.project_name, "user_domain_name": self.user_domain_name,
                "project_domain_name": self.project_domain_name}

    def session(self, username: str | None = None, password: str | None = None,
                project_name: str | None = None) -> Any:
        """A keystoneauth1 session with Password auth against the Keystone emulator."""
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        creds = self.credentials()
        creds.update({k: v for k, v in (("username", username), ("password", password),
                                        ("project_name", project_name)) if v})
        return ks_session.Session(auth=v3.Password(**creds))

    def novaclient(self, version: str = "2.53", **session_kwargs: str) -> Any:
        """python-novaclient on a keystoneauth1 session, endpoint from the catalog."""
        from novaclient import client as nova_client

        return nova_client.Client(version, session=self.session(**session_kwargs))

    def configure_nova(self, conf: Any, group: str = "nova") -> Callable[[], None]:
        """Point masakari_ha's ``[nova]`` keystoneauth options at these emulators.

        Returns an undo function for test teardown: it resets ``conf`` (all overrides go) and
        unregisters the password plugin's options again (``auth_url`` is required once
        registered, so a later ``CONF()`` without it would fail).
        """
        from keystoneauth1 import loading as ks_loading

        plugin_opts = ks_loading.get_auth_plugin_conf_options("password")
        conf.register_opts(plugin_opts, group=group)
        overrides = {"auth_type": "password", **self.credentials()}
        for name, value in overrides.items():
            conf.set_override(name, value, group=group)

        def undo() -> None:
            conf.reset()  # unregistering needs unparsed options; also drops all overrides
            for opt in plugin_opts:
                try:
                    conf.unregister_opt(opt, group=group)
                except Exception:  # noqa: BLE001 - not registered (any more)
                    pass

        return undo

    def environ(self) -> dict[str, str]:
        """OS_* variables for python-openstackclient / openstacksdk."""
        creds = self.credentials()
        return {"OS_AUTH_URL": creds["auth_url"], "OS_USERNAME": creds["username"],
                "OS_PASSWORD": creds["password"], "OS_PROJECT_NAME": creds["project_name"],
                "OS_USER_DOMAIN_NAME": creds["user_domain_name"],
                "OS_PROJECT_DOMAIN_NAME": creds["project_domain_name"],
                "OS_IDENTITY_API_VERSION": "3", "OS_INTERFACE": "public"}

    def stop(self) -> None:
        self.nova_server.stop()
        self.keystone_server.stop()

    def __enter__(self) -> "SimulatorEnvironment":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def host_names(count: int, prefix: str = "compute-") -> list[str]:
    return [f"{prefix}{i}" for i in range(1, count + 1)]


def populate(cloud: SimulatedCloud, hosts: Iterable[str], servers_per_host: int = 0,
             ha_enabled: bool = True) -> None:
    """Add compute hosts and ``servers_per_host`` active guests on each (``HA_Enabled=True``)."""
    for name in hosts:
        cloud.add_host(name)
        for _ in range(servers_per_host):
            cloud.add_server(name, metadata={HA_KEY: "True"} if ha_enabled else {})


def start_simulators(hosts: Iterable[str] = (), servers_per_host: int = 0,
                     keystone_port: int = 0, nova_port: int = 0, bind: str = "127.0.0.1",
                     latency: str | latency_mod.LatencyProfile = "fast",
                     service_down_time: float = 60.0, max_limit: int = 1000,
                     token_ttl: float = 3600.0, instance_ha_url: str | None = None,
                     control_token: str | None = None, placement: bool = True
                     ) -> SimulatorEnvironment:
    """Start the Keystone and Nova emulators (ports 0 = ephemeral) and fill the cloud.

    ``placement`` puts the Placement subset (served by the Nova emulator under ``/placement``)
    in the catalog; without it clients fall back to os-hypervisors for capacity.
    """
    identity = Identity(token_ttl=token_ttl)
    profile = latency_mod.profile(latency) if isinstance(latency, str) else latency
    cloud = SimulatedCloud(latency=profile, service_down_time=service_down_time,
                           max_limit=max_limit, project_id=identity.projects["admin"].id,
                           user_id=identity.users["admin"].id)
    populate(cloud, hosts, servers_per_host)
    ks = ServedApp(keystone.create_app(identity), host=bind, port=keystone_port)
    try:
        nova = ServedApp(nova_app.create_app(cloud, identity, control_token), host=bind,
                         port=nova_port)
    except Exception:
        ks.stop()
        raise
    identity.set_endpoint("compute", "nova", nova.url + "/v2.1")
    if placement:
        identity.set_endpoint("placement", "placement", nova.url + "/placement")
    if instance_ha_url:
        identity.set_endpoint("instance-ha", "masakari", instance_ha_url)
    return SimulatorEnvironment(cloud=cloud, identity=identity, keystone_server=ks,
                                nova_server=nova, control_token=control_token)
