"""Field benchmark on tools/field-bed.sh: ``kill -9`` of a compute with N guests (default 20) →
all guests ACTIVE on other computes in the real Nova.

Two measurements on the same bed (reset before each):

* ``nova``: Nova's own evacuate time — the compute's nova-compute is killed and the script reacts
  instantly like an ideal operator: disable + force-down the service and evacuate every guest at
  once; time from the evacuate calls to all guests ACTIVE elsewhere.
* ``masakari_ha``: the whole chain — ``pacemaker_remoted`` and ``nova-compute`` of the compute are
  killed; pacemaker fences it through fence_maas (MAAS emulator), the host monitors report it, the
  engine fences through MAAS, forces the service down and evacuates; time from the kill to all
  guests ACTIVE elsewhere, with the intermediate milestones (notification stored, finished).

Usage (root, bed up: ``tools/field-bed.sh up``)::

    .venv/bin/python benchmarks/field_bench.py [--guests 20] [--runs 1] [--json out.json]

Upstream masakari 22 + masakari-monitors are not part of this benchmark (see the closing note
of issue 6); the ratio reported is masakari_ha against Nova's own evacuation time.
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
        note = notes[0]
        result["notification_stored_after"] = _ts(note["created_at"]) - wall0
        if note.get("updated_at") and note["status"] == "finished":
            result["notification_finished_after"] = _ts(note["updated_at"]) - wall0
        result["status"] = note["status"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("field_bench.py needs root (the field bed)")
    bed = Bed()
    if not (bed.field_dir / "run" / "up").exists():
        raise SystemExit("the field bed is not up: run tools/field-bed.sh up first")
    results: dict[str, list[dict]] = {"nova": [], "masakari_ha": []}
    for run in range(args.runs):
        log(f"run {run + 1}: Nova's own evacuation of {args.guests} guests")
        results["nova"].append(run_nova(bed, args.guests))
        log(f"  {results['nova'][-1]}")
        log(f"run {run + 1}: masakari_ha, kill -9 -> all {args.guests} guests ACTIVE elsewhere")
        results["masakari_ha"].append(run_ours(bed, args.guests))
        log(f"  {results['masakari_ha'][-1]}")
    tool("field-bed.sh", "reset")
    nova = statistics.median(r["seconds"] for r in results["nova"])
    ours = statistics.median(r["seconds"] for r in results["masakari_ha"])
    summary = {"guests": args.guests, "runs": args.runs, "nova_evacuate_s": round(nova, 2),
               "masakari_ha_kill_to_active_s": round(ours, 2), "ratio_to_nova": round(ours / nova, 2),
               "details": results}
    print(f"guests={args.guests} runs={args.runs}")
    print(f"Nova's own evacuate (disable+force-down+evacuate -> all ACTIVE): {nova:7.1f} s")
    print(f"masakari_ha (kill -9 -> fenced -> reported -> all ACTIVE):        {ours:7.1f} s")
    print(f"masakari_ha / Nova:                                                {ours / nova:7.2f}x (target <= 2x)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
