"""Python client of the Nova emulator's ``/_sim`` control API, for use from another process."""

from __future__ import annotations

from typing import Any

import requests


class RemoteControlError(Exception):
    """The control API refused a request (message from its ``{"error": ...}`` body)."""


class RemoteCloud:
    """Drive a Nova emulator over HTTP: ``RemoteCloud("http://127.0.0.1:15101")``."""

    def __init__(self, nova_base_url: str, token: str | None = None, timeout: float = 30.0
                 ) -> None:
        self.base = nova_base_url.rstrip("/")
        if self.base.endswith("/v2.1"):
            self.base = self.base[: -len("/v2.1")]
        self._http = requests.Session()
        if token:
            self._http.headers["X-Sim-Token"] = token
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, f"{self.base}/_sim{path}", json=body,
                                      params=params, timeout=self.timeout)
        if response.status_code >= 400:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            raise RemoteControlError(f"{method} /_sim{path}: {response.status_code} {message}")
        return response.json() if response.content else None

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def add_host(self, name: str, **capacity: Any) -> None:
        self._call("POST", "/hosts", {"name": name, **capacity})

    def add_servers(self, host: str, count: int = 1, **fields: Any) -> list[dict[str, Any]]:
        return self._call("POST", "/servers", {"host": host, "count": count, **fields})["servers"]

    def add_server(self, host: str, **fields: Any) -> dict[str, Any]:
        return self.add_servers(host, 1, **fields)[0]

    def servers(self, host: str | None = None) -> list[dict[str, Any]]:
        return self._call("GET", "/servers", params={"host": host} if host else None)["servers"]

    def server(self, uuid: str) -> dict[str, Any]:
        return self._call("GET", f"/servers/{uuid}")["server"]

    def crash_server(self, uuid: str) -> dict[str, Any]:
        """The guest dies under Nova (its vm_state turns stopped after ``power_sync``)."""
        return self._call("POST", f"/servers/{uuid}/crash")["server"]

    def kill_host(self, name: str, immediate: bool = False) -> None:
        self._call("POST", f"/hosts/{name}/kill", {"immediate": immediate})

    def restart_compute(self, name: str) -> None:
        self._call("POST", f"/hosts/{name}/restart")

    def set_capacity_full(self, name: str, full: bool = True) -> None:
        self._call("POST", f"/hosts/{name}/capacity", {"full": full})

    def add_aggregate(self, name: str, hosts: list[str], availability_zone: str | None = None
                      ) -> dict[str, Any]:
        return self._call("POST", "/aggregates", {"name": name, "hosts": hosts,
                                                  "availability_zone": availability_zone})

    def inject(self, call: str = "*", status: int | None = 500, delay: float = 0.0,
               instance: str | None = None, times: int | None = None) -> dict[str, Any]:
        return self._call("POST", "/faults", {"call": call, "status": status, "delay": delay,
                                              "instance": instance, "times": times})

    def fail_evacuations(self, instances: list[str]) -> None:
        self._call("POST", "/faults/evacuate", {"instances": list(instances)})

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def latency(self) -> dict[str, Any]:
        return self._call("GET", "/latency")

    def set_latency(self, **fields: Any) -> dict[str, Any]:
        return self._call("PUT", "/latency", fields)

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "/counters")

    def evacuate_calls(self, uuid: str | None = None) -> int | dict[str, int]:
        calls = self.counters()["evacuate_calls"]
        return calls if uuid is None else calls.get(uuid, 0)

    def migrations(self) -> list[dict[str, Any]]:
        return self._call("GET", "/migrations")["migrations"]
