"""MAAS emulator: the MAAS 2.0 power API with real OAuth1 PLAINTEXT checking.

Speaks the HTTP API the fencing code uses (machine lookup, power_off/power_on,
query_power_state), keeps machines with power states that change after realistic delays,
injects failures (BMC unknown/error/unreachable, 503/409/403, slow or ignored power-off,
wrong key) and records every power action so a test can assert "hard power-off of exactly
that machine".

In-process (tests)::

    with MaasEmulator(machines=["node1", "node2"], api_key=KEY) as sim:
        client = MaasClient(sim.url, ApiKey.parse(KEY))
        sim.set("node1", query_fault="unknown")
        sim.actions("node1")

Standalone (demo, pacemaker lab)::

    python -m masakari_ha.simulator.maas --port 15240 --machines remote1,remote2 \
        --api-key-file /path/key [--off-delay 2] [--actions-log /path/actions.jsonl]

The control API is documented in :mod:`masakari_ha.simulator.maas.server`.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from masakari_ha.simulator.maas import auth
from masakari_ha.simulator.maas.server import EmulatorServer
from masakari_ha.simulator.maas.state import Machine, MaasWorld, SimError

__all__ = ["DEFAULT_API_KEY", "Machine", "MaasEmulator", "MaasWorld", "SimError"]

#: Key the emulator accepts when none is given (demo only; tests pass their own).
DEFAULT_API_KEY = "masakari-ha-sim:sim-token-key:sim-token-secret"


class MaasEmulator:
    """A MAAS emulator served over HTTP from a background thread.

    :param machines: hostnames (powered on) to create, or dicts of Machine fields.
    :param api_key: the key with edit rights; ``readonly_api_key`` gets 403 on power actions.
    :param port: 0 picks a free ephemeral port.
    :param defaults: Machine fields applied to every machine created from a hostname
        (e.g. ``off_delay=0.2``).
    """

    def __init__(
        self,
        machines: Optional[list] = None,
        api_key: str = DEFAULT_API_KEY,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        readonly_api_key: Optional[str] = None,
        actions_log: Optional[str] = None,
        defaults: Optional[dict] = None,
    ):
        self.world = MaasWorld(actions_log=actions_log)
        self.verifier = auth.PlaintextVerifier([])
        self._server = EmulatorServer((host, port), self.world, self.verifier)
        self._server.set_keys(api_key, readonly_api_key)
        self._thread: Optional[threading.Thread] = None
        for entry in machines or ():
            if isinstance(entry, dict):
                fields = dict(defaults or {}, **entry)
                self.world.add(fields.pop("hostname"), **fields)
            else:
                self.world.add(entry, **(defaults or {}))

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The MAAS URL as operators write it (``http://host:port/MAAS``)."""
        host = self._server.server_address[0]
        return f"http://{host}:{self.port}/MAAS"

    def start(self) -> "MaasEmulator":
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"maas-sim-{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "MaasEmulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- conveniences for tests ---------------------------------------------------------

    def machine(self, hostname: str) -> Machine:
        return self.world.by_hostname(hostname)

    def set(self, hostname: str, **fields: Any) -> Machine:
        return self.world.update(hostname, **fields)

    def actions(self, hostname: Optional[str] = None) -> list:
        return self.world.actions(hostname)

    def set_keys(self, api_key: str, readonly_api_key: Optional[str] = None) -> None:
        self._server.set_keys(api_key, readonly_api_key)
