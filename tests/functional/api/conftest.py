"""Fixtures for the API suite: the real app on a real database, driven over HTTP.

Database: SQLite by default (a fresh copy of a migrated template per test). Set
``MASAKARI_HA_TEST_DB_URL`` (e.g. ``postgresql+psycopg2://u:p@127.0.0.1:15433/db`` or
``mysql+pymysql://u:p@127.0.0.1:13307/db?charset=utf8mb4``) to run the same suite on that
server instead: the schema is migrated once per run and every test starts from empty
tables. The ``db_url`` fixture is the single place that decides.
``MASAKARI_HA_TEST_API_WORKERS`` sets the worker processes of the ``masakari-ha-api``
process that test_real_socket.py starts (default 3).
"""

import os
import shutil
import threading
import uuid

import pytest
import sqlalchemy as sa
from werkzeug.test import Client

from masakari_ha import rpc
from masakari_ha.api import create_app
from masakari_ha.api import policy as api_policy
from masakari_ha.conf import CONF
from masakari_ha.db import migration
from masakari_ha.db import session as db_session

DB_URL_ENV = "MASAKARI_HA_TEST_DB_URL"

# Children before parents, so deletes respect the foreign key.
_TABLES = ("recovery_task_progress", "vmoves", "notifications", "hosts", "failover_segments")

_template_lock = threading.Lock()
_template_path: str | None = None
_migrated_urls: set[str] = set()


def _sqlite_template(tmp_root) -> str:
    global _template_path
    with _template_lock:
        if _template_path is None or not os.path.exists(_template_path):
            path = str(tmp_root / "template.sqlite")
            migration.upgrade(url="sqlite:///" + path)
            db_session.dispose_engines()
            _template_path = path
        return _template_path


@pytest.fixture
def db_url(tmp_path, tmp_path_factory) -> str:
    """The database this test runs on, migrated and empty."""
    external = os.environ.get(DB_URL_ENV)
    if external:
        CONF.set_override("connection", external, group="database")
        if external not in _migrated_urls:
            migration.upgrade()
            _migrated_urls.add(external)
        engine = db_session.get_engine()
        with engine.begin() as conn:
            for table in _TABLES:
                conn.execute(sa.text(f"DELETE FROM {table}"))
        return external
    template = _sqlite_template(tmp_path_factory.getbasetemp())
    path = tmp_path / "api.sqlite"
    shutil.copyfile(template, path)
    url = "sqlite:///" + str(path)
    CONF.set_override("connection", url, group="database")
    return url


@pytest.fixture
def api_conf(db_url):
    """CONF for an API under test: noauth, no Nova validation, in-process message bus."""
    rpc.register_opts(CONF)
    CONF.set_override("transport_url", "fake://")
    CONF.set_override("auth_strategy", "noauth")
    CONF.set_override("validate_host_names", False, group="nova")
    api_policy.reset()
    yield CONF
    api_policy.reset()
    rpc.cleanup()


class Api:
    """A werkzeug client for the real WSGI app, with version header and data helpers."""

    def __init__(self, application, version: str | None = None):
        self.app = application
        self.client = Client(application)
        self.version = version

    def headers(self, version=None, extra=None) -> dict:
        headers = {}
        version = version or self.version
        if version:
            headers["OpenStack-API-Version"] = f"instance-ha {version}"
        headers.update(extra or {})
        return headers

    def request(self, method, path, json=None, data=None, version=None, headers=None,
                content_type=None):
        kwargs = {"headers": self.headers(version, headers)}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = content_type or "application/json"
        return self.client.open(path, method=method, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # ---- data helpers (through the API itself) ----
    def segment(self, name=None, recovery_method="auto", **extra) -> dict:
        body = {"name": name or "seg-" + uuid.uuid4().hex[:8], "recovery_method": recovery_method,
                "service_type": "COMPUTE", **extra}
        response = self.post("/v1/segments", json={"segment": body}, version="1.2")
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.json["segment"]

    def host(self, segment_uuid, name=None, **extra) -> dict:
        body = {"name": name or "host-" + uuid.uuid4().hex[:8], "type": "COMPUTE",
                "control_attributes": "SSH", **extra}
        response = self.post(f"/v1/segments/{segment_uuid}/hosts", json={"host": body})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.json["host"]

    def notify(self, hostname, ntype="COMPUTE_HOST", payload=None,
               generated_time="2026-11-21T10:00:00", expect=202):
        if payload is None:
            payload = {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}
        response = self.post("/v1/notifications", json={"notification": {
            "type": ntype, "hostname": hostname, "generated_time": generated_time,
            "payload": payload}})
        assert response.status_code == expect, response.get_data(as_text=True)
        return response.json.get("notification") if expect == 202 else response.json


@pytest.fixture
def app(api_conf):
    return create_app(api_conf)


@pytest.fixture
def api(app) -> Api:
    return Api(app)


def set_notification_status(notification_uuid: str, status: str) -> None:
    """Simulate the engine moving a notification on (tests only)."""
    from masakari_ha.db.models import Notification

    with db_session.transaction(write=True) as session:
        session.execute(sa.update(Notification)
                        .where(Notification.notification_uuid == notification_uuid)
                        .values(status=status))
