"""Fixtures for tests against real servers (PostgreSQL, MariaDB, RabbitMQ, Keystone) and a
real ``masakari-ha-api`` process.

Servers come from ``tools/<name>.sh up`` (idempotent; installs with apt on first use). A
server this session started is stopped at the end (``down``) unless MASAKARI_HA_KEEP_SERVERS=1;
one that was already running (e.g. started by tools/run-tests) is left alone.

A server that genuinely cannot start makes the tests needing it SKIP with the script's own
error text, and a warning is printed to the terminal; with CI=true it is a test FAILURE instead,
so CI can never go green without having run them.
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings

import pytest

from tests.integration import harness

# (database kind, API workers) combinations the HTTP API suite runs on.
API_MATRIX = [("sqlite", 1), ("sqlite", 4), ("postgresql", 1), ("postgresql", 4), ("mariadb", 1), ("mariadb", 4)]
DB_KINDS = ["sqlite", "postgresql", "mariadb"]
_SCRIPT_FOR_KIND = {"postgresql": "postgres", "mariadb": "mariadb"}


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.integration)


class _Servers:
    """Session-wide registry: start each tools/ server once, remember failures, stop at the end."""

    def __init__(self):
        self.up: dict[str, harness.ToolServer] = {}
        self.failed: dict[str, str] = {}

    def get(self, name: str, *args: str) -> harness.ToolServer:
        if name in self.up:
            return self.up[name]
        if name not in self.failed:
            try:
                self.up[name] = harness.tool_server_up(name, *args)
                return self.up[name]
            except (harness.ServerUnavailable, OSError) as exc:
                self.failed[name] = str(exc)
        reason = f"REAL {name.upper()} UNAVAILABLE - integration tests needing it cannot run: {self.failed[name]}"
        if harness.in_ci():
            pytest.fail(reason + "\n(CI=true: a server that cannot start is a failure, not a skip)")
        sys.stderr.write("\n" + "!" * 100 + "\n" + reason + "\n" + "!" * 100 + "\n")
        warnings.warn(reason)
        pytest.skip(reason)

    def shutdown(self) -> None:
        if os.environ.get("MASAKARI_HA_KEEP_SERVERS") == "1":
            return
        for server in self.up.values():
            if server.started_here:
                server.down()


@pytest.fixture(scope="session")
def servers():
    registry = _Servers()
    yield registry
    registry.shutdown()


@pytest.fixture(scope="session")
def postgres_url(servers) -> str:
    return servers.get("postgres").url


@pytest.fixture(scope="session")
def mariadb_url(servers) -> str:
    return servers.get("mariadb").url


@pytest.fixture(scope="session")
def rabbit_url(servers) -> str:
    return servers.get("rabbitmq").url


@pytest.fixture(scope="session")
def keystone_url(servers) -> str:
    return servers.get("keystone").url


def server_url_for(servers, kind: str) -> str | None:
    """The admin URL of the server holding databases of ``kind`` (None for SQLite)."""
    script = _SCRIPT_FOR_KIND.get(kind)
    return servers.get(script).url if script else None


@pytest.fixture
def scratch_db_factory(servers, tmp_path):
    """``make(kind) -> ScratchDatabase``: fresh empty databases, dropped after the test."""
    made: list[harness.ScratchDatabase] = []

    def make(kind: str) -> harness.ScratchDatabase:
        db = harness.ScratchDatabase.create(kind, server_url_for(servers, kind), tmp_path / "db")
        made.append(db)
        return db

    yield make
    for db in made:
        db.drop()


def start_api(servers, tmp_path_factory, kind: str, workers: int, *, keystone: str | None = None,
              transport_url: str | None = None, extra_conf: str = ""):
    """Start ``masakari-ha-api`` on a new scratch database; returns (api, db)."""
    workdir = tmp_path_factory.mktemp(f"api-{kind}-{workers}w")
    db = harness.ScratchDatabase.create(kind, server_url_for(servers, kind), workdir / "db")
    api = harness.ApiProcess(
        workdir=workdir, db_url=db.url, workers=workers,
        transport_url=transport_url or servers.get("rabbitmq").url,
        keystone=harness.KeystoneAuth(keystone) if keystone else None, extra_conf=extra_conf)
    try:
        api.start()
    except Exception:
        db.drop()
        raise
    return api, db


@pytest.fixture(scope="module", params=API_MATRIX, ids=[f"{k}-{w}w" for k, w in API_MATRIX])
def api(request, servers, tmp_path_factory):
    """A running noauth ``masakari-ha-api`` (real RabbitMQ transport) per (database, workers)."""
    kind, workers = request.param
    api_proc, db = start_api(servers, tmp_path_factory, kind, workers)
    api_proc.kind = kind
    yield api_proc
    api_proc.stop()
    db.drop()


@pytest.fixture(scope="module")
def keystone_api(servers, tmp_path_factory):
    """``masakari-ha-api`` with ``auth_strategy = keystone`` against the real Keystone (2 workers,
    SQLite, real RabbitMQ), registered as the ``instance-ha`` endpoint in Keystone's catalog.

    The endpoint lives in a region of its own (``api.region``), so test sessions sharing the one
    Keystone of the machine never find each other's API in the catalog."""
    auth_url = servers.get("keystone").url
    api_proc, db = start_api(servers, tmp_path_factory, "sqlite", 2, keystone=auth_url)
    api_proc.auth_url = auth_url
    api_proc.region = "mha-" + uuid.uuid4().hex[:10]
    catalog = harness.keystone_catalog()
    try:
        catalog.register_endpoint(auth_url, api_proc.base_url + "/v1", region=api_proc.region)
        yield api_proc
    finally:
        api_proc.stop()
        db.drop()
        catalog.remove_region(auth_url, api_proc.region)
