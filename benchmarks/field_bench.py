"""Field benchmark on tools/field-bed.sh: ``kill -9`` of a compute with N guests (default 20) →
all guests ACTIVE on other computes in the real Nova.

Three measurements on the same bed (reset before each):

* ``nova``: Nova's own evacuate time — the compute's nova-compute is killed and the script reacts
  instantly like an ideal operator: disable + force-down the service and evacuate every guest at
  once; time from the evacuate calls to all guests ACTIVE elsewhere.
* ``masakari_ha``: the whole chain — ``pacemaker_remoted`` and ``nova-compute`` of the compute are
  killed; pacemaker fences it through fence_maas (MAAS emulator), the host monitors report it, the
  engine fences through MAAS, forces the service down and evacuates; time from the kill to all
  guests ACTIVE elsewhere, with the intermediate milestones (notification stored, finished).
* ``upstream``: the same kill with upstream masakari 22.0.0 (API + engine) and masakari-monitors
  22.0.0 (a hostmonitor in each pacemaker-remote node's namespace) from PyPI, in their own venvs,
  at upstream's DEFAULT settings — only what points them at the bed is configured
  (benchmarks/field_upstream.py says exactly what and why); ours is stopped meanwhile. Upstream's
  hostmonitor samples every 60 s (``monitoring_interval``): the kill is placed ``--kill-phase``
  (default 0.5, i.e. the average detection delay) of an interval after the monitors' first
  sample. A run that does not finish within ``--upstream-timeout`` is reported as such.

Usage (root, bed up: ``tools/field-bed.sh up``)::

    .venv/bin/python benchmarks/field_bench.py [--guests 20] [--runs 1] [--systems nova,ours,upstream]
                                               [--upstream-timeout 1500] [--json out.json]

Prints each system's time, upstream / masakari_ha (target >= 5x) and masakari_ha / Nova (target
<= 2x). The benchmark lifts the admin project's Nova quota; it ends with ``field-bed.sh reset``
(ours running again).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from novaclient import client as nova_client

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools"
IMAGE_ID = "11111111-2222-3333-4444-555555555555"
FAILED = "remote1"
API_VERSION = {"OpenStack-API-Version": "instance-ha 1.3"}


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def tool(script: str, *args: str, timeout: float = 900) -> str:
    proc = subprocess.run([str(TOOLS / script), *args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"{script} {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc.stdout


class Bed:
    def __init__(self) -> None:
        env = {}
        for line in tool("field-bed.sh", "env").splitlines():
            for part in shlex.split(line.removeprefix("export ")):
                key, _, value = part.partition("=")
                env[key] = value
        self.api_url = env["MASAKARI_HA_FIELD_API_URL"]
        self.field_dir = Path(env["MASAKARI_HA_FIELD"])
        self.db_url = env["MASAKARI_HA_FIELD_DB_URL"]
        self.hosts = env["MASAKARI_HA_FIELD_HOSTS"].split()
        self.reserved = env["MASAKARI_HA_FIELD_RESERVED"]
        auth = v3.Password(auth_url=env["OS_AUTH_URL"], username="admin", password="adminpass",
                           project_name="admin", user_domain_id="default", project_domain_id="default")
        self.session = ks_session.Session(auth=auth)
        self.nova = nova_client.Client("2.53", session=self.session, region_name="RegionOne")
        self.flavor = next(f for f in self.nova.flavors.list() if f.name == "m1.tiny")
        # Nova's default quota (10 instances) is below the benchmark's guest count.
        self.nova.quotas.update(self.session.get_project_id(), instances=-1, cores=-1, ram=-1)

    def wait(self, cond, timeout: float, what: str, interval: float = 0.25):
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)

    def boot(self, count: int) -> list[str]:
        ids = [self.nova.servers.create(f"bench-{i}", IMAGE_ID, self.flavor, nics="none",
                                        availability_zone=f"nova:{FAILED}").id for i in range(count)]
        self.wait(lambda: all(s.status == "ACTIVE" for s in self.servers(ids)), 300, f"{count} guests ACTIVE", 1)
        return ids

    def servers(self, ids: list[str]):
        wanted = set(ids)
        return [s for s in self.nova.servers.list(search_opts={"all_tenants": True}) if s.id in wanted]

    def all_active_elsewhere(self, ids: list[str]) -> bool:
        servers = self.servers(ids)
        return len(servers) == len(ids) and all(
            s.status == "ACTIVE" and getattr(s, "OS-EXT-SRV-ATTR:host") != FAILED for s in servers)

    def notifications(self) -> list[dict]:
        resp = self.session.get(self.api_url + "/notifications", headers=API_VERSION)
        return resp.json()["notifications"]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "")).replace(tzinfo=timezone.utc).timestamp()


def _milestones(note: dict, wall0: float) -> dict:
    """Seconds from the kill (``wall0``, wall clock) to the notification being stored and, if it
    finished, to its final update; and its status."""
    result = {"notification_stored_after": _ts(note["created_at"]) - wall0, "status": note["status"]}
    if note.get("updated_at") and note["status"] == "finished":
        result["notification_finished_after"] = _ts(note["updated_at"]) - wall0
    return result


def run_nova(bed: Bed, guests: int) -> dict:
    tool("field-bed.sh", "reset")
    ids = bed.boot(guests)
    tool("nova-lab.sh", "kill-compute", FAILED)
    service = next(s for s in bed.nova.services.list(binary="nova-compute") if s.host == FAILED)
    t0 = time.monotonic()
    bed.nova.services.disable_log_reason(service.id, "field bench: host down")
    bed.nova.services.force_down(service.id, True)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda sid: bed.nova.servers.evacuate(sid), ids))
    bed.wait(lambda: bed.all_active_elsewhere(ids), 600, "all guests ACTIVE elsewhere (nova)")
    return {"seconds": time.monotonic() - t0}


def run_ours(bed: Bed, guests: int) -> dict:
    tool("field-bed.sh", "reset")
    ids = bed.boot(guests)
    t0 = time.monotonic()
    wall0 = time.time()
    tool("pacemaker-lab.sh", "kill-remote", "1")
    tool("nova-lab.sh", "kill-compute", FAILED)
    bed.wait(lambda: bed.all_active_elsewhere(ids), 900, "all guests ACTIVE elsewhere (masakari_ha)")
    total = time.monotonic() - t0
    notes = [n for n in bed.notifications() if n["type"] == "COMPUTE_HOST" and n["payload"].get("event") == "STOPPED"]
    result = {"seconds": total}
    if notes:
        result.update(_milestones(notes[0], wall0))
    return result


UPSTREAM_MONITORING_INTERVAL = 60  # masakari-monitors' [host] monitoring_interval default


def run_upstream(bed: Bed, guests: int, timeout: float, phase: float) -> dict:
    sys.path.insert(0, str(REPO))
    from benchmarks.field_upstream import UpstreamOnBed  # imports upstream's venv helpers (api_bench)

    tool("field-bed.sh", "reset")
    stack = UpstreamOnBed(bed, bed.hosts, bed.reserved)
    try:
        stack.start()
        ids = bed.boot(guests)
        baseline = stack.start_monitors(FAILED)
        time.sleep(max(0.0, baseline + phase * UPSTREAM_MONITORING_INTERVAL - time.monotonic()))
        t0 = time.monotonic()
        wall0 = time.time()
        tool("pacemaker-lab.sh", "kill-remote", "1")
        tool("nova-lab.sh", "kill-compute", FAILED)
        done = False
        while time.monotonic() - t0 < timeout:
            if bed.all_active_elsewhere(ids):
                done = True
                break
            stack._check_alive()
            time.sleep(1)
        total = time.monotonic() - t0
        result = {"seconds": total, "finished": done, "kill_phase": phase}
        def stopped_notes() -> list[dict]:
            return sorted((n for n in stack.notifications()
                           if n["type"] == "COMPUTE_HOST" and n["payload"].get("event") == "STOPPED"),
                          key=lambda n: n["created_at"])

        # the engine marks the notification finished a few seconds after the last guest is ACTIVE
        notes = stopped_notes()
        finish_by = time.monotonic() + 60
        while done and notes and notes[0]["status"] == "running" and time.monotonic() < finish_by:
            time.sleep(1)
            notes = stopped_notes()
        if notes:
            result.update(_milestones(notes[0], wall0))
        if not done:
            servers = bed.servers(ids)
            result["guests"] = sorted(f"{s.status}@{getattr(s, 'OS-EXT-SRV-ATTR:host')}" for s in servers)
        return result
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--systems", default="nova,ours,upstream",
                        help="comma-separated subset of nova, ours, upstream (default all three)")
    parser.add_argument("--upstream-timeout", type=float, default=1500,
                        help="seconds after the kill before an upstream run is reported unfinished")
    parser.add_argument("--kill-phase", type=float, default=0.5,
                        help="where in upstream's 60 s monitoring interval the kill lands (0..1)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - {"nova", "ours", "upstream"}
    if unknown or not systems:
        parser.error(f"--systems: unknown {sorted(unknown)} (choose from nova, ours, upstream)")
    if os.geteuid() != 0:
        raise SystemExit("field_bench.py needs root (the field bed)")
    bed = Bed()
    if not (bed.field_dir / "run" / "up").exists():
        raise SystemExit("the field bed is not up: run tools/field-bed.sh up first")
    results: dict[str, list[dict]] = {"nova": [], "masakari_ha": [], "upstream": []}
    steps = {"nova": ("nova", "Nova's own evacuation", lambda: run_nova(bed, args.guests)),
             "ours": ("masakari_ha", "masakari_ha, kill -9 -> all guests ACTIVE elsewhere",
                      lambda: run_ours(bed, args.guests)),
             "upstream": ("upstream", "upstream masakari 22 + masakari-monitors 22 (defaults), kill -9 -> "
                          "all guests ACTIVE elsewhere",
                          lambda: run_upstream(bed, args.guests, args.upstream_timeout, args.kill_phase))}
    for run in range(args.runs):
        for name in systems:
            key, what, fn = steps[name]
            log(f"run {run + 1}: {what} ({args.guests} guests)")
            results[key].append(fn())
            log(f"  {results[key][-1]}")
    tool("field-bed.sh", "reset")
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items() if v}
    unfinished = any(not r.get("finished", True) for r in results["upstream"])
    summary = {"guests": args.guests, "runs": args.runs, "median_s": {k: round(v, 2) for k, v in med.items()},
               "details": results}
    print(f"guests={args.guests} runs={args.runs} (median of the runs; every run in the log / --json)")
    rows = [("nova", "Nova's own evacuate (disable+force-down+evacuate -> all ACTIVE)"),
            ("masakari_ha", "masakari_ha (kill -9 -> fenced -> reported -> all ACTIVE)"),
            ("upstream", "upstream 22.0.0 defaults (kill -9 -> reported -> all ACTIVE)")]
    for key, label in rows:
        if key in med:
            runs = ", ".join(f"{r['seconds']:.1f}" + ("" if r.get("finished", True) else " (TIMEOUT)")
                             for r in results[key])
            print(f"{label:<66} {med[key]:7.1f} s   [{runs}]")
    if "upstream" in med and "masakari_ha" in med:
        ratio = med["upstream"] / med["masakari_ha"]
        summary["upstream_over_ours"] = round(ratio, 2)
        bound = " (lower bound: upstream timed out)" if unfinished else ""
        print(f"{'upstream / masakari_ha':<66} {ratio:7.2f}x (target >= 5x){bound}")
    if "masakari_ha" in med and "nova" in med:
        ratio = med["masakari_ha"] / med["nova"]
        summary["ours_over_nova"] = round(ratio, 2)
        print(f"{'masakari_ha / Nova':<66} {ratio:7.2f}x (target <= 2x)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
