"""Claims on every supported database: many engines racing for one notification get exactly
one winner, host recoveries of one host are serialised, TaskFlow persistence shares the
database (its tables created by ``db sync``)."""

import threading
import uuid as uuidlib

import pytest
import sqlalchemy as sa

from masakari_ha.conf import CONF
from masakari_ha.db import claims, migration
from masakari_ha.db import session as db_session
from masakari_ha.db.models import FailoverSegment, Host, Notification
from masakari_ha.engine import executor
from taskflow import task as tf_task

pytestmark = pytest.mark.integration

KINDS = ["sqlite", "postgresql", "mariadb"]
STOPPED = '{"event": "STOPPED", "host_status": "NORMAL"}'


@pytest.fixture(params=KINDS)
def database(request, scratch_db_factory):
    db = scratch_db_factory(request.param)
    CONF.set_override("connection", db.url, group="database")
    migration.upgrade()
    yield db
    db_session.dispose_engines()


def _seed(n_notifications, payloads=None):
    seg, host = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    uuids = [str(uuidlib.uuid4()) for _ in range(n_notifications)]
    with db_session.transaction(write=True) as s:
        s.add(FailoverSegment(uuid=seg, name="seg", service_type="COMPUTE", enabled=True,
                              recovery_method="auto", deleted=0))
        s.flush()
        s.add(Host(uuid=host, name="compute-1", type="COMPUTE", control_attributes="SSH",
                   failover_segment_id=seg, deleted=0, reserved=False, on_maintenance=False))
        s.flush()
        for i, uuid in enumerate(uuids):
            s.add(Notification(notification_uuid=uuid, type="COMPUTE_HOST", status="new",
                               payload=(payloads or {}).get(i, STOPPED), generated_time=claims.utcnow(),
                               source_host_uuid=host, failover_segment_uuid=seg, deleted=0, attempts=0))
    return uuids


def _race(targets, engines=8):
    winners, errors, barrier = [], [], threading.Barrier(engines)

    def run(name, target):
        barrier.wait()
        try:
            claims.claim(target, name, 60)
            winners.append((name, target))
        except claims.ClaimRefused:
            pass
        except Exception as error:  # a database error is a bug here, not a lost race
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f"engine-{i}", targets[i % len(targets)]))
               for i in range(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return winners


def test_exactly_one_engine_wins_a_notification(database):
    [uuid] = _seed(1)
    winners = _race([uuid])
    assert len(winners) == 1
    with db_session.transaction() as s:
        row = s.execute(sa.select(Notification).where(Notification.notification_uuid == uuid)).scalar_one()
    assert (row.status, row.owner) == ("running", winners[0][0])


def test_two_host_recoveries_of_one_host_never_run_together(database):
    uuids = _seed(2, payloads={1: '{"event": "STOPPED", "host_status": "NORMAL", "x": "1"}'})
    winners = _race(uuids)
    assert len(winners) == 1


def test_taskflow_persistence_lives_in_the_same_database(database):
    [uuid] = _seed(1)
    ran = []

    class Step(tf_task.Task):
        def execute(self, x):
            ran.append(x)

    executor.run_flow(uuid, "instance:recovery", executor.stage_flow("t", {"main": [Step()]}), {"x": 1})
    assert ran == [1]
    tables = sa.inspect(db_session.get_engine()).get_table_names()
    assert {"logbooks", "flowdetails", "atomdetails"} <= set(tables)
    with db_session.transaction() as s:
        assert s.execute(sa.text("SELECT count(*) FROM logbooks WHERE uuid = :u"), {"u": uuid}).scalar_one() == 1
