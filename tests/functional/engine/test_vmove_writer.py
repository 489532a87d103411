"""Group-committed vmove updates: everything queued is stored by close(), refusals are skipped."""

import pytest

from masakari_ha.db import recovery_records
from masakari_ha.engine import vmove_writer
from tests.functional.engine.conftest import STOPPED


def _notification(seed, count):
    seg = seed.segment()
    uuid = seed.notification(seed.host(seg, "compute-1"), seg, "COMPUTE_HOST", STOPPED)
    recovery_records.ensure_vmoves(uuid, "compute-1", [(f"i-{n}", f"vm-{n}") for n in range(count)])
    return uuid


def test_queued_updates_are_all_stored_in_order_per_instance(seed, db):
    uuid = _notification(seed, 40)
    writer = vmove_writer.VmoveWriter(uuid)
    for n in range(40):
        writer.update(f"i-{n}", "ongoing")
    for n in range(40):
        writer.update(f"i-{n}", "succeeded", dest_host="compute-2")
    writer.close()
    vmoves = recovery_records.list_vmoves(uuid)
    assert {v["status"] for v in vmoves} == {"succeeded"}
    assert {v["dest_host"] for v in vmoves} == {"compute-2"}


def test_refused_transition_is_skipped_and_the_rest_stored(seed, db, caplog):
    uuid = _notification(seed, 2)
    writer = vmove_writer.VmoveWriter(uuid)
    writer.update("i-0", "succeeded")
    writer.update("i-0", "ongoing")  # succeeded -> ongoing is not a vmove transition
    writer.update("i-1", "failed", message="boom")
    writer.close()
    statuses = {v["instance_uuid"]: v["status"] for v in recovery_records.list_vmoves(uuid)}
    assert statuses == {"i-0": "succeeded", "i-1": "failed"}
    assert "cannot change from succeeded to ongoing" in caplog.text


def test_close_raises_when_updates_cannot_be_stored(seed, db, monkeypatch):
    uuid = _notification(seed, 1)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr(recovery_records, "update_vmoves", broken)
    writer = vmove_writer.VmoveWriter(uuid)
    writer.update("i-0", "succeeded")
    with pytest.raises(vmove_writer.VmoveWriteError, match="database is gone"):
        writer.close()
