"""A real masakari_ha API process (``masakari-ha-api``, SQLite, ``auth_strategy=noauth``) for
monitor tests and the monitor benchmark: start, stop, restart on the same port, register
hosts and read back the notifications it accepted."""

import os
import random
import signal
import shutil
import socket
import subprocess
import sys
import time

import requests

BIN = os.path.dirname(sys.executable)


class ApiUnavailable(RuntimeError):
    """masakari-ha-api is not installed or does not start."""


def free_port() -> int:
    """A free TCP port below 32768 (the project's rule), found by trying to bind."""
    for _ in range(200):
        port = random.randint(20000, 29999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise ApiUnavailable("no free port in 20000-29999")


class ApiProcess:
    def __init__(self, workdir: str, port: int | None = None):
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = self.url + "/v1"
        self.proc: subprocess.Popen | None = None
        self.host_names: dict[str, str] = {}     # host uuid -> name
        os.makedirs(workdir, exist_ok=True)
        self.conf_file = os.path.join(workdir, "api.conf")
        self.log_file = os.path.join(workdir, "api.log")
        with open(self.conf_file, "w") as f:
            f.write(
                "[DEFAULT]\n"
                "auth_strategy = noauth\n"
                "masakari_api_listen = 127.0.0.1\n"
                f"masakari_api_listen_port = {self.port}\n"
                "masakari_api_workers = 1\n"
                "transport_url = fake://\n"
                f"state_path = {workdir}\n"
                f"log_file = {self.log_file}\n"
                "[database]\n"
                f"connection = sqlite:///{os.path.join(workdir, 'api.sqlite')}\n"
                "[nova]\n"
                "validate_host_names = false\n")
        for tool in ("masakari-ha-api", "masakari-ha-manage"):
            if not shutil.which(tool, path=BIN):
                raise ApiUnavailable(f"{tool} not found in {BIN}")
        res = subprocess.run([os.path.join(BIN, "masakari-ha-manage"), "--config-file",
                              self.conf_file, "db", "sync"], capture_output=True, text=True)
        if res.returncode != 0:
            raise ApiUnavailable(f"masakari-ha-manage db sync failed: {res.stderr[-2000:]}")

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "masakari-ha-api"), "--config-file", self.conf_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ApiUnavailable(f"masakari-ha-api exited {self.proc.returncode}; "
                                     f"see {self.log_file}")
            try:
                if requests.get(self.url + "/v1/notifications", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise ApiUnavailable(f"masakari-ha-api did not answer within {timeout}s")

    def stop(self) -> None:
        """SIGTERM the process group; SIGKILL it if it has not exited within 5 s (for these
        tests both are just "the API went away"; committed rows are in SQLite either way)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)   # also reaps leftover workers
        except ProcessLookupError:
            pass
        self.proc.wait(5)
        self.proc = None

    # -- data ------------------------------------------------------------------------------
    def register_hosts(self, *names: str, segment: str = "seg1") -> None:
        r = requests.post(self.url + "/v1/segments", json={"segment": {
            "name": segment, "recovery_method": "auto", "service_type": "COMPUTE"}}, timeout=10)
        r.raise_for_status()
        seg = r.json()["segment"]["uuid"]
        for name in names:
            r = requests.post(f"{self.url}/v1/segments/{seg}/hosts", json={"host": {
                "name": name, "type": "COMPUTE", "control_attributes": "SSH"}}, timeout=10)
            r.raise_for_status()
            self.host_names[r.json()["host"]["uuid"]] = name

    def notifications(self) -> list[dict]:
        """Every accepted notification, oldest first (by database id / creation)."""
        out, marker = [], None
        while True:
            params = {"limit": 1000, "sort_key": "created_at", "sort_dir": "asc"}
            if marker:
                params["marker"] = marker
            r = requests.get(self.url + "/v1/notifications", params=params, timeout=30)
            r.raise_for_status()
            page = r.json()["notifications"]
            out.extend(page)
            if len(page) < 1000:
                break
            marker = page[-1]["notification_uuid"]
        for n in out:
            n["hostname"] = self.host_names.get(n.get("source_host_uuid"))
        return sorted(out, key=lambda n: n.get("id", 0))

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.notifications()
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.1)
