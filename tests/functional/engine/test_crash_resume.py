"""kill -9 of a real masakari-ha-engine process in the middle of a host evacuation: another
engine takes the expired lease over, resumes the persisted flow, and no guest is evacuated
twice (the emulator counts evacuate calls per guest)."""

import os
import signal
import subprocess
import sys
import time

from masakari_ha.db import claims, recovery_records
from masakari_ha.db import session as db_session
from tests.functional.engine.conftest import STOPPED


def _write_conf(path, env, state_path):
    creds = env.credentials()
    path.write_text(f"""[DEFAULT]
state_path = {state_path}
transport_url = fake://
verify_interval = 0.05
retry_notification_new_status_interval = 0
host_failure_recovery_threads = 2
[database]
connection = {db_session.database_url()}
[engine]
lease_duration = 3
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
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_engine_killed_mid_evacuation_is_resumed_without_double_evacuation(
        cloud_env, seed, processor, tmp_path):
    cloud = cloud_env.cloud
    for name in ("compute-1", "compute-2", "compute-3"):
        cloud.add_host(name)
    guests = [cloud.add_server("compute-1", metadata={"HA_Enabled": "True"}).uuid for _ in range(12)]
    cloud.latency.evacuate_schedule = 0.2
    cloud.latency.evacuate = 0.8
    seg = seed.segment()
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3")
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)
    conf = tmp_path / "engine.conf"
    _write_conf(conf, cloud_env, tmp_path / "child-state")
    log = open(tmp_path / "engine.log", "w")
    child = subprocess.Popen([sys.executable, "-m", "masakari_ha.cmd.engine", "--config-file", str(conf)],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: sum(v["status"] == "succeeded" for v in recovery_records.list_vmoves(uuid)) >= 3,
              60, "the first engine to evacuate some guests")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        log.close()
    statuses = [v["status"] for v in recovery_records.list_vmoves(uuid)]
    assert "pending" in statuses or "ongoing" in statuses, statuses  # killed in the middle
    assert seed.get(uuid).status == "running"

    _wait(lambda: uuid in claims.find_resumable(60, 120, 2), 10, "the dead engine's lease to expire")
    assert processor.process(uuid) == "finished", seed.get(uuid).message

    assert {g: cloud.evacuate_calls(g) for g in guests} == {g: 1 for g in guests}
    assert all(cloud.server(g).host in ("compute-2", "compute-3") for g in guests)
    assert all(cloud.server(g).vm_state == "active" and not cloud.server(g).locked for g in guests)
    assert {v["status"] for v in recovery_records.list_vmoves(uuid)} == {"succeeded"}
