"""API benchmark: masakari_ha's ``masakari-ha-api`` against upstream masakari-api 22.0.0.

Both run on this machine, on the same kind of database (a private server from tools/, a fresh
database each), behind gunicorn with the same number of worker processes, without
authentication (ours: ``auth_strategy = noauth``; upstream: its ``noauth2`` paste pipeline)
and with ``transport_url = fake://`` (no engine). Upstream is installed from PyPI
(``masakari==22.0.0`` + gunicorn) into its own virtualenv, because it needs eventlet, which
never enters the project's venv.

Measured, for each system/configuration, by the same light load generator
(``benchmarks/loadgen.py``: one forked process per client, one raw keep-alive socket each,
127.0.0.1 only, a warm-up of unrecorded load, then a fixed window). All systems are started
and seeded first; then every measurement runs on each system in turn, so the load other work
puts on the machine in a given minute hits all of them alike:

* POST /v1/notifications (COMPUTE_HOST), every request from another host (a pool of hosts,
  generated_time moved past the duplicate window on each round), with 1 and with 8 clients;
* GET /v1/segments/{id}/hosts of a segment with 500 hosts, with 1 and with 8 clients.

Upstream is measured with ``notification_delay_max`` at its default (5: a random sleep of up
to 5 s before every notification insert) and at 0, under two servers with the same number of
worker processes: its own ``masakari-api`` (oslo.service + eventlet.wsgi) and uwsgi (how
devstack deploys it; the distro's uwsgi + python3 plugin with the upstream venv's
site-packages, ``--threads`` as ours). gunicorn does not work for upstream: upstream
monkey-patches with eventlet at import, after which gunicorn's gthread workers hang at the
first request and its sync workers on large responses; gunicorn 27 has no eventlet worker.
The ratios use upstream's best result for each measurement. Upstream's host create validates names against
Nova, so its hosts are inserted with SQL (the benchmark reads them; it does not time their
creation); ours are created through the API.

usage: .venv/bin/python benchmarks/api_bench.py [--db mariadb|postgresql|sqlite] [--workers N]
                                                [--duration S] [--upstream-servers native,sync]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks import machine  # noqa: E402
from benchmarks.loadgen import Result, run_load  # noqa: E402
from tests.integration import harness  # noqa: E402  (scratch databases, tools/ servers, our API process)

UPSTREAM_PACKAGE = "masakari==22.0.0"
DEFAULT_VENV = "/var/tmp/masakari-ha-bench/upstream-api-venv"
POOL_HOSTS = 1000
GET_HOSTS = 500
PAYLOAD = {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}
T0 = datetime.datetime(2026, 1, 1)


def log(msg: str) -> None:
    print(f"[api_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- load generator
# benchmarks/loadgen.py: forked client processes, raw keep-alive sockets (see its docstring)


def intake_request(hostnames: list[str], offset: int):
    """Notification number i comes from host i % pool, each round 200 s later than the last
    (outside the 180 s duplicate window), so none is a duplicate of another."""
    def make(i: int):
        i += offset
        when = T0 + datetime.timedelta(seconds=200 * (i // len(hostnames)))
        body = {"notification": {"type": "COMPUTE_HOST", "hostname": hostnames[i % len(hostnames)],
                                 "generated_time": when.strftime("%Y-%m-%dT%H:%M:%S.000000"),
                                 "payload": PAYLOAD}}
        return "POST", "/v1/notifications", json.dumps(body).encode()
    return make


# --------------------------------------------------------------------------- the systems

def http_json(port: int, method: str, path: str, body=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, (json.loads(data) if data else {})


def create_segment(port: int, name: str) -> str:
    status, body = http_json(port, "POST", "/v1/segments",
                             {"segment": {"name": name, "recovery_method": "auto", "service_type": "COMPUTE"}})
    assert status in (200, 201), (status, body)
    return body["segment"]["uuid"]


class System:
    label: str
    port: int

    def stop(self) -> None: ...


class Ours(System):
    def __init__(self, db_url: str, workers: int, workdir: Path, threads: int):
        self.label = "masakari_ha"
        self.api = harness.ApiProcess(workdir=workdir, db_url=db_url, workers=workers, transport_url="fake://",
                                      extra_conf=f"[DEFAULT]\nmasakari_api_threads = {threads}\n")
        self.api.start()
        self.port = self.api.port

    def seed_hosts(self, segment: str, names: list[str]) -> None:
        for name in names:
            status, body = http_json(self.port, "POST", f"/v1/segments/{segment}/hosts",
                                     {"host": {"name": name, "type": "COMPUTE", "control_attributes": "SSH"}})
            assert status == 201, (status, body)

    def stop(self) -> None:
        self.api.stop()


class Upstream(System):
    def __init__(self, venv: Path, db_url: str, workers: int, workdir: Path, delay_max: int,
                 worker_class: str, threads: int):
        server = {"native": "own eventlet wsgi", "uwsgi": f"uwsgi {threads} threads"}.get(
            worker_class, f"gunicorn {worker_class}")
        self.label = f"upstream[{server}, notification_delay_max={delay_max}]"
        self.db_url = db_url
        self.port = harness.free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copy(venv / "etc" / "masakari" / "api-paste.ini", workdir / "api-paste.ini")
        (workdir / "masakari.conf").write_text(
            "[DEFAULT]\n"
            "auth_strategy = noauth2\n"
            "transport_url = fake://\n"
            f"notification_delay_max = {delay_max}\n"
            f"log_file = {workdir / 'masakari-api.log'}\n"
            "[database]\n"
            f"connection = {db_url}\n"
            "[taskflow]\n"
            f"connection = {db_url}\n"
            "[wsgi]\n"
            f"api_paste_config = {workdir / 'api-paste.ini'}\n"
            "[oslo_middleware]\n"
            "enable_proxy_headers_parsing = false\n"
            # only read by the native server (masakari-api); gunicorn binds itself
            f"[DEFAULT]\nmasakari_api_listen = 127.0.0.1\nmasakari_api_listen_port = {self.port}\n"
            f"masakari_api_workers = {workers}\n")
        sync = subprocess.run([str(venv / "bin" / "masakari-manage"), "--config-file",
                               str(workdir / "masakari.conf"), "db", "sync"], capture_output=True, text=True)
        if sync.returncode != 0:
            raise RuntimeError(f"upstream masakari-manage db sync failed:\n{sync.stderr[-3000:]}")
        env = dict(os.environ, OS_MASAKARI_CONFIG_DIR=str(workdir))
        self.log = open(workdir / "gunicorn.log", "ab")
        if worker_class == "native":   # upstream's own server: oslo.service + eventlet.wsgi, N workers
            cmd = [str(venv / "bin" / "masakari-api"), "--config-file", str(workdir / "masakari.conf")]
        elif worker_class == "uwsgi":  # how devstack deploys masakari-api (distro uwsgi, python3 plugin)
            site = next((venv / "lib").glob("python3*/site-packages"))
            cmd = ["uwsgi", "--plugin", "python3", "--http-socket", f"127.0.0.1:{self.port}",
                   "--pythonpath", str(site), "--module", "masakari.wsgi.api:application",
                   "--pyargv", f"--config-file {workdir / 'masakari.conf'}", "--master",
                   "--processes", str(workers), "--threads", str(threads), "--enable-threads",
                   "--lazy-apps", "--die-on-term", "--buffer-size", "65535",
                   "--add-header", "Connection: close", "--disable-logging"]
        else:
            cmd = [str(venv / "bin" / "python"), str(REPO / "benchmarks" / "api_upstream_server.py"),
                   f"127.0.0.1:{self.port}", str(workers), worker_class, str(threads)]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, cwd=workdir)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"upstream API exited: see {workdir / 'gunicorn.log'}")
            try:
                if http_json(self.port, "GET", "/")[0] == 200:
                    # every worker imports the app itself: wait for all of them to answer
                    time.sleep(3)
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"upstream API did not answer; see {workdir / 'gunicorn.log'}")

    def seed_hosts(self, segment: str, names: list[str]) -> None:
        """Insert hosts with SQL: upstream's host create asks Nova, which is not part of this bench."""
        engine = sa.create_engine(self.db_url, poolclass=sa.pool.NullPool)
        hosts = sa.Table("hosts", sa.MetaData(), autoload_with=engine)
        now = datetime.datetime.utcnow().replace(microsecond=0)
        rows = [{"uuid": str(uuid.uuid4()), "name": n, "failover_segment_id": segment, "type": "COMPUTE",
                 "control_attributes": "SSH", "reserved": False, "on_maintenance": False, "deleted": 0,
                 "created_at": now} for n in names]
        rows = [{k: v for k, v in r.items() if k in hosts.c} for r in rows]
        with engine.begin() as conn:
            conn.execute(hosts.insert(), rows)
        engine.dispose()

    def stop(self) -> None:
        if self.proc.poll() is None:
            pgid = os.getpgid(self.proc.pid)
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def ensure_upstream(venv: Path) -> None:
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import importlib.util as u, masakari, gunicorn, pymysql, psycopg2; "
                                "assert u.find_spec('masakari.wsgi.api')"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return
    base = shutil.which("python3.11") or sys.executable
    log(f"installing {UPSTREAM_PACKAGE} + gunicorn into {venv} (PyPI)")
    started = time.monotonic()
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", UPSTREAM_PACKAGE, "gunicorn", "PyMySQL",
                    "psycopg2-binary"], check=True)
    log(f"upstream venv ready in {time.monotonic() - started:.0f}s")


# --------------------------------------------------------------------------- the run

MEASUREMENTS = (("POST", 1), ("POST", 8), ("GET", 1), ("GET", 8))


@dataclass
class Prepared:
    """A running, seeded system and its scratch database."""

    name: str
    system: System
    db: object
    pool: list[str]
    get_segment: str
    offset: int = 0   # next intake request number (requests stay distinct across measurements)


def prepare(name: str, make_system, args, db_server: str | None, workdir: Path) -> Prepared:
    db = harness.ScratchDatabase.create(args.db, db_server, workdir / "db")
    system = None
    try:
        system = make_system(db.url, workdir)
        log(f"{system.label}: seeding {POOL_HOSTS} + {GET_HOSTS} hosts")
        intake_seg = create_segment(system.port, "bench-intake")
        get_seg = create_segment(system.port, "bench-get")
        tag = uuid.uuid4().hex[:6]
        pool = [f"pool-{tag}-{i:05d}" for i in range(POOL_HOSTS)]
        system.seed_hosts(intake_seg, pool)
        system.seed_hosts(get_seg, [f"get-{tag}-{i:05d}" for i in range(GET_HOSTS)])
        status, body = http_json(system.port, "GET", f"/v1/segments/{get_seg}/hosts")
        assert status == 200 and len(body["hosts"]) == GET_HOSTS, (status, len(body.get("hosts", [])))
        return Prepared(name, system, db, pool, get_seg)
    except BaseException:
        if system is not None:
            system.stop()
        db.drop()
        raise


def measure_one(p: Prepared, args, kind: str, clients: int) -> Result:
    """One measurement of one prepared system."""
    if kind == "POST":
        r = run_load(p.system.port, clients, args.intake_seconds(p.system), intake_request(p.pool, 0), 202,
                     f"POST notifications c={clients}", offset=p.offset, warmup=args.warmup)
        p.offset = r.next_index + clients
    else:
        path = f"/v1/segments/{p.get_segment}/hosts"
        r = run_load(p.system.port, clients, args.duration, lambda i: ("GET", path, None), 200,
                     f"GET 500 hosts c={clients}", warmup=args.warmup)
    log(f"{p.system.label}: {r.label}: {r.rps:.1f} req/s p50 {r.pct(50):.1f} ms p99 {r.pct(99):.1f} ms "
        f"(n={r.ok}, statuses {r.codes}, errors {r.errors})")
    return r


def fmt_row(label: str, r: Result) -> str:
    return f"| {label:<54} | {r.label:<22} | {r.rps:9.1f} | {r.pct(50):9.1f} | {r.pct(99):9.1f} | {r.ok:6d} |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="mariadb", choices=["mariadb", "postgresql", "sqlite"])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes for both (default 2)")
    parser.add_argument("--threads", type=int, default=8,
                        help="threads per worker process for both: ours' masakari_api_threads (default 8) "
                             "and upstream's uwsgi --threads")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds of unrecorded load before each measurement (both systems)")
    parser.add_argument("--delay-duration", type=float, default=20.0,
                        help="seconds per intake measurement of upstream with notification_delay_max > 0")
    parser.add_argument("--upstream-venv", default=DEFAULT_VENV)
    parser.add_argument("--upstream-servers", default="native,uwsgi",
                        help="comma-separated upstream servers: native (its own masakari-api, eventlet "
                             "wsgi), uwsgi (distro uwsgi, as devstack deploys it), sync / gthread "
                             "(gunicorn; both hang on large responses or at the first request: "
                             "upstream monkey-patches with eventlet at import); empty: ours only")
    args = parser.parse_args(argv)
    args.intake_seconds = lambda system: (args.delay_duration if "delay_max=5" in system.label else args.duration)

    venv = Path(args.upstream_venv)
    ensure_upstream(venv)
    db_server = None
    if args.db != "sqlite":
        db_server = harness.tool_server_up({"mariadb": "mariadb", "postgresql": "postgres"}[args.db]).url
    workdir = Path(tempfile.mkdtemp(prefix="masakari-ha-api-bench-"))
    log(f"db={args.db} workers={args.workers} threads={args.threads} duration={args.duration}s workdir={workdir}")
    load_note = machine.background_load_note(machine.busy_cpus())
    log(load_note)

    runs = [("ours", lambda url, wd: Ours(url, args.workers, wd / "ours", args.threads))]
    for worker_class in filter(None, args.upstream_servers.split(",")):
        for delay in (5, 0):
            runs.append((f"up-{worker_class}-{delay}",
                         lambda url, wd, wc=worker_class, d=delay: Upstream(
                             venv, url, args.workers, wd / f"upstream-{wc}-{d}", d, wc, args.threads)))
    # Every system is started and seeded first; then each measurement runs on every system in
    # turn (ours between the two upstream servers without delay, usually upstream's best), so
    # what the machine's other load does in a given minute hits all systems alike, instead of
    # whichever system happened to be measured in that minute.
    order = {"up-native-0": 0, "ours": 1, "up-uwsgi-0": 2}
    runs.sort(key=lambda run: order.get(run[0], 3))
    prepared: list[Prepared] = []
    failed = False
    table: dict[str, list[Result]] = {}
    try:
        for name, make in runs:
            try:
                prepared.append(prepare(name, make, args, db_server, workdir / name))
            except Exception as exc:  # report a configuration that cannot run instead of aborting the rest
                failed = True
                log(f"{name}: FAILED: {exc} (logs kept in {workdir / name})")
        for kind, clients in MEASUREMENTS:
            for p in prepared:
                table.setdefault(p.system.label, []).append(measure_one(p, args, kind, clients))
    finally:
        for p in prepared:
            p.system.stop()
            p.db.drop()
    if not failed:
        shutil.rmtree(workdir, ignore_errors=True)
    table = dict(sorted(table.items(), key=lambda item: item[0] != "masakari_ha"))

    print()
    print(f"API benchmark: db={args.db}, {args.workers} worker processes each ({args.threads} threads), "
          f"{os.cpu_count()} CPUs, {args.duration:.0f} s per measurement ({args.delay_duration:.0f} s for "
          f"delay 5) after {args.warmup:.0f} s warm-up, 127.0.0.1; {load_note}")
    print(f"| {'system':<54} | {'measurement':<22} | {'req/s':>9} | {'p50 ms':>9} | {'p99 ms':>9} | {'n':>6} |")
    print(f"|{'-' * 56}|{'-' * 24}|{'-' * 11}|{'-' * 11}|{'-' * 11}|{'-' * 8}|")
    for label, results in table.items():
        for r in results:
            print(fmt_row(label, r))
    ours = table.get("masakari_ha")
    upstream = {k: v for k, v in table.items() if k.startswith("upstream")}
    if not ours or not upstream:
        print("\nno comparison: a system failed to run (see the log above)")
        return 1
    print("\nRatios against upstream's BEST configuration per measurement (ours / upstream):")
    verdicts = []
    for i, mine in enumerate(ours):
        best = max((res[i] for res in upstream.values()), key=lambda r: r.rps)
        best_p99 = min((res[i].pct(99) for res in upstream.values() if res[i].ok), default=float("nan"))
        ratio = mine.rps / best.rps if best.rps else float("inf")
        p99_ratio = mine.pct(99) / best_p99 if best_p99 else float("nan")
        target = "intake >= 3x and p99 <= 1/3" if mine.label.startswith("POST") else "GET >= 5x"
        met = (ratio >= 3 and p99_ratio <= 1 / 3) if mine.label.startswith("POST") else ratio >= 5
        verdicts.append(met)
        print(f"  {mine.label:<22}: throughput {ratio:7.1f}x, p99 {p99_ratio:6.3f}x of upstream's best "
              f"({best.rps:.1f} req/s, p99 {best_p99:.1f} ms)  target {target}: {'MET' if met else 'NOT MET'}")
    return 0 if all(verdicts) else 2


if __name__ == "__main__":
    sys.exit(main())
