"""End-to-end fixtures: the real pacemaker bed, the real libvirt bed and a real API process.

One bed per test session (started by ``tools/pacemaker-lab.sh`` / ``tools/libvirt-lab.sh`` and
stopped again at the end if this session started it), reset between tests; a fresh API process on
its own SQLite file for every test.  A bed that genuinely cannot start (not root, no network
namespaces, packages not installable) skips its tests with the exact reason printed loudly — except
under CI (``CI`` set), where it fails: CI machines must be able to run the real components.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
VENV_BIN = Path(sys.executable).parent
BRIDGE_IP = "10.241.0.1"          # pcmkbr0's address: what the remote namespaces can reach
API_PORTS = range(15880, 15900)   # e2e API processes (first free one on the chosen address)
API_HEADERS = {"OpenStack-API-Version": "instance-ha 1.3", "Content-Type": "application/json"}


def failure_detail(exc: Exception) -> str:
    """A bed script's failure as text: the error, and for a timeout what was still running."""
    return f"{exc}\n{exc.output}" if isinstance(exc, subprocess.TimeoutExpired) else str(exc)


def record_failure(text: str) -> None:
    """Append a bed failure to the lab's e2e-failures.log, which tools/run-tests prints after
    pytest's summary (the part of a long CI log that is still shown when it is cut)."""
    root = Path(os.environ.get("MASAKARI_HA_LAB", "/var/tmp/masakari-ha-lab"))
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
        with open(root / "e2e-failures.log", "a") as failures:
            failures.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")


def unavailable(reason: str) -> None:
    """Skip loudly (fail under CI) because a real component cannot start here."""
    banner = f"E2E BED UNAVAILABLE: {reason}"
    sys.stderr.write("\n" + "!" * len(banner) + "\n" + banner + "\n" + "!" * len(banner) + "\n")
    record_failure(banner)
    if os.environ.get("CI"):
        pytest.fail(banner, pytrace=False)
    pytest.skip(banner)


def run_script(argv: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a bed script to completion and return its output.

    Its output goes to files, not pipes: a daemon the script starts that kept an inherited pipe
    open would otherwise hold ``communicate()`` until the timeout although the script had long
    finished. The script runs in a process group of its own, so a timeout kills everything it was
    still running (no orphaned ``apt-get`` or ``nova-manage`` racing the clean-up), and the
    TimeoutExpired names what was running then and the script's last output lines.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True,
                                env=env, start_new_session=True)
        try:
            returncode = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            running = subprocess.run(["ps", "-o", "pid,etimes,args", "--forest", "-g", str(proc.pid)],
                                     capture_output=True, text=True).stdout
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            err.seek(0)
            tail = "\n".join(err.read().splitlines()[-25:])
            raise subprocess.TimeoutExpired(
                argv, timeout, output=f"still running:\n{running[-2500:]}\nlast output:\n{tail}") from None
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, returncode, out.read(), err.read())


def wait_for(condition: Callable[[], object], timeout: float, what: str | Callable[[], str],
             interval: float = 0.25):
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` (a string or
    a callable producing one at failure time, e.g. to include a process's latest output)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            what = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(interval)


def _preconditions(tool: str) -> str | None:
    if os.geteuid() != 0:
        return f"{tool} needs root (network namespaces, daemons)"
    if not shutil.which("ip"):
        return f"{tool} needs iproute2's 'ip'"
    if not shutil.which("apt-get"):
        return f"{tool} installs Debian packages with apt-get, which is missing"
    return None


@contextlib.contextmanager
def exclusive_bed(name: str, timeout: float = 900):
    """Hold an exclusive lock on one bed for a whole test session: the beds are machine-wide
    singletons (namespaces, the system libvirtd), so a second session (another checkout, a
    parallel CI job) waits here instead of resetting the bed under the first one."""
    root = Path(os.environ.get("MASAKARI_HA_LAB", "/var/tmp/masakari-ha-lab"))
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{name}.e2e.lock", "w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    unavailable(f"the {name} bed stayed in use by another test session for {timeout:.0f} s")
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _script_env() -> dict:
    env = dict(os.environ)
    env["MASAKARI_HA_PYTHON"] = str(VENV_BIN / "python")
    return env


# --------------------------------------------------------------------------------------------
# pacemaker
# --------------------------------------------------------------------------------------------
class BedScript:
    """One tools/<bed>.sh script, run the way every e2e fixture runs it."""

    script: Path
    startup_seconds = 0.0

    def run(self, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
        proc = run_script([str(self.script), *args], timeout, _script_env())
        if check and proc.returncode != 0:
            raise RuntimeError(f"{self.script.name} {' '.join(args)} failed ({proc.returncode}): "
                               f"{proc.stderr.strip()[-2000:]}")
        return proc


@contextlib.contextmanager
def session_bed(lab: BedScript, name: str, *up_args: str):
    """``lab`` up for a whole test session under the bed's lock; taken down at the end only when
    this session brought it up. A bed that cannot start is reported by :func:`unavailable`."""
    reason = _preconditions(f"the {name} bed")
    if reason:
        unavailable(reason)
    with exclusive_bed(name):
        was_up = lab.run("status", check=False).returncode == 0
        t0 = time.monotonic()
        try:
            lab.run("up", *up_args, timeout=900)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            lab.run("down", check=False)
            unavailable(f"{lab.script.name} up {' '.join(up_args)} failed: {failure_detail(exc)}")
        lab.startup_seconds = time.monotonic() - t0
        sys.stderr.write(f"\n{name} bed ready in {lab.startup_seconds:.1f} s\n")
        yield lab
        if not was_up:
            lab.run("down", check=False)


# pacemaker 2.1's controller reads a message from a Pacemaker Remote node to its end in a
# blocking poll of up to 60 s. A link cut in the middle of one (a host monitor on that node
# proxies crm_mon through the connection every second) freezes the whole controller: nothing is
# scheduled, nothing fenced, no IPC answered. pacemakerd kills it after five missed 7 s checks
# and starts a new one, which starts over from the CIB. Seen in 9 of 19 runs of the isolated-node
# test on this bed (gdb: pacemaker-controld in poll() under read_remote_message on the cut
# node's TLS socket).
CONTROLLER_REPLACED_WITHIN = 45  # seconds, from the freeze to a new controller


class PacemakerLab(BedScript):
    """Driver for tools/pacemaker-lab.sh plus read access to the live cluster state."""

    script = TOOLS / "pacemaker-lab.sh"

    def __init__(self) -> None:
        self.env: dict[str, str] = {}

    def load_env(self) -> None:
        out = self.run("env").stdout
        for line in out.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            self.env[key] = value.strip('"')

    @property
    def nodes(self) -> list[str]:
        return self.env["MASAKARI_HA_PCMK_NODES"].split()

    @property
    def fence_agent(self) -> str:
        return Path(self.env["MASAKARI_HA_PCMK_LAB"], "run", "fence-agent").read_text().strip()

    # -- cluster state ---------------------------------------------------------------------
    @staticmethod
    def crm_mon(netns: str | None = None) -> ET.Element:
        cmd = ["crm_mon", "-1", "--output-as=xml"]
        if netns:
            cmd = ["ip", "netns", "exec", netns, *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
        return ET.fromstring(out)

    def node(self, name: str) -> dict:
        for node in self.crm_mon().iter("node"):
            if node.get("name") == name and node.get("type") in ("remote", "member"):
                return dict(node.attrib)
        raise AssertionError(f"node {name} not in crm_mon")

    def fence_events(self, target: str) -> list[dict]:
        return [dict(e.attrib) for e in self.crm_mon().iter("fence_event") if e.get("target") == target]

    def fenced_and_clean(self, name: str) -> bool:
        """crm_mon: the node is offline, clean, and a fencing of it succeeded."""
        node = self.node(name)
        return (node["online"] == "false" and node["unclean"] == "false"
                and any(e.get("status") == "success" for e in self.fence_events(name)))

    def connected(self, name: str) -> bool:
        """The node is really back: online and its connection resource Started (a dead remote
        node shows a phantom online="true" while pacemaker retries, with the resource Starting)."""
        root = self.crm_mon()
        online = any(n.get("name") == name and n.get("online") == "true" for n in root.iter("node"))
        started = any(r.get("id") == name and r.get("role") == "Started" for r in root.iter("resource"))
        return online and started

    @staticmethod
    def controller_answers() -> bool:
        """The cluster's controller answers IPC (asked for the DC with crmadmin)."""
        try:
            return subprocess.run(["crmadmin", "--dc_lookup", "--timeout", "3000"],
                                  capture_output=True, timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def with_quorum(self, netns: str | None = None) -> bool:
        dc = self.crm_mon(netns).find("summary/current_dc")
        return dc is not None and dc.get("with_quorum") == "true"

    def healthy(self) -> bool:
        try:
            root = self.crm_mon()
        except (ET.ParseError, subprocess.TimeoutExpired):
            return False
        remotes = {n.get("name"): n for n in root.iter("node") if n.get("type") == "remote"}
        starting = any(r.get("role") == "Starting" for r in root.iter("resource"))
        return (all(remotes.get(n) is not None and remotes[n].get("online") == "true"
                    and remotes[n].get("unclean") == "false" for n in self.nodes) and not starting)

    # -- the lab's MAAS emulator (control API) ----------------------------------------------
    @property
    def maas_control(self) -> str:
        return self.env["MASAKARI_HA_PCMK_MAAS_URL"].split("/MAAS")[0] + "/_sim"

    def maas_actions(self, hostname: str | None = None) -> list[dict]:
        params = {"hostname": hostname} if hostname else None
        resp = requests.get(self.maas_control + "/actions", params=params, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def stonith_actions(self, op: str | None = None) -> list[dict]:
        """Power actions pacemaker's STONITH device sent: both agents (fence_maas and
        external/maas) put "(pacemaker STONITH)" in the MAAS comment. Anything else — e.g. an
        engine of another bed configured with [fencing] driver = maas against this emulator —
        is not what the pacemaker tests look at."""
        return [a for a in self.maas_actions()
                if "pacemaker STONITH" in (a.get("comment") or "") and (op is None or a["op"] == op)]

    def maas_machine(self, hostname: str, **fields) -> dict:
        """Read (no fields) or change (fields) one emulated machine."""
        url = f"{self.maas_control}/machines/{hostname}"
        resp = requests.patch(url, json=fields, timeout=5) if fields else requests.get(url, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def maas_reset(self) -> None:
        """Every machine on, the lab's delays, no injected fault, no recorded action."""
        for machine in requests.get(self.maas_control + "/machines", timeout=5).json():
            self.maas_machine(machine["hostname"], power_state="on", off_delay=0.5, on_delay=0.5,
                              query_fault=None, power_off_fault=None, power_on_fault=None)
        requests.delete(self.maas_control + "/actions", timeout=5).raise_for_status()

    def use_fence_agent(self, agent: str) -> None:
        """Make ``st-lab`` a ``stonith:<agent>`` device and wait until pacemaker runs it."""
        if self.fence_agent != agent:
            self.run("fence-agent", agent)

        def running():
            for rsc in self.crm_mon().iter("resource"):
                if rsc.get("id") == "st-lab":
                    return (rsc.get("resource_agent") == f"stonith:{agent}"
                            and rsc.get("role") == "Started" and rsc.get("failed") == "false")
            return False

        wait_for(running, 30, f"stonith:{agent} to be started by pacemaker")

    def labdummy_calls(self) -> list[dict]:
        path = Path(self.env["MASAKARI_HA_PCMK_FENCE_LOG"])
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    # -- between tests ---------------------------------------------------------------------
    def reset(self) -> None:
        """Back to: quorate, every link up, every remote online and clean, no fence history,
        no failed actions, every MAAS machine on and no recorded power action."""
        run_dir = Path(self.env["MASAKARI_HA_PCMK_LAB"], "run")
        # A controller frozen by the previous test's link cut (see CONTROLLER_REPLACED_WITHIN)
        # would hang the clean-ups below and still show the old state in crm_mon.
        wait_for(self.controller_answers, CONTROLLER_REPLACED_WITHIN + 30,
                 "pacemaker's controller to answer again")
        if not self.with_quorum():
            self.run("quorum", "regain")
        for i, name in enumerate(self.nodes, start=1):
            if (run_dir / f"netcut-{i}").exists():
                self.run("heal", str(i), "--no-wait")
            if not (run_dir / f"remote{i}.pid").exists():
                self.run("start-remote", str(i), "--no-wait")
        subprocess.run(["stonith_admin", "--cleanup", "--history", "*"], capture_output=True, timeout=30)
        subprocess.run(["crm_resource", "--cleanup"], capture_output=True, timeout=30)
        wait_for(self.healthy, 60, "all remote nodes online and clean again")
        if self.fence_agent != "labdummy":
            self.maas_reset()
        else:
            Path(self.env["MASAKARI_HA_PCMK_FENCE_LOG"]).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def pacemaker_lab():
    with session_bed(PacemakerLab(), "pacemaker", "3") as lab:
        lab.load_env()
        yield lab


@pytest.fixture
def pcmk(pacemaker_lab):
    """The pacemaker bed, reset to a healthy state before the test."""
    pacemaker_lab.reset()
    return pacemaker_lab


# --------------------------------------------------------------------------------------------
# libvirt
# --------------------------------------------------------------------------------------------
class LibvirtLab(BedScript):
    """Driver for tools/libvirt-lab.sh: the system libvirtd with tiny TCG domains."""

    script = TOOLS / "libvirt-lab.sh"
    uri = "qemu:///system"

    def domstate(self, name: str) -> str:
        return subprocess.run(["virsh", "-c", self.uri, "domstate", "--reason", name],
                              capture_output=True, text=True, timeout=30).stdout.strip()


@pytest.fixture(scope="session")
def libvirt_lab():
    with session_bed(LibvirtLab(), "libvirt") as lab:
        yield lab


# --------------------------------------------------------------------------------------------
# the masakari_ha API (a real process on SQLite, noauth)
# --------------------------------------------------------------------------------------------
def _free_port(address: str) -> int:
    for port in API_PORTS:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {API_PORTS.start}-{API_PORTS.stop - 1} on {address}")


class ApiServer:
    """``masakari-ha-api`` (noauth, SQLite, fake:// transport so no engine acts on what
    arrives) with a segment and compute hosts registered."""

    def __init__(self, workdir: Path, address: str) -> None:
        self.workdir = workdir
        self.address = address
        self.port = _free_port(address)
        self.url = f"http://{address}:{self.port}/v1"
        self.conf = workdir / "api.conf"
        self.log = workdir / "api.log"
        self.proc: subprocess.Popen | None = None
        self.segment: dict | None = None
        self.host_names: dict[str, str] = {}

    def start(self) -> None:
        state = self.workdir / "state"
        state.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            "[DEFAULT]\n"
            f"state_path = {state}\n"
            "auth_strategy = noauth\n"
            f"masakari_api_listen = {self.address}\n"
            f"masakari_api_listen_port = {self.port}\n"
            "masakari_api_workers = 1\n"
            "transport_url = fake://\n"
            "engine_cast_retry = 0\n"
            f"log_file = {self.log}\n"
            "[database]\n"
            f"connection = sqlite:///{state}/masakari_ha.sqlite\n"
            "[nova]\n"
            "validate_host_names = False\n")
        sync = subprocess.run([str(VENV_BIN / "masakari-ha-manage"), "--config-file", str(self.conf),
                               "db", "sync"], capture_output=True, text=True, timeout=120)
        assert sync.returncode == 0, f"db sync failed: {sync.stderr[-2000:]}"
        self.proc = subprocess.Popen([str(VENV_BIN / "masakari-ha-api"), "--config-file", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.workdir / "api.out", "w"),
                                     start_new_session=True)

        def answering():
            if self.proc.poll() is not None:
                pytest.fail(f"masakari-ha-api exited: {(self.workdir / 'api.out').read_text()[-2000:]}",
                            pytrace=False)
            try:
                return requests.get(self.url + "/segments", headers=API_HEADERS, timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(answering, 60, "the API to answer")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def request(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return requests.request(method, self.url + path, headers=API_HEADERS,
                                data=json.dumps(body) if body is not None else None, timeout=10)

    def register(self, hosts: list[str], segment: str = "e2e-segment") -> None:
        resp = self.request("POST", "/segments", {"segment": {
            "name": segment, "recovery_method": "auto", "service_type": "COMPUTE"}})
        assert resp.status_code == 201, resp.text
        self.segment = resp.json()["segment"]
        for name in hosts:
            resp = self.request("POST", f"/segments/{self.segment['uuid']}/hosts", {"host": {
                "name": name, "type": "COMPUTE", "control_attributes": "SSH"}})
            assert resp.status_code == 201, resp.text
            self.host_names[resp.json()["host"]["uuid"]] = name

    def notifications(self, **filters: str) -> list[dict]:
        resp = self.request("GET", "/notifications")
        assert resp.status_code == 200, resp.text
        found = resp.json()["notifications"]
        # The v1 view names the host by uuid (source_host_uuid), as upstream's does.
        for note in found:
            note["hostname"] = self.host_names.get(note.get("source_host_uuid"))
        return [n for n in found if all(n.get(k) == v for k, v in filters.items())]


@pytest.fixture
def api_factory(tmp_path):
    """Start API processes on a given address (each on its own SQLite file); stopped after."""
    servers: list[ApiServer] = []

    def start(address: str = "127.0.0.1", hosts: list[str] | None = None) -> ApiServer:
        server = ApiServer(tmp_path / f"api{len(servers)}", address)
        server.workdir.mkdir(parents=True)
        servers.append(server)
        server.start()
        if hosts:
            server.register(hosts)
        return server

    yield start
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------------------------
# monitors run as real processes
# --------------------------------------------------------------------------------------------
class MonitorProcess:
    """A monitor console script started with its own config file and state directory."""

    def __init__(self, name: str, workdir: Path, config: str, prefix: list[str]):
        self.name = name
        self.workdir = workdir
        self.state = workdir / "state"
        self.state.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / f"{name}.conf"
        self.conf.write_text(config.replace("@STATE@", str(self.state)))
        self.out = workdir / f"{name}.out"
        self.proc = subprocess.Popen([*prefix, str(VENV_BIN / f"masakari-ha-{name}"),
                                      "--config-file", str(self.conf)],
                                     stdout=open(self.out, "w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def health(self) -> dict | None:
        path = self.state / self.name / "health.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@pytest.fixture
def monitor_factory(tmp_path):
    started: list[MonitorProcess] = []

    def start(name: str, config: str, prefix: list[str] | None = None) -> MonitorProcess:
        mon = MonitorProcess(name, tmp_path / f"{name}{len(started)}", config, prefix or [])
        started.append(mon)
        return mon

    yield start
    for mon in started:
        mon.stop()
