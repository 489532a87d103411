#!/usr/bin/env python3
"""Host-failure recovery time: upstream masakari-engine vs masakari_ha, same emulated cloud.

For each scenario (``1x100``: one failed host with 100 guests; ``40x50``: 40 failed hosts with 50
guests each) and each system, a fresh Keystone + Nova emulator is started in this process with the
same latency profile (default ``realistic``: evacuate ~4.5 s, stop/start ~3.3 s, 20 ms per API call,
as measured on a real Nova with FakeDriver computes), the failed hosts are killed, and the clock
starts when the notification is handed to the engine. Reported per run:

* ``engine``: notification(s) handed over -> the engine reports every notification finished
  (i.e. it confirmed all guests), the number the issue asks for;
* ``settled``: the same start -> every guest is active on another host according to the emulator.

The JSON results (``--json``) also hold a ``timeline`` per run, read from the emulator's
evacuation records (seconds after the start): first and last evacuate call accepted and last
evacuation finished in Nova - where a system spent its time before, during and after the
evacuations.

Systems:

* ``baseline``: no engine - this script force-downs the hosts and evacuates every guest at once
  with unbounded concurrency (microversion 2.53): the emulator's own evacuate time, the floor
  for any engine;
* ``baseline-2.96``: the same at microversion 2.96, where evacuated guests arrive stopped and
  are started as soon as they are (the floor for an engine that negotiates >= 2.95);
* ``ours``: masakari_ha's EngineService (benchmarks/ours_runner.py, this venv, default options).
  It negotiates 2.96 with the emulator but sends evacuate requests at 2.94 (``[host_failure]
  keep_power_state_on_evacuation``: the fencing gate confirmed the host off), so guests arrive
  running as at 2.53: ``baseline`` is its floor. Per guest it adds what ``baseline`` skips:
  lock before and unlock after, one read to confirm, the shared evacuation-record polls;
  before the first evacuation it claims, passes the gates, disables and forces down the
  service and lists the host's guests;
* ``upstream``: masakari 22.0.0 from PyPI, default options, so with its 180 s
  ``wait_period_after_service_update`` (benchmarks/upstream_runner.py in its own venv). Upstream
  does not force the service down, so the killed hosts turn ``down`` after Nova's
  ``service_down_time`` (60 s, Nova's default) as in production;
* ``upstream-nosleep``: the same with ``wait_period_after_service_update = 0``, and the hosts
  already reported down by Nova when the notification arrives (otherwise upstream's evacuations
  are refused) - upstream at its very best.

Usage::

    benchmarks/recovery_bench.py                       # all scenarios and systems (~20 min)
    benchmarks/recovery_bench.py --quick               # without the 180 s upstream default
    benchmarks/recovery_bench.py --scenario 1x100 --systems baseline,ours
    benchmarks/recovery_bench.py --setup-upstream      # create the upstream venv if missing
    benchmarks/recovery_bench.py --scenario smoke --latency fast --quick   # set-up check, ~1 min

Each run is bounded by ``--timeout`` seconds (default 900); a run that exceeds it is reported as
timed out and its processes are killed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from masakari_ha.simulator import environment  # noqa: E402
from masakari_ha.simulator.nova import latency as latency_mod  # noqa: E402

DEFAULT_UPSTREAM_VENV = "/var/tmp/masakari-ha-bench/upstream-venv"
UPSTREAM_PACKAGE = "masakari==22.0.0"
# failed hosts, guests per failed host, spare hosts ("smoke" checks the set-up in seconds)
SCENARIOS = {"1x100": (1, 100, 4), "40x50": (40, 50, 60), "smoke": (1, 5, 2)}
SYSTEMS = ("baseline", "baseline-2.96", "ours", "upstream-nosleep", "upstream")
NOVA_SERVICE_DOWN_TIME = 60.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def build_cloud(scenario: str, profile: str) -> tuple[Any, list[str], list[str], list[str]]:
    failed_count, guests, spares = SCENARIOS[scenario]
    failed = [f"failed-{i:02d}" for i in range(1, failed_count + 1)]
    spare = [f"spare-{i:02d}" for i in range(1, spares + 1)]
    env = environment.start_simulators(latency=latency_mod.profile(profile),
                                       service_down_time=NOVA_SERVICE_DOWN_TIME)
    for name in failed:
        env.cloud.add_host(name)
        for _ in range(guests):
            env.cloud.add_server(name, metadata={environment.HA_KEY: "True"})
    for name in spare:
        env.cloud.add_host(name, vcpus=256, memory_mb=1048576, local_gb=20000)
    guests_ids = [s.uuid for h in failed for s in env.cloud.servers_on(h)]
    return env, failed, spare, guests_ids


class SettleWatch(threading.Thread):
    """Polls the emulator until every guest is active, idle and away from the failed hosts."""

    def __init__(self, env: Any, guests: list[str], failed: list[str], started: float) -> None:
        super().__init__(daemon=True)
        self.env, self.guests, self.failed, self.started = env, guests, set(failed), started
        self.settled_at: float | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            servers = [self.env.cloud.server(u) for u in self.guests]
            if all(s.host not in self.failed and s.task_state is None and s.vm_state == "active"
                   for s in servers):
                self.settled_at = time.monotonic() - self.started
                return
            time.sleep(0.25)

    def stop(self) -> None:
        self._halt.set()


def _outcome(env: Any, guests: list[str], failed: list[str]) -> dict[str, Any]:
    calls = env.cloud.evacuate_calls()
    states: dict[str, int] = {}
    moved = 0
    for uuid in guests:
        server = env.cloud.server(uuid)
        states[server.vm_state] = states.get(server.vm_state, 0) + 1
        moved += server.host not in failed
    return {"guests": len(guests), "moved": moved, "vm_states": states,
            "evacuate_calls": sum(calls.values()),
            "guests_evacuated_more_than_once": sum(1 for u in guests if calls.get(u, 0) > 1)}


def _timeline(env: Any, started: float) -> dict[str, Any]:
    """Where the time went, from the emulator's evacuation records (seconds after the start):
    first and last evacuate call accepted, last evacuation finished in Nova. A system's
    ``engine_seconds`` minus ``last_evacuation_done`` is how long it took to notice the end."""
    with env.cloud._lock:
        records = [m for m in env.cloud.migrations.values() if m.migration_type == "evacuation"]
        if not records:
            return {}
        accepted = sorted(m.created_at - started for m in records)
        done = [m.updated_at - started for m in records if m.status == "done"]
    return {"timeline": {"first_evacuate_accepted": round(accepted[0], 3),
                         "last_evacuate_accepted": round(accepted[-1], 3),
                         "last_evacuation_done": round(max(done), 3) if done else None}}


def run_baseline(env: Any, failed: list[str], guests: list[str], timeout: float,
                 microversion: str = "2.53") -> dict[str, Any]:
    """Force down, then evacuate every guest at once through python-novaclient.

    At microversion >= 2.95 the guests arrive stopped, so each is started as soon as Nova
    reports it stopped on its new host (what any engine must do there).
    """
    nova = env.novaclient(microversion)
    for host in failed:
        env.cloud.kill_host(host)
    started = time.monotonic()
    watch = SettleWatch(env, guests, failed, started)
    watch.start()
    for host in failed:
        (svc,) = nova.services.list(host=host, binary="nova-compute")
        nova.services.force_down(svc.id, True)
    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        list(pool.map(nova.servers.evacuate, guests))
    accepted = time.monotonic() - started
    if tuple(int(p) for p in microversion.split(".")) >= (2, 95):
        _start_when_stopped(env, nova, guests, failed, started + timeout)
    watch.join(max(1.0, timeout - (time.monotonic() - started)))
    watch.stop()
    return {"engine_seconds": watch.settled_at, "settled_seconds": watch.settled_at,
            "all_evacuate_calls_accepted_after": round(accepted, 3), **_timeline(env, started)}


def _start_when_stopped(env: Any, nova: Any, guests: list[str], failed: list[str],
                        deadline: float) -> None:
    pending = set(guests)
    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        while pending and time.monotonic() < deadline:
            ready = []
            for uuid in list(pending):
                server = env.cloud.server(uuid)
                if (server.vm_state == "stopped" and server.task_state is None
                        and server.host not in failed):
                    ready.append(uuid)
                    pending.discard(uuid)
            list(pool.map(nova.servers.start, ready))
            time.sleep(0.05)


def run_engine(kind: str, env: Any, failed: list[str], spare: list[str], guests: list[str],
               timeout: float, upstream_venv: str, workdir: str) -> dict[str, Any]:
    if kind == "ours":
        python, script, options, immediate = sys.executable, HERE / "ours_runner.py", {}, False
    else:
        python = os.path.join(upstream_venv, "bin", "python")
        script = HERE / "upstream_runner.py"
        options = {"wait_period_after_service_update": 0} if kind == "upstream-nosleep" else {}
        immediate = kind == "upstream-nosleep"
    state_dir = os.path.join(workdir, kind)
    spec = {"auth_url": env.auth_url, "failed_hosts": failed, "all_hosts": failed + spare,
            "state_dir": state_dir, "options": options}
    spec_path = os.path.join(workdir, f"{kind}.json")
    with open(spec_path, "w") as handle:
        json.dump(spec, handle)
    proc = subprocess.Popen([python, str(script), spec_path], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=open(os.path.join(
                                workdir, f"{kind}.stderr"), "w"), text=True)
    try:
        line = _readline(proc, 120)
        if line.strip() != "READY":
            raise RuntimeError(f"{kind} runner did not start (see {workdir}/{kind}.stderr): "
                               f"{line!r}")
        for host in failed:
            env.cloud.kill_host(host, immediate=immediate)
        started = time.monotonic()
        watch = SettleWatch(env, guests, failed, started)
        watch.start()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        line = _readline(proc, timeout)
        watch.join(max(1.0, timeout - (time.monotonic() - started)))
        watch.stop()
        if not line:
            return {"error": f"timed out after {timeout:.0f} s or runner died (see "
                             f"{workdir}/{kind}.stderr)", "settled_seconds": watch.settled_at}
        result = json.loads(line)
        statuses: dict[str, int] = {}
        for item in result["results"]:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        return {"engine_seconds": result["total_seconds"], "settled_seconds": watch.settled_at,
                "notifications": statuses, **_timeline(env, started)}
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0] if box else ""


def ensure_upstream(venv: str, setup: bool) -> str | None:
    """None when the upstream venv is usable, else the reason it is not."""
    python = os.path.join(venv, "bin", "python")
    check = [python, "-c", "import masakari.engine.manager"]
    if os.path.exists(python) and subprocess.run(check, capture_output=True).returncode == 0:
        return None
    if not setup:
        return (f"no upstream venv at {venv} (run with --setup-upstream, or: python3.11 -m venv "
                f"{venv} && {venv}/bin/pip install {UPSTREAM_PACKAGE})")
    log(f"creating {venv} with {UPSTREAM_PACKAGE} (PyPI)")
    subprocess.run(["python3.11", "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", UPSTREAM_PACKAGE],
                   check=True)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="1x100,40x50",
                        help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help="comma-separated: " + ", ".join(SYSTEMS))
    parser.add_argument("--quick", action="store_true",
                        help="skip 'upstream' (its 180 s sleep); keep upstream-nosleep")
    parser.add_argument("--latency", default="realistic", choices=sorted(latency_mod.PROFILES))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--upstream-venv", default=DEFAULT_UPSTREAM_VENV)
    parser.add_argument("--setup-upstream", action="store_true",
                        help=f"create the upstream venv ({UPSTREAM_PACKAGE}) if missing")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    bad = [s for s in scenarios if s not in SCENARIOS] + [s for s in systems if s not in SYSTEMS]
    if bad:
        parser.error(f"unknown scenario/system: {', '.join(bad)}")
    if args.quick:
        systems = [s for s in systems if s != "upstream"]
    upstream_problem = None
    if any(s.startswith("upstream") for s in systems):
        upstream_problem = ensure_upstream(args.upstream_venv, args.setup_upstream)
        if upstream_problem:
            log(f"SKIPPING upstream runs: {upstream_problem}")
            systems = [s for s in systems if not s.startswith("upstream")]

    results: dict[str, dict[str, Any]] = {}
    workdir = tempfile.mkdtemp(prefix="recovery-bench-")
    log(f"work directory {workdir}; latency profile {args.latency}: "
        f"{latency_mod.profile(args.latency).to_dict()}")
    for scenario in scenarios:
        for system in systems:
            env, failed, spare, guests = build_cloud(scenario, args.latency)
            log(f"{scenario} {system}: {len(failed)} failed host(s), {len(guests)} guests, "
                f"{len(spare)} spare hosts")
            try:
                if system.startswith("baseline"):
                    result = run_baseline(env, failed, guests, args.timeout,
                                          "2.96" if system == "baseline-2.96" else "2.53")
                else:
                    run_dir = os.path.join(workdir, scenario)
                    os.makedirs(run_dir, exist_ok=True)
                    result = run_engine(system, env, failed, spare, guests, args.timeout,
                                        args.upstream_venv, run_dir)
                result.update(_outcome(env, guests, failed))
            except Exception as exc:  # report and go on with the other runs
                result = {"error": f"{type(exc).__name__}: {exc}"}
            finally:
                env.stop()
            log(f"{scenario} {system}: {json.dumps(result)}")
            results.setdefault(scenario, {})[system] = result

    print(render(results, upstream_problem))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"latency": latency_mod.profile(args.latency).to_dict(),
                       "results": results}, handle, indent=2)
    return 0


def _fmt(value: Any) -> str:
    return f"{value:8.1f} s" if isinstance(value, (int, float)) else f"{'-':>10}"


def render(results: dict[str, dict[str, Any]], upstream_problem: str | None) -> str:
    lines = ["", "notification -> all guests confirmed (engine) / settled (emulator view)", ""]
    lines.append(f"{'scenario':9} {'system':17} {'engine':>10} {'settled':>10}  outcome")
    for scenario, runs in results.items():
        for system, r in runs.items():
            outcome = r.get("error") or (
                f"{r.get('moved')}/{r.get('guests')} moved, states {r.get('vm_states')}, "
                f"{r.get('evacuate_calls')} evacuate calls, "
                f"{r.get('guests_evacuated_more_than_once')} evacuated twice"
                + (f", notifications {r['notifications']}" if "notifications" in r else ""))
            lines.append(f"{scenario:9} {system:17} {_fmt(r.get('engine_seconds'))} "
                         f"{_fmt(r.get('settled_seconds'))}  {outcome}")
        ours = runs.get("ours", {}).get("engine_seconds")
        for other in ("upstream", "upstream-nosleep"):
            theirs = runs.get(other, {}).get("engine_seconds")
            if ours and theirs:
                lines.append(f"{scenario:9} ratio {other}/ours = {theirs / ours:.1f}x")
        for name in ("baseline", "baseline-2.96"):
            base = runs.get(name, {}).get("engine_seconds")
            if ours and base:
                lines.append(f"{scenario:9} ours vs {name} (emulator's own evacuate time): "
                             f"{(ours / base - 1) * 100:+.0f} %")
    if upstream_problem:
        lines.append(f"upstream not measured: {upstream_problem}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
