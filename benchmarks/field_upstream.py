"""Upstream masakari 22.0.0 + masakari-monitors 22.0.0 on the field bed (tools/field-bed.sh).

Used by ``benchmarks/field_bench.py`` for the upstream half of the field benchmark. Upstream runs
from PyPI in its own virtualenvs (it needs eventlet, which never enters the project's venv):

* ``masakari==22.0.0`` in the venv ``benchmarks/api_bench.py`` creates (``ensure_upstream``,
  /var/tmp/masakari-ha-bench/upstream-api-venv: masakari + PyMySQL);
* ``masakari-monitors==22.0.0`` in /var/tmp/masakari-ha-bench/upstream-monitors-venv.

What is configured is only what points upstream at the bed; every timing option keeps upstream's
default (``wait_period_after_service_update`` 180 s, ``monitoring_interval`` 60 s,
``monitoring_samples`` 1, ``notification_delay_max`` 5 s, ``host_failure_recovery_threads`` 3, ...):

* masakari-api + masakari-engine (separate processes): MariaDB database ``masakari_field_upstream``
  (masakari and TaskFlow tables), the bed's RabbitMQ with ``control_exchange =
  masakari_field_upstream`` (ours uses ``masakari_field``), Keystone auth (user ``masakari``),
  Nova through the admin account in RegionOne; the API on 10.241.0.1:15880 (the cluster bridge,
  see below) registered as ``instance-ha`` in a Keystone region of its own (``masakari-upstream``);
* one ``masakari-hostmonitor`` per pacemaker-remote node, run inside that node's network
  namespace (``ip netns exec pcmk-rN``), with the pacemaker-remote settings upstream documents:
  ``[host] restrict_to_remotes = True`` (crm_mon, remote nodes only), ``pacemaker_node_type =
  remote`` (no systemd on the bed: the default ``autodetect`` runs ``systemctl status``, fails
  and skips monitoring forever) and ``disable_ipmi_check = True`` (upstream: "If ipmi RA is not
  set in pacemaker, this value should be set True" - the bed fences with stonith:fence_maas,
  and with restrict_to_remotes the CIB is never read, so the IPMI check would always answer
  host_status=UNKNOWN, which the engine ignores). Its privileged commands go through
  oslo.privsep as upstream requires: ``[masakarimonitors_privileged] helper_command = sudo
  <venv>/bin/privsep-helper --config-file ...`` (the default ``sudo privsep-helper`` is not on
  sudo's secure_path in a venv install). It authenticates as ``masakari`` (admin in project
  ``service``, like devstack's monitors): upstream's default policy makes notification create
  admin-only.

Networking: a namespace reaches only the cluster bridge 10.241.0.0/24 (root side 10.241.0.1),
while Keystone listens on 127.0.0.1. The upstream API therefore listens on 10.241.0.1 and a
small TCP relay (:class:`Relay`, in the benchmark process) forwards 10.241.0.1:15001 to
Keystone; the monitors use ``auth_url = http://10.241.0.1:15001/v3``.

Our API, engines and monitors are stopped (with the bed's own ``stop-engine NAME`` verb, which
stops any of the bed's process groups by name) for the whole upstream run; ``field-bed.sh
reset`` brings them back.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))
from benchmarks.api_bench import DEFAULT_VENV as MASAKARI_VENV  # noqa: E402
from benchmarks.api_bench import ensure_upstream as ensure_masakari  # noqa: E402

MONITORS_PACKAGE = "masakari-monitors==22.0.0"
MONITORS_VENV = "/var/tmp/masakari-ha-bench/upstream-monitors-venv"
WORKDIR = Path("/var/tmp/masakari-ha-bench/field-upstream")
BRIDGE_IP = "10.241.0.1"
API_PORT = 15880
KEYSTONE_PORT = 15001
AUTH_URL = f"http://127.0.0.1:{KEYSTONE_PORT}/v3"
BRIDGE_AUTH_URL = f"http://{BRIDGE_IP}:{KEYSTONE_PORT}/v3"
REGION = "masakari-upstream"
DB_NAME = "masakari_field_upstream"
EXCHANGE = "masakari_field_upstream"
OURS = ["hostmonitor-remote1", "hostmonitor-remote2", "hostmonitor-remote3", "hostmonitor-remote4",
        "instancemonitor", "engine-2", "engine-1", "api"]


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] upstream: {msg}\n")
    sys.stderr.flush()


def ensure_monitors(venv: str = MONITORS_VENV) -> Path:
    """The masakari-monitors venv (created from PyPI when missing)."""
    path = Path(venv)
    check = [str(path / "bin" / "python"), "-c", "import masakarimonitors.cmd.hostmonitor, oslo_privsep"]
    if (path / "bin" / "python").exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return path
    base = shutil.which("python3.11") or sys.executable
    log(f"installing {MONITORS_PACKAGE} into {path} (PyPI)")
    subprocess.run([base, "-m", "venv", str(path)], check=True)
    subprocess.run([str(path / "bin" / "pip"), "install", "-q", MONITORS_PACKAGE], check=True)
    return path


class Relay:
    """TCP relay BRIDGE_IP:port -> 127.0.0.1:port (one thread per connection), so processes in the
    pacemaker-remote namespaces reach Keystone, which listens on loopback only."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.target = target
        self.sock = socket.create_server(listen, reuse_port=False)
        self.sock.settimeout(0.5)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="keystone-relay", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        pair = {client: upstream, upstream: client}
        try:
            while not self.stopped.is_set():
                ready, _, _ = select.select(list(pair), [], [], 0.5)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        self.thread.join(timeout=2)


class Proc:
    """A process started in its own session (process group), stopped by group; its pid is kept in
    ``<workdir>/run`` so a benchmark that died is cleaned up by the next one (:func:`stop_stale`)."""

    def __init__(self, name: str, cmd: list[str], logdir: Path) -> None:
        self.name = name
        self.out = open(logdir / f"{name}.out", "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=logdir)
        self.pidfile = logdir.parent / "run" / f"{name}.pid"
        self.pidfile.parent.mkdir(exist_ok=True)
        self.pidfile.write_text(str(self.proc.pid))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        # privsep daemons started through sudo stay in the group: make sure none survives
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.out.close()
        self.pidfile.unlink(missing_ok=True)


def stop_stale(workdir: Path) -> None:
    """Stop the process groups a previous, interrupted run left behind (by their recorded pid)."""
    for pidfile in (workdir / "run").glob("*.pid"):
        try:
            pid = int(pidfile.read_text())
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass
        pidfile.unlink(missing_ok=True)


def _db_urls(field_db_url: str) -> tuple[str, str]:
    """(server URL without database, upstream's database URL) from the bed's database URL."""
    parts = urlsplit(field_db_url)
    server = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    return server, urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "charset=utf8mb4", ""))


def _rabbit_url() -> str:
    out = subprocess.run([str(REPO / "tools" / "rabbitmq.sh"), "url"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


class UpstreamOnBed:
    """Upstream's API, engine and host monitors wired to the field bed (see the module docstring)."""

    def __init__(self, bed, hosts: list[str], reserved: str, workdir: Path = WORKDIR) -> None:
        self.bed = bed
        self.hosts = hosts
        self.reserved = reserved
        self.workdir = workdir
        self.masakari_venv = Path(MASAKARI_VENV)
        ensure_masakari(self.masakari_venv)
        self.monitors_venv = ensure_monitors()
        self.procs: list[Proc] = []
        self.monitors: dict[str, Proc] = {}
        self.relay: Relay | None = None
        self.api_url = f"http://{BRIDGE_IP}:{API_PORT}/v1"

    # ------------------------------------------------------------------ configuration
    def _write_configs(self, db_url: str) -> Path:
        etc = self.workdir / "etc"
        etc.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.masakari_venv / "etc" / "masakari" / "api-paste.ini", etc / "api-paste.ini")
        ks = ("auth_type = password\n"
              "username = {user}\npassword = {user}pass\nproject_name = {project}\n"
              "user_domain_name = Default\nproject_domain_name = Default\n")
        conf = etc / "masakari.conf"
        conf.write_text(
            "[DEFAULT]\n"
            f"transport_url = {_rabbit_url()}\n"
            f"control_exchange = {EXCHANGE}\n"
            f"masakari_api_listen = {BRIDGE_IP}\n"
            f"masakari_api_listen_port = {API_PORT}\n"
            "os_privileged_user_name = admin\n"
            "os_privileged_user_password = adminpass\n"
            "os_privileged_user_tenant = admin\n"
            f"os_privileged_user_auth_url = {AUTH_URL}\n"
            "os_user_domain_name = Default\n"
            "os_project_domain_name = Default\n"
            "os_region_name = RegionOne\n"
            "[database]\n"
            f"connection = {db_url}\n"
            "[taskflow]\n"
            f"connection = {db_url}\n"
            "[wsgi]\n"
            f"api_paste_config = {etc / 'api-paste.ini'}\n"
            "[keystone_authtoken]\n"
            f"www_authenticate_uri = {AUTH_URL}\nauth_url = {AUTH_URL}\nregion_name = RegionOne\n"
            + ks.format(user="masakari", project="service"))
        for i, host in enumerate(self.hosts, 1):
            (etc / f"hostmonitor-{host}.conf").write_text(
                "[DEFAULT]\n"
                f"log_file = {self.workdir / 'log' / f'hostmonitor-{host}.log'}\n"
                "[api]\n"
                f"auth_url = {BRIDGE_AUTH_URL}\nregion = {REGION}\n"
                + ks.format(user="masakari", project="service") +
                "[host]\n"
                "restrict_to_remotes = True\n"
                "pacemaker_node_type = remote\n"
                "disable_ipmi_check = True\n"
                "[masakarimonitors_privileged]\n"
                f"helper_command = sudo {self.monitors_venv / 'bin' / 'privsep-helper'} "
                f"--config-file {etc / f'hostmonitor-{host}.conf'}\n")
        return conf

    # ------------------------------------------------------------------ lifecycle
    def stop_ours(self) -> None:
        for name in OURS:
            subprocess.run([str(REPO / "tools" / "field-bed.sh"), "stop-engine", name], capture_output=True,
                           timeout=60)
        left = [n for n in OURS if (self.bed.field_dir / "run" / f"{n}.pid").exists()]
        if left:
            raise SystemExit(f"could not stop the bed's own processes: {left}")

    def start(self) -> None:
        """Stop ours; fresh database; start upstream's API and engine; its segment and hosts."""
        import keystone_catalog  # tools/keystone_catalog.py

        stop_stale(self.workdir)
        self.stop_ours()
        (self.workdir / "log").mkdir(parents=True, exist_ok=True)
        for old in (self.workdir / "log").glob("*"):
            old.unlink()
        server, db_url = _db_urls(self.bed.db_url)
        engine = sa.create_engine(server, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
            conn.exec_driver_sql(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4")
        engine.dispose()
        conf = self._write_configs(db_url)
        bin_ = self.masakari_venv / "bin"
        sync = subprocess.run([str(bin_ / "masakari-manage"), "--config-file", str(conf), "db", "sync"],
                              capture_output=True, text=True)
        if sync.returncode != 0:
            raise SystemExit(f"upstream masakari-manage db sync failed:\n{sync.stderr[-3000:]}")
        keystone_catalog.register_endpoint(AUTH_URL, self.api_url, region=REGION)
        self.relay = Relay((BRIDGE_IP, KEYSTONE_PORT), ("127.0.0.1", KEYSTONE_PORT))
        logdir = self.workdir / "log"
        self.procs.append(Proc("masakari-api", [str(bin_ / "masakari-api"), "--config-file", str(conf),
                                                "--log-file", str(logdir / "masakari-api.log")], logdir))
        self.procs.append(Proc("masakari-engine", [str(bin_ / "masakari-engine"), "--config-file", str(conf),
                                                   "--log-file", str(logdir / "masakari-engine.log")], logdir))
        self._wait(lambda: self._api_answers(), 120, "upstream masakari-api answering")
        self._wait(lambda: self._engine_consuming(), 120, "upstream masakari-engine consuming")
        self._register_segment()

    def _check_alive(self) -> None:
        for proc in self.procs:
            if not proc.alive():
                raise SystemExit(f"upstream {proc.name} exited: see {self.workdir / 'log' / (proc.name + '.out')}")

    def _wait(self, cond, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            self._check_alive()
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what} (logs: {self.workdir / 'log'})")
            time.sleep(0.5)

    def _api_answers(self) -> bool:
        try:
            return self.bed.session.get(f"http://{BRIDGE_IP}:{API_PORT}/", authenticated=False,
                                        raise_exc=False, timeout=5).status_code in (200, 300)
        except Exception:  # noqa: BLE001 - not listening yet
            return False

    def _engine_consuming(self) -> bool:
        path = self.workdir / "log" / "masakari-engine.log"
        # masakari.service logs this right before it starts its RPC server on the topic
        return path.exists() and re.search(r"Starting \S+ \(version", path.read_text(errors="replace")) is not None

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        resp = self.bed.session.request(self.api_url + path, method, json=body, raise_exc=False,
                                        headers={"OpenStack-API-Version": "instance-ha 1.3"})
        if resp.status_code >= 300:
            raise SystemExit(f"upstream API {method} {path} -> {resp.status_code} {resp.text[:500]}")
        return resp.json() if resp.content else {}

    def _register_segment(self) -> None:
        seg = self.request("POST", "/segments", {"segment": {
            "name": "field-segment", "recovery_method": "auto", "service_type": "COMPUTE"}})["segment"]
        for host in self.hosts:
            self.request("POST", f"/segments/{seg['uuid']}/hosts", {"host": {
                "name": host, "type": "COMPUTE", "control_attributes": "SSH",
                "reserved": host == self.reserved}})

    def start_monitors(self, watch: str, timeout: float = 180) -> float:
        """Start upstream's hostmonitor in each remote node's namespace; return time.monotonic() when
        every monitor has taken its first sample of ``watch`` (its baseline: upstream never reports
        a node it did not first see online)."""
        etc, logdir = self.workdir / "etc", self.workdir / "log"
        for i, host in enumerate(self.hosts, 1):
            self.monitors[host] = Proc(f"hostmonitor-{host}", [
                "ip", "netns", "exec", f"pcmk-r{i}", str(self.monitors_venv / "bin" / "masakari-hostmonitor"),
                "--config-file", str(etc / f"hostmonitor-{host}.conf")], logdir)
        self.procs.extend(self.monitors.values())
        pattern = f"Recognized '{watch}' as a new member of cluster"

        def baselined() -> bool:
            for host in self.hosts:
                path = logdir / f"hostmonitor-{host}.log"
                if not path.exists() or pattern not in path.read_text(errors="replace"):
                    return False
            return True

        self._wait(baselined, timeout, f"every upstream hostmonitor's first sample of {watch}")
        return time.monotonic()

    def notifications(self) -> list[dict]:
        return self.request("GET", "/notifications")["notifications"]

    def stop(self) -> None:
        import keystone_catalog

        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()
        self.monitors.clear()
        if self.relay is not None:
            self.relay.close()
            self.relay = None
        keystone_catalog.remove_region(AUTH_URL, REGION)
