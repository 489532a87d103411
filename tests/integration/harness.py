"""Plumbing for the integration tests: real servers from tools/, scratch databases, and
``masakari-ha-api`` run as a real process (gunicorn with N workers) on a free port.

Nothing here fakes a component: the servers are the ones tools/*.sh install and start; the
API is the installed console script reading a generated config file.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
BIN = Path(sys.executable).parent  # the venv's bin: masakari-ha-api, masakari-ha-manage, openstack

KEYSTONE_AUTH_URL_DEFAULT = "http://127.0.0.1:15001/v3"


class ServerUnavailable(RuntimeError):
    """A tools/ server could not be started; the message says why (last lines of its output)."""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class ToolServer:
    """One tools/<name>.sh server: its URL and whether this test session started it."""

    name: str
    url: str
    started_here: bool

    def down(self) -> None:
        subprocess.run([str(TOOLS / f"{self.name}.sh"), "down"], capture_output=True, timeout=120)


def tool_server_up(name: str, *args: str, timeout: int = 900) -> ToolServer:
    """``tools/<name>.sh up`` (idempotent); raise ServerUnavailable with the script's own words."""
    script = TOOLS / f"{name}.sh"
    was_running = subprocess.run([str(script), "status"], capture_output=True, timeout=60).returncode == 0
    started = time.monotonic()
    proc = subprocess.run([str(script), "up", *args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise ServerUnavailable(f"tools/{name}.sh up failed (exit {proc.returncode}):\n{tail}")
    url = proc.stdout.strip().splitlines()[-1]
    sys.stderr.write(f"[integration] tools/{name}.sh up -> {url} ({time.monotonic() - started:.1f}s)\n")
    return ToolServer(name=name, url=url, started_here=not was_running)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- databases

@dataclass
class ScratchDatabase:
    """A brand-new, empty database of one kind, dropped again by :meth:`drop`."""

    kind: str  # sqlite | postgresql | mariadb
    url: str
    _admin_url: str | None = None
    _name: str | None = None

    @classmethod
    def create(cls, kind: str, server_url: str | None, workdir: Path) -> "ScratchDatabase":
        if kind == "sqlite":
            workdir.mkdir(parents=True, exist_ok=True)
            return cls(kind, f"sqlite:///{workdir / ('mha-' + uuid.uuid4().hex[:8] + '.sqlite')}")
        assert server_url, f"no server URL for {kind}"
        name = "mha_" + uuid.uuid4().hex[:12]
        admin = sa.engine.make_url(server_url)
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            if kind == "postgresql":
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        engine.dispose()
        return cls(kind, admin.set(database=name).render_as_string(hide_password=False), server_url, name)

    def drop(self) -> None:
        if self.kind == "sqlite":
            path = Path(sa.engine.make_url(self.url).database)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return
        engine = sa.create_engine(self._admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            if self.kind == "postgresql":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{self._name}`"))
        engine.dispose()


# --------------------------------------------------------------------------- API process

@dataclass
class KeystoneAuth:
    """What the API needs for ``auth_strategy = keystone`` (keystonemiddleware's own user)."""

    auth_url: str
    username: str = "masakari"
    password: str = "masakaripass"
    project_name: str = "service"


@dataclass
class ApiProcess:
    """``masakari-ha-api`` as a real process: config file, ``db sync``, start, wait, stop."""

    workdir: Path
    db_url: str
    workers: int = 1
    transport_url: str = "fake://"
    keystone: KeystoneAuth | None = None
    extra_conf: str = ""
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.workdir / "masakari_ha.conf"

    @property
    def log_file(self) -> Path:
        return self.workdir / "api.log"

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        lines = [
            "[DEFAULT]",
            f"state_path = {self.workdir / 'state'}",
            "masakari_api_listen = 127.0.0.1",
            f"masakari_api_listen_port = {self.port}",
            f"masakari_api_workers = {self.workers}",
            f"auth_strategy = {'keystone' if self.keystone else 'noauth'}",
            f"transport_url = {self.transport_url}",
            "[database]",
            f"connection = {self.db_url}",
            "[nova]",
            "validate_host_names = False",
        ]
        if self.keystone:
            ks = self.keystone
            lines += [
                "[keystone_authtoken]",
                f"www_authenticate_uri = {ks.auth_url}",
                f"auth_url = {ks.auth_url}",
                "auth_type = password",
                f"username = {ks.username}",
                f"password = {ks.password}",
                f"project_name = {ks.project_name}",
                "user_domain_name = Default",
                "project_domain_name = Default",
                "region_name = RegionOne",
            ]
        text = "\n".join(lines) + "\n"
        self.config_file.write_text(textwrap.dedent(text) + textwrap.dedent(self.extra_conf))

    def manage(self, *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "masakari-ha-manage"), "--config-file", str(self.config_file), *args],
                              capture_output=True, text=True, timeout=timeout)

    def start(self, timeout: float = 90) -> "ApiProcess":
        self.write_config()
        sync = self.manage("db", "sync")
        if sync.returncode != 0:
            raise RuntimeError(f"masakari-ha-manage db sync failed:\n{sync.stdout}\n{sync.stderr}")
        log = open(self.log_file, "ab")
        self.proc = subprocess.Popen([str(BIN / "masakari-ha-api"), "--config-file", str(self.config_file)],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"masakari-ha-api exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                # ready = answering AND every worker forked (the first one answers early)
                if (requests.get(self.base_url + "/", timeout=2).status_code == 200
                        and len(self.worker_pids()) >= self.workers):
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"masakari-ha-api did not answer on {self.base_url} in {timeout}s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """Children of the API's main process (gunicorn workers)."""
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # workers of the group that outlived the master (should not happen) are killed too
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def openstack_cli() -> str:
    """Path of the venv's ``openstack`` (python-openstackclient + python-masakariclient)."""
    path = BIN / "openstack"
    return str(path) if path.exists() else (shutil.which("openstack") or "openstack")


# --------------------------------------------------------------------------- Keystone

def keystone_catalog():
    """tools/keystone_catalog.py as a module (identity set-up and endpoint registration)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("keystone_catalog", TOOLS / "keystone_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# persona -> (user, project or None for system scope "all")
PERSONAS = {
    "admin": ("admin", "admin"),
    "member": ("member", "demo"),
    "reader": ("reader", None),              # system-scoped reader (secure-RBAC system reader)
    "project-reader": ("reader", "demo"),    # the same user scoped to a project
    "service": ("service", "service"),
}


def persona_token(auth_url: str, persona: str) -> str:
    """A real Keystone token for ``persona`` (see PERSONAS)."""
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    user, project = PERSONAS[persona]
    scope = {"project_name": project, "project_domain_id": "default"} if project else {"system_scope": "all"}
    auth = v3.Password(auth_url=auth_url, username=user, password=user + "pass", user_domain_id="default",
                       **scope)
    return ks_session.Session(auth=auth).get_token()
