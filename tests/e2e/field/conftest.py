"""The field test bed (tools/field-bed.sh) as pytest fixtures: one bed per session, reset
between scenarios.

The bed holds the same per-bed session locks as tests/e2e/conftest.py (``nova``, ``pacemaker``,
``libvirt``), for the field package only, and skips loudly — fails under CI — when it cannot
start. :class:`Field` has what the scenarios need: boot guests on a chosen compute, kill a
compute node, read Nova, the masakari_ha API, the MAAS emulator's record and the engine logs.
``MASAKARI_HA_FIELD_KEEP=1`` leaves the bed up after the run (for debugging; ``up`` on a running
bed only resets it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from novaclient import client as nova_client

from tests.e2e.conftest import (TOOLS, _preconditions, exclusive_bed, failure_detail, record_failure, run_script,
                                unavailable, wait_for)

FIELD_BED = TOOLS / "field-bed.sh"
NOVA_LAB = TOOLS / "nova-lab.sh"
PCMK_LAB = TOOLS / "pacemaker-lab.sh"
LIBVIRT_LAB = TOOLS / "libvirt-lab.sh"
IMAGE_ID = "11111111-2222-3333-4444-555555555555"   # tools/glance_neutron_stub.py's only image
API_VERSION = {"OpenStack-API-Version": "instance-ha 1.3"}
FINAL = ("finished", "error", "failed", "ignored")


def _env() -> dict:
    env = dict(os.environ)
    env["MASAKARI_HA_FIELD_LOCKED"] = "1"         # the session holds the beds' locks
    env["MASAKARI_HA_PYTHON"] = sys.executable
    return env


def run_tool(script: Path, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    proc = run_script([str(script), *args], timeout, _env())
    if check and proc.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


class Field:
    """The running field bed, seen from a test."""

    def __init__(self) -> None:
        self.env: dict[str, str] = {}
        for line in run_tool(FIELD_BED, "env").stdout.splitlines():
            for part in shlex.split(line.removeprefix("export ")):
                key, _, value = part.partition("=")
                self.env[key] = value
        self.dir = Path(self.env["MASAKARI_HA_FIELD"])
        self.api_url = self.env["MASAKARI_HA_FIELD_API_URL"]
        self.hosts = self.env["MASAKARI_HA_FIELD_HOSTS"].split()
        self.reserved = self.env["MASAKARI_HA_FIELD_RESERVED"]
        self.maas_control = self.env["MASAKARI_HA_FIELD_MAAS_URL"].split("/MAAS")[0] + "/_sim"
        auth = v3.Password(auth_url=self.env["OS_AUTH_URL"], username="admin", password="adminpass",
                           project_name="admin", user_domain_id="default", project_domain_id="default")
        self.session = ks_session.Session(auth=auth)
        self.nova = nova_client.Client("2.53", session=self.session, region_name="RegionOne")
        self.flavor = next(f for f in self.nova.flavors.list() if f.name == "m1.tiny")
        self.domains: list[str] = []

    # -- masakari_ha API ----------------------------------------------------------------------
    def api(self, method: str, path: str, body: dict | None = None, expect: int | None = None) -> dict:
        resp = self.session.request(self.api_url + path, method, json=body, headers=API_VERSION, raise_exc=False)
        if expect is not None:
            assert resp.status_code == expect, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else {}

    @property
    def segment(self) -> str:
        return json.loads((self.dir / "run" / "segment.json").read_text())["segment"]

    def set_recovery_method(self, method: str) -> None:
        self.api("PUT", f"/segments/{self.segment}", {"segment": {"recovery_method": method}}, expect=200)

    def hosts_view(self) -> dict[str, dict]:
        hosts = self.api("GET", f"/segments/{self.segment}/hosts", expect=200)["hosts"]
        return {h["name"]: h for h in hosts}

    def notifications(self, host: str | None = None, type_: str | None = None) -> list[dict]:
        uuids = {h["uuid"]: name for name, h in self.hosts_view().items()}
        notes = self.api("GET", "/notifications", expect=200)["notifications"]
        for note in notes:
            note["hostname"] = uuids.get(note["source_host_uuid"])
        return [n for n in notes if (host is None or n["hostname"] == host)
                and (type_ is None or n["type"] == type_)]

    def notification(self, uuid: str) -> dict:
        return self.api("GET", f"/notifications/{uuid}", expect=200)["notification"]

    def vmoves(self, uuid: str) -> list[dict]:
        return self.api("GET", f"/notifications/{uuid}/vmoves", expect=200)["vmoves"]

    def wait_notification(self, host: str, type_: str = "COMPUTE_HOST", event: str = "STOPPED",
                          timeout: float = 90) -> dict:
        def found():
            return [n for n in self.notifications(host, type_) if n["payload"].get("event") == event]

        return wait_for(found, timeout, lambda: f"a {type_} {event} notification for {host}\n{self.logs()}")[0]

    def wait_final(self, uuid: str, timeout: float = 240) -> dict:
        return wait_for(lambda: (n := self.notification(uuid))["status"] in FINAL and n, timeout,
                        lambda: f"notification {uuid} to finish (now {self.notification(uuid)['status']})\n"
                                f"{self.logs()}", interval=1)

    # -- Nova ---------------------------------------------------------------------------------
    def boot(self, count: int, host: str, prefix: str, metadata: dict | None = None) -> list[str]:
        """``count`` servers forced onto compute ``host`` (admin ``nova:HOST`` zone); wait ACTIVE."""
        ids = [self.nova.servers.create(f"{prefix}-{i}", IMAGE_ID, self.flavor, nics="none",
                                        availability_zone=f"nova:{host}", meta=metadata or {}).id
               for i in range(count)]

        def active():
            servers = [self.server(i) for i in ids]
            bad = [s for s in servers if s.status == "ERROR"]
            assert not bad, f"boot failed: {[getattr(s, 'fault', None) for s in bad]}"
            return all(s.status == "ACTIVE" for s in servers)

        wait_for(active, 120, f"{count} guests ACTIVE on {host}", interval=1)
        assert {self.host_of(i) for i in ids} == {host}
        return ids

    def stop(self, server_id: str) -> None:
        self.nova.servers.stop(server_id)
        wait_for(lambda: self.server(server_id).status == "SHUTOFF", 60, f"{server_id} SHUTOFF", interval=1)

    def server(self, server_id: str):
        return self.nova.servers.get(server_id)

    def host_of(self, server_id: str) -> str:
        return getattr(self.server(server_id), "OS-EXT-SRV-ATTR:host")

    def service(self, host: str):
        return next(s for s in self.nova.services.list(binary="nova-compute") if s.host == host)

    def service_table(self) -> dict[str, tuple[str, str, bool]]:
        """``openstack compute service list`` of the field computes: host -> (status, state, forced_down)."""
        return {s.host: (s.status, s.state, s.forced_down)
                for s in self.nova.services.list(binary="nova-compute") if s.host in self.hosts}

    def evacuations(self) -> list[dict]:
        resp = self.session.get("/os-migrations?migration_type=evacuation",
                                endpoint_filter={"service_type": "compute", "region_name": "RegionOne"},
                                headers={"OpenStack-API-Version": "compute 2.59"})
        return resp.json()["migrations"]

    # -- failures -----------------------------------------------------------------------------
    def node_index(self, host: str) -> str:
        return str(self.hosts.index(host) + 1)

    def kill_host(self, host: str) -> None:
        """The field report's failure: pacemaker_remoted and nova-compute of a compute node die."""
        run_tool(PCMK_LAB, "kill-remote", self.node_index(host))
        run_tool(NOVA_LAB, "kill-compute", host)

    def restart_host(self, host: str) -> None:
        run_tool(NOVA_LAB, "start-compute", host)
        run_tool(PCMK_LAB, "start-remote", self.node_index(host), timeout=120)

    # -- MAAS emulator ------------------------------------------------------------------------
    def maas_actions(self) -> list[dict]:
        resp = requests.get(self.maas_control + "/actions", timeout=5)
        resp.raise_for_status()
        return resp.json()

    def maas_machine(self, hostname: str, **fields) -> dict:
        resp = requests.patch(f"{self.maas_control}/machines/{hostname}", json=fields, timeout=5)
        resp.raise_for_status()
        return resp.json()

    # -- libvirt ------------------------------------------------------------------------------
    def define_domain(self, server_id: str) -> str:
        """A tiny qemu domain standing for the guest: its UUID is the Nova server's UUID."""
        name = f"field-{server_id[:8]}"
        run_tool(LIBVIRT_LAB, "define-tiny", name, server_id)
        run_tool(LIBVIRT_LAB, "start", name)
        self.domains.append(name)
        return name

    # -- engines and logs ---------------------------------------------------------------------
    def engine_log(self, name: str = "engine-1") -> str:
        path = self.dir / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        parts = []
        for name in ("engine-1", "engine-2", "api", "hostmonitor-remote2", "instancemonitor"):
            path = self.dir / "log" / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name}.log (tail)\n" + "\n".join(path.read_text(errors="replace").splitlines()[-25:]))
        return "\n".join(parts)


def _held_by_this_process(path: Path) -> bool:
    """``path`` is flock'ed by this very process (e.g. by tests/e2e/conftest.py's session
    fixtures when their tests ran earlier in this session): taking it again would deadlock."""
    try:
        inode = path.stat().st_ino
        locks = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return False
    for line in locks:
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[4] == str(os.getpid()) \
                and fields[5].rsplit(":", 1)[-1] == str(inode):
            return True
    return False


@contextlib.contextmanager
def bed_locks():
    """The nova, pacemaker and libvirt beds' session locks (shared with tests/e2e/conftest.py)."""
    root = Path(os.environ.get("MASAKARI_HA_LAB", "/var/tmp/masakari-ha-lab"))
    with contextlib.ExitStack() as stack:
        for bed in ("nova", "pacemaker", "libvirt"):
            if not _held_by_this_process(root / f"{bed}.e2e.lock"):
                stack.enter_context(exclusive_bed(bed))
        yield


def _report_retry(what: str, exc: Exception) -> None:
    report = f"FIELD BED: {what}: {failure_detail(exc)}"
    sys.stderr.write(f"\n{report}\n")
    record_failure(report)


def _bring_up(attempts: int = 2, timeout: float = 900) -> None:
    """``tools/field-bed.sh up``, once more after a clean ``down`` when the first attempt fails:
    the bed composes four beds of real daemons, and one of them failing to start once on a
    loaded machine is not what the field scenarios test. Each failed attempt is reported loudly
    (and kept in the lab's e2e-failures.log) with what was still running and the bed's last lines."""
    for attempt in range(1, attempts + 1):
        try:
            run_tool(FIELD_BED, "up", timeout=timeout)
            return
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            run_tool(FIELD_BED, "down", check=False, timeout=600)
            if attempt == attempts:
                unavailable(f"tools/field-bed.sh up failed {attempts} times; the last: {failure_detail(exc)}")
            _report_retry(f"up attempt {attempt} failed, retrying after down", exc)


@pytest.fixture(scope="package")
def field_bed():
    """``tools/field-bed.sh up`` once for the field scenarios (package scope: the beds' locks are
    released, and the bed taken down, as soon as the last field scenario ran, so the other e2e
    tests can have the pacemaker and libvirt beds)."""
    reason = _preconditions("the field bed")
    if reason:
        unavailable(reason)
    with bed_locks():
        t0 = time.monotonic()
        _bring_up()
        sys.stderr.write(f"\nfield bed ready in {time.monotonic() - t0:.1f} s\n")
        field = Field()
        field.fresh = True
        yield field
        if not os.environ.get("MASAKARI_HA_FIELD_KEEP"):
            run_tool(FIELD_BED, "down", check=False, timeout=600)


@pytest.fixture
def field(field_bed):
    """The field bed in its known state (``up`` leaves it reset; later scenarios reset again)."""
    if not field_bed.fresh:
        t0 = time.monotonic()
        try:
            proc = run_tool(FIELD_BED, "reset", timeout=600)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:   # once more, reported like up's retry
            _report_retry("reset failed, retrying", exc)
            proc = run_tool(FIELD_BED, "reset", timeout=600)
        phases = [line for line in proc.stderr.splitlines() if "reset done in" in line]
        sys.stderr.write(f"\nfield bed reset in {time.monotonic() - t0:.1f} s {phases[-1] if phases else ''}\n")
    field_bed.fresh = False
    field_bed.domains = []
    return field_bed
