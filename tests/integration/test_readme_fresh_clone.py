"""The README's first command in a fresh clone, then the field's flow with the stock CLI.

What a newcomer does, checked end to end:

1. ``git clone`` of this repository (its committed HEAD) into an empty directory.
2. The README's first command (the first line of its first shell block, parsed from README.md
   by :func:`tests.unit.test_readme.readme_commands`), run by bash in the clone with a clean
   environment: an empty ``HOME`` (so an empty default ``state_path``), no ``MASAKARI_*`` /
   ``OS_*`` / virtualenv variables, nothing of the test's own virtualenv on ``PATH``. The
   command builds its own ``.venv`` inside the clone. Only pip's cache directory is shared
   with the real user (``PIP_CACHE_DIR``): it holds wheels pip built from sdists and index
   pages, never an installed package, so the clone still installs everything itself.
3. The banner it prints is parsed: the ``export`` lines (credentials of the emulated
   Keystone, the control URL, ``PATH``), the API URL and the first commands. Those commands
   are run as printed with the stock ``openstack`` CLI (python-openstackclient +
   python-masakariclient of the test virtualenv): a segment with three hosts (the first two
   printed ``segment host create`` lines and the reserved spare) and ``HA_Enabled=True`` on
   the printed guest. Then the clone's ``masakari-ha-sim crash-instance`` and ``kill-host``,
   as printed.
4. Both notifications must reach ``finished``: the crashed guest ACTIVE again on its host,
   every guest of the killed host ACTIVE on another host. The API's ``/metrics`` must parse
   with prometheus_client's text parser and its notification, recovery, restart, evacuation
   and fencing counters must have moved by exactly what happened, as must the simulated
   monitors' sent counters (their spool depth back at 0).
5. The service's process group gets SIGTERM (always) and must exit, remove its
   ``simulation.json`` and free its ports.

The fixed ports of the embedded default (API 15868, Keystone 15100, Nova 15101, control
15102, MAAS 15240; read from the option defaults) must be free: the test fails at once,
naming the busy ones, rather than testing a service that fell back to other ports.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.test_readme import readme_commands

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TEST_BIN = Path(sys.executable).parent          # the test virtualenv: the stock openstack CLI
START_TIMEOUT = 900      # fresh virtualenv from the package index, then the service
RECOVERY_TIMEOUT = 180
FINAL = ("finished", "error", "failed", "ignored")
#: variables of the caller that describe the machine (not masakari, not the test's venv)
KEEP = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME",
        "PYENV_ROOT", "PYENV_VERSION", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
        "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


# -- the clean environment -------------------------------------------------------------------

def fixed_ports() -> dict[int, str]:
    """The embedded default's ports, from the option defaults (not repeated here)."""
    from masakari_ha.conf import api as api_conf, simulation as sim_conf

    defaults = {opt.name: opt.default for module in (api_conf, sim_conf)
                for _group, opts in module.list_opts() for opt in opts}
    return {defaults["masakari_api_listen_port"]: "masakari_ha API",
            defaults["keystone_port"]: "Keystone emulator", defaults["nova_port"]: "Nova emulator",
            defaults["control_port"]: "simulation control API",
            defaults["maas_port"]: "MAAS emulator"}


def busy_ports(ports: dict[int, str]) -> list[str]:
    busy = []
    for port, what in sorted(ports.items()):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as error:
                busy.append(f"{port} ({what}): {error.strerror}")
    return busy


def real_pip_cache() -> str | None:
    """The caller's pip cache directory (None when pip's cache is disabled)."""
    found = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True,
                           text=True, timeout=60)
    if found.returncode != 0 or not found.stdout.strip():
        return None
    return found.stdout.strip()


def clean_environment(home: Path) -> dict[str, str]:
    """The caller's machine settings only: empty HOME, no MASAKARI_*/OS_*/virtualenv, and
    PATH without the test virtualenv or anything inside this checkout."""
    env = {name: os.environ[name] for name in KEEP if name in os.environ}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})  # package source
    own = (str(REPO), sys.prefix, os.environ.get("VIRTUAL_ENV") or sys.prefix)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", os.defpath).split(os.pathsep)
        if p and not any(p == o or p.startswith(o.rstrip("/") + "/") for o in own))
    env["HOME"] = str(home)
    cache = real_pip_cache()
    if cache:
        env["PIP_CACHE_DIR"] = cache
    assert not [k for k in env if k.startswith(("MASAKARI", "OS_"))]
    return env


# -- what the service printed ----------------------------------------------------------------

class Banner:
    """The start-up banner on the service's stdout, parsed."""

    RULE = re.compile(r"^={20,}$")

    def __init__(self, text: str):
        self.text = text
        self.lines = [line.strip() for line in text.splitlines()]
        self.exports: dict[str, str] = {}
        self.commands: list[str] = []
        for line in self.lines:
            if line.startswith("export "):
                name, _, value = shlex.split(line)[1].partition("=")
                self.exports[name] = value
            elif line.startswith(("openstack ", "masakari-ha-sim ")):
                self.commands.append(line)
        api = [line.split()[2] for line in self.lines if line.startswith("masakari_ha API ")]
        self.api_url = api[0] if api else None

    @classmethod
    def complete(cls, text: str) -> bool:
        return sum(1 for line in text.splitlines() if cls.RULE.match(line.strip())) >= 3

    def command(self, *prefix: str, **placeholders: str) -> list[list[str]]:
        """The printed commands starting with ``prefix``, as words; ``<a b>`` placeholders
        filled from ``placeholders`` (``a_b=...``)."""
        found = []
        for line in self.commands:
            for name, value in placeholders.items():
                line = line.replace(f"<{name.replace('_', ' ')}>", value)
            words = shlex.split(line)
            if words[:len(prefix)] == list(prefix):
                found.append(words)
        return found

    def environ(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` plus the printed exports, ``$VAR`` expanded as a shell would."""
        env = dict(base)
        for name, value in self.exports.items():
            env[name] = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)
        return env


# -- the running service -------------------------------------------------------------------

class Service:
    """The README's first command running in the clone, in its own process group."""

    def __init__(self, clone: Path, home: Path, logs: Path, command: list[str]):
        self.clone, self.home, self.logs = clone, home, logs
        self.env = clean_environment(home)
        self.stdout_path, self.stderr_path = logs / "service.stdout", logs / "service.stderr"
        self._out = open(self.stdout_path, "w")
        self._err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(["bash", "-c", shlex.join(command)], cwd=clone, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, start_new_session=True)
        self.exit_code: int | None = None
        self.stop_seconds: float | None = None

    def tail(self, lines: int = 40) -> str:
        out = self.stdout_path.read_text(errors="replace").splitlines()[-lines:]
        err = self.stderr_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- stdout ---\n" + "\n".join(out) + "\n--- stderr ---\n" + "\n".join(err)

    def wait_for_banner(self, timeout: float) -> Banner:
        deadline = time.monotonic() + timeout
        while True:
            text = self.stdout_path.read_text(errors="replace")
            if Banner.complete(text):
                return Banner(text)
            if self.proc.poll() is not None:
                pytest.fail(f"the README's first command exited with {self.proc.returncode} "
                            f"before printing its banner:{self.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no banner within {timeout:.0f} s:{self.tail()}")
            time.sleep(0.5)

    def wait_for_api(self, root: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, f"the service exited:{self.tail()}"
            try:
                if requests.get(root + "/", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"API {root} not answering:{self.tail()}"
            time.sleep(0.3)

    def stop(self) -> None:
        """SIGTERM to the process group; SIGKILL only if it is still there after 60 s."""
        started = time.monotonic()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.exit_code = self.proc.wait(timeout=60)
            self.stop_seconds = time.monotonic() - started
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        finally:
            # children that outlived the leader (none expected) go with the group
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._out.close()
            self._err.close()


class Operator:
    """The operator's other shell: the printed exports, the stock CLI, masakari-ha-sim."""

    def __init__(self, env: dict[str, str], home: Path):
        self.env, self.home = env, home
        self.openstack = str(TEST_BIN / "openstack")
        # masakari-ha-sim as the printed PATH finds it (the clone's .venv)
        self.sim = shutil.which("masakari-ha-sim", path=env["PATH"])

    def run(self, argv: list[str], timeout: float = 120) -> str:
        program = {"openstack": self.openstack, "masakari-ha-sim": self.sim}[argv[0]]
        result = subprocess.run([program, *argv[1:]], env=self.env, cwd=self.home, text=True,
                                capture_output=True, timeout=timeout)
        assert result.returncode == 0, f"{shlex.join(argv)}: rc {result.returncode}\n" \
                                       f"{result.stdout}\n{result.stderr}"
        return result.stdout

    def json(self, argv: list[str]) -> Any:
        return json.loads(self.run([*argv, "-f", "json"]))

    def notification(self, uuid: str) -> dict[str, Any]:
        return self.json(["openstack", "notification", "show", uuid,
                          "--os-ha-api-version", "1.1"])

    def wait_final(self, uuid: str) -> dict[str, Any]:
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while True:
            shown = self.notification(uuid)
            if shown["status"] in FINAL:
                return shown
            assert time.monotonic() < deadline, f"notification {uuid} still {shown['status']}"
            time.sleep(1)

    def server(self, uuid: str) -> dict[str, Any]:
        return self.json(["openstack", "server", "show", uuid])


def accepted_uuid(output: str) -> str:
    found = re.search(r"notification (\S+) accepted by the API", output)
    assert found, f"masakari-ha-sim did not report an accepted notification:\n{output}"
    return found.group(1)


def metric_samples(root: str) -> dict[tuple[str, tuple], float]:
    response = requests.get(root + "/metrics", timeout=10)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/plain"), response.headers
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


# -- the test --------------------------------------------------------------------------------

@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    if not (REPO / ".git").exists():
        pytest.fail(f"{REPO} is not a git checkout: nothing to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True,
                   capture_output=True, timeout=300)
    assert not (clone / ".venv").exists()
    return clone


def test_readme_first_command_in_a_fresh_clone(fresh_clone, tmp_path, record_property):
    ports = fixed_ports()
    busy = busy_ports(ports)
    if busy:
        pytest.fail("the embedded default's fixed ports must be free for this test, busy: "
                    + "; ".join(busy) + " (see who holds them: ss -ltnp)")
    first = readme_commands(fresh_clone / "README.md")[0]
    home = tmp_path / "home"
    home.mkdir()
    state = home / ".local/state/masakari_ha"        # the default state_path under HOME
    times: dict[str, float] = {}
    started = time.monotonic()
    service = Service(fresh_clone, home, tmp_path, first)
    try:
        banner = service.wait_for_banner(START_TIMEOUT)
        times["first command to banner"] = time.monotonic() - started
        assert "THIS IS A SIMULATION" in banner.text
        assert banner.api_url, banner.text
        root = banner.api_url.rsplit("/v1", 1)[0]
        service.wait_for_api(root)
        times["first command to API answering"] = time.monotonic() - started

        # Every fixed port is served by the process (no fallback to a free port).
        described = json.loads((state / "simulation.json").read_text())
        urls = [described[k] for k in ("api", "keystone", "nova", "maas", "control")]
        served = sorted(int(re.search(r":(\d+)(/|$)", url).group(1)) for url in urls)
        assert served == sorted(ports), urls
        assert described["api"] == banner.api_url
        for name in ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME"):
            assert name in banner.exports, f"the banner does not export {name}:\n{banner.text}"

        if not (fresh_clone / ".venv/bin/openstack").exists():   # says how to get the CLI
            assert any("pip install python-openstackclient python-masakariclient" in line
                       for line in banner.lines), banner.text
        operator = Operator(banner.environ(service.env), home)
        sim = operator.sim
        assert sim and Path(sim).resolve().is_relative_to(fresh_clone.resolve()), (
            "masakari-ha-sim is not found on the PATH the banner exports "
            f"({operator.env['PATH']})")
        before = metric_samples(root)
        scenario = time.monotonic()

        # The printed first commands: list guests, one segment with three hosts, HA_Enabled.
        (server_list,) = banner.command("openstack", "server", "list")
        guests = operator.json(server_list)
        (segment_create,) = banner.command("openstack", "segment", "create")
        segment = operator.json(segment_create)
        host_creates = banner.command("openstack", "segment", "host", "create")
        assert len(host_creates) >= 3, banner.text
        for create in host_creates[:2] + host_creates[-1:]:   # two with guests, the spare
            operator.json(create)
        members = operator.json(["openstack", "segment", "host", "list", segment["uuid"]])
        assert len(members) == 3, members
        (mark,) = banner.command("openstack", "server", "set")
        assert "HA_Enabled=True" in mark, mark
        operator.run(mark)
        crashed = mark[-1]
        assert operator.server(crashed)["properties"] in ({"HA_Enabled": "True"},
                                                           "HA_Enabled='True'")
        crashed_host = operator.server(crashed)["OS-EXT-SRV-ATTR:host"]

        # The instance monitor path: the printed crash-instance of that guest.
        (crash,) = banner.command("masakari-ha-sim", "crash-instance")
        assert crash[-1] == crashed, (crash, mark)
        vm = operator.wait_final(accepted_uuid(operator.run(crash)))
        assert vm["status"] == "finished", vm
        shown = operator.server(crashed)
        assert (shown["status"], shown["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", crashed_host), shown

        # The host monitor path: the printed kill-host (MAAS fencing, then evacuation).
        (kill,) = banner.command("masakari-ha-sim", "kill-host")
        killed = kill[-1]
        on_killed = sorted(g["ID"] for g in guests if g["Host"] == killed)
        assert on_killed, f"no guest on {killed}: {guests}"
        host_uuid = accepted_uuid(operator.run(kill))
        host = operator.wait_final(host_uuid)
        assert host["status"] == "finished", host
        for uuid in on_killed:
            shown = operator.server(uuid)
            assert shown["status"] == "ACTIVE", shown
            assert shown["OS-EXT-SRV-ATTR:host"] not in (killed, None, ""), shown
        (vmoves,) = banner.command("openstack", "notification", "vmove", "list",
                                   notification_uuid=host_uuid)
        vmoves = operator.json(vmoves)
        assert sorted(v["server_id"] for v in vmoves) == on_killed, vmoves
        assert {v["status"] for v in vmoves} == {"succeeded"}, vmoves
        times["scenario"] = time.monotonic() - scenario

        # /metrics: parses, and the counters moved by exactly what happened.
        after = metric_samples(root)
        for ntype in ("VM", "COMPUTE_HOST"):
            assert moved(before, after, "masakari_ha_notifications_received_total",
                         type=ntype, status="new") == 1, ntype
            assert moved(before, after, "masakari_ha_recoveries_total",
                         type=ntype, outcome="finished") == 1, ntype
            assert moved(before, after, "masakari_ha_recovery_duration_seconds_count",
                         type=ntype, outcome="finished") == 1, ntype
        assert moved(before, after, "masakari_ha_instance_restarts_total", outcome="success") == 1
        assert moved(before, after, "masakari_ha_evacuations_total",
                     outcome="success") == len(on_killed)
        assert moved(before, after, "masakari_ha_fencing_attempts_total",
                     driver="maas", result="fenced") == 1
        # ... and the (simulated) monitors' own: delivered, nothing left in their spools.
        for monitor, ntype in (("instancemonitor", "VM"), ("hostmonitor", "COMPUTE_HOST")):
            assert moved(before, after, "masakari_ha_monitor_notifications_sent_total",
                         monitor=monitor, type=ntype, outcome="accepted") == 1, monitor
            assert after[("masakari_ha_monitor_spool_depth", (("monitor", monitor),))] == 0
    finally:
        service.stop()
        times["total"] = time.monotonic() - started
        summary = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
        record_property("timings", summary)
        sys.stderr.write(f"\n[fresh clone] {summary}\n")

    assert service.exit_code is not None, f"the service ignored SIGTERM for 60 s:{service.tail()}"
    assert not (state / "simulation.json").exists(), "simulation.json left behind after SIGTERM"
    deadline = time.monotonic() + 10
    while busy_ports(ports) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not busy_ports(ports), f"ports still held after the service stopped: {busy_ports(ports)}"
