"""Stopping an engine in the middle of a recovery hands its claim back at once (no waiting
for the lease to expire) and the next engine finishes without evacuating anything twice."""

import time

from masakari_ha import rpc
from masakari_ha.conf import CONF
from masakari_ha.db import claims, recovery_records
from masakari_ha.engine.service import EngineService
from tests.functional.engine.conftest import STOPPED


def test_stop_releases_the_claim_and_another_engine_finishes(cloud_env, seed, processor):
    cloud = cloud_env.cloud
    for name in ("compute-1", "compute-2"):
        cloud.add_host(name)
    guests = [cloud.add_server("compute-1").uuid for _ in range(8)]
    cloud.latency.evacuate_schedule = 0.1
    cloud.latency.evacuate = 0.4
    CONF.set_override("host_failure_recovery_threads", 2)
    seg = seed.segment()
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    cloud.kill_host("compute-1")
    uuid = seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)
    rpc.register_opts(CONF)
    CONF.set_override("transport_url", "fake://")
    service = EngineService(CONF, transport=rpc.get_transport(CONF)).start()
    try:
        service.submit(uuid)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(v["status"] == "succeeded" for v in recovery_records.list_vmoves(uuid)):
                break
            time.sleep(0.05)
        service.stop()
    finally:
        rpc.cleanup()
    row = seed.get(uuid)
    assert row.status == "running"
    assert row.lease_expires_at <= claims.utcnow()  # released, not left to expire
    assert uuid in claims.find_resumable(60, 120, 2)

    assert processor.process(uuid) == "finished", seed.get(uuid).message
    assert {g: cloud.evacuate_calls(g) for g in guests} == {g: 1 for g in guests}
    assert all(cloud.server(g).host == "compute-2" for g in guests)


def test_error_is_retried_once_by_the_sweep_then_failed(cloud_env, seed, processor):
    CONF.set_override("process_unfinished_notifications_interval", 1)
    cloud_env.cloud.add_host("compute-1")
    seg = seed.segment()
    host = seed.host(seg, "compute-1")
    # Fencing cannot be confirmed (host_status UNKNOWN, noop driver): error on every attempt.
    uuid = seed.notification(host, seg, "COMPUTE_HOST", dict(STOPPED, host_status="UNKNOWN"))
    rpc.register_opts(CONF)
    CONF.set_override("transport_url", "fake://")
    CONF.set_override("sweep_interval", 1, group="engine")
    service = EngineService(CONF, transport=rpc.get_transport(CONF))
    service.start()
    try:
        service.submit(uuid)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and seed.get(uuid).status != "failed":
            time.sleep(0.1)
    finally:
        service.stop()
        rpc.cleanup()
    row = seed.get(uuid)
    assert (row.status, row.attempts) == ("failed", 2)
    assert "Recovery failed after 2 attempts" in row.message
    assert "Fencing check failed for host compute-1" in row.message
