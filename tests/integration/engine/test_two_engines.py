"""API and two masakari-ha-engine processes on real RabbitMQ and PostgreSQL: kill -9 the
engine doing a 50-guest host evacuation; the other engine takes the expired lease over and
finishes it, and every guest is evacuated exactly once (the Nova emulator counts evacuate
calls per guest)."""

import os
import signal
import subprocess
import time

import pytest
import requests
import sqlalchemy as sa

from masakari_ha.simulator.environment import start_simulators
from tests.integration import harness
from tests.integration.conftest import start_api

pytestmark = pytest.mark.integration

GUESTS = 50


def _engine_conf(path, name, db_url, rabbit_url, sim, state):
    creds = sim.credentials()
    path.write_text(f"""[DEFAULT]
state_path = {state}
transport_url = {rabbit_url}
verify_interval = 0.1
host_failure_recovery_threads = 4
[database]
connection = {db_url}
[engine]
host = {name}
lease_duration = 4
sweep_interval = 1
[nova]
auth_type = password
auth_url = {creds['auth_url']}
username = {creds['username']}
password = {creds['password']}
project_name = {creds['project_name']}
user_domain_name = {creds['user_domain_name']}
project_domain_name = {creds['project_domain_name']}
""")


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def simulators():
    env = start_simulators(hosts=["compute-1", "compute-2", "compute-3"])
    env.cloud.latency.evacuate_schedule = 0.2
    env.cloud.latency.evacuate = 0.6
    yield env
    env.stop()


def test_killed_engine_work_is_finished_by_the_other_exactly_once(servers, tmp_path_factory, simulators):
    rabbit_url = servers.get("rabbitmq").url
    api, db = start_api(servers, tmp_path_factory, "postgresql", 1, transport_url=rabbit_url)
    workdir = tmp_path_factory.mktemp("engines")
    engines: dict[str, subprocess.Popen] = {}
    cloud = simulators.cloud
    try:
        for name in ("engine-a", "engine-b"):
            conf = workdir / f"{name}.conf"
            _engine_conf(conf, name, db.url, rabbit_url, simulators, workdir / name)
            log = open(workdir / f"{name}.log", "wb")
            engines[name] = subprocess.Popen([str(harness.BIN / "masakari-ha-engine"), "--config-file", str(conf)],
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
        # A cast sent before an engine bound its queue would be dropped by the broker (the
        # sweep would find it a minute later); this test wants the cast path, so wait.
        for name in engines:
            _wait(lambda: b" listening on topic " in (workdir / f"{name}.log").read_bytes(), 60,
                  f"{name} to listen")
        guests = [cloud.add_server("compute-1", metadata={"HA_Enabled": "True"}).uuid for _ in range(GUESTS)]
        base = api.base_url + "/v1"
        segment = requests.post(f"{base}/segments", json={"segment": {
            "name": "seg", "recovery_method": "auto", "service_type": "COMPUTE"}}).json()["segment"]
        for host in ("compute-1", "compute-2", "compute-3"):
            r = requests.post(f"{base}/segments/{segment['uuid']}/hosts", json={"host": {
                "name": host, "type": "COMPUTE", "control_attributes": "SSH"}})
            assert r.status_code == 201, r.text
        cloud.kill_host("compute-1")
        r = requests.post(f"{base}/notifications", json={"notification": {
            "type": "COMPUTE_HOST", "hostname": "compute-1", "generated_time": "2026-11-21T04:00:00",
            "payload": {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}}})
        assert r.status_code == 202, r.text
        uuid = r.json()["notification"]["notification_uuid"]
        engine = sa.create_engine(db.url, poolclass=sa.pool.NullPool)

        def row():
            with engine.connect() as conn:
                return conn.execute(sa.text("SELECT status, owner, message FROM notifications "
                                            "WHERE notification_uuid = :u"), {"u": uuid}).one()

        def succeeded():
            with engine.connect() as conn:
                return conn.execute(sa.text("SELECT count(*) FROM vmoves WHERE notification_uuid = :u "
                                            "AND status = 'succeeded'"), {"u": uuid}).scalar_one()

        _wait(lambda: succeeded() >= 8, 90, "the first engine to evacuate some guests")
        owner = row().owner
        victim = owner.split(":")[0]
        os.killpg(os.getpgid(engines[victim].pid), signal.SIGKILL)
        engines[victim].wait(10)
        assert succeeded() < GUESTS, "the evacuation finished before the kill; make it slower"

        _wait(lambda: row().status in ("finished", "error", "failed"), 180, "the other engine to finish")
        final = row()
        assert final.status == "finished", (final.message, (workdir / "engine-a.log").read_text()[-3000:])
        assert {g: cloud.evacuate_calls(g) for g in guests} == {g: 1 for g in guests}
        assert all(cloud.server(g).host in ("compute-2", "compute-3") for g in guests)
        assert succeeded() == GUESTS
        engine.dispose()
    finally:
        for proc in engines.values():
            if proc.poll() is None:
                os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
        api.stop()
        db.drop()
