"""Functional engine tests: migrated SQLite, Keystone + Nova emulators over HTTP, our Nova
client, and the engine's Processor run synchronously (or the whole EngineService)."""

import datetime
import json
import uuid as uuidlib

import pytest
from keystoneauth1 import loading as ks_loading

from masakari_ha import compute
from masakari_ha.conf import CONF
from masakari_ha.context import admin_context
from masakari_ha.db import migration
from masakari_ha.db import session as db_session
from masakari_ha.db.models import FailoverSegment, Host, Notification
from masakari_ha.engine import limits
from masakari_ha.engine.processor import Processor
from masakari_ha.fencing import drivers as fencing_drivers
from masakari_ha.simulator.fixtures import sim_factory  # noqa: F401  (fixture)


@pytest.fixture
def db():
    migration.upgrade()
    yield


@pytest.fixture
def fast_engine_conf():
    """Poll often and bound every wait tightly, so a wrong recovery fails fast."""
    CONF.set_override("verify_interval", 0.02)
    for name, value in (("wait_period_after_evacuation", 20), ("wait_period_after_power_off", 20),
                        ("wait_period_after_power_on", 20), ("wait_period_after_service_update", 5)):
        CONF.set_override(name, value)
    limits.reset()
    yield
    compute.reset()


@pytest.fixture
def cloud_env(sim_factory, fast_engine_conf, db):  # noqa: F811
    env = sim_factory(hosts=[], latency="fast")
    env.configure_nova(CONF)
    compute.reset()
    yield env
    compute.reset()
    # configure_nova registered the password plugin's options (auth_url is required): take
    # them away again so the next test's CONF() does not demand them.
    CONF.reset()
    for opt in ks_loading.get_auth_plugin_conf_options("password"):
        try:
            CONF.unregister_opt(opt, group="nova")
        except Exception:
            pass


class Seed:
    """Writes segments, hosts and notifications the way the API stores them."""

    def segment(self, name="seg", recovery_method="auto", enabled=True) -> str:
        uuid = str(uuidlib.uuid4())
        with db_session.transaction(write=True) as s:
            s.add(FailoverSegment(uuid=uuid, name=name, service_type="COMPUTE", enabled=enabled,
                                  recovery_method=recovery_method, deleted=0))
        return uuid

    def host(self, segment: str, name: str, reserved=False, on_maintenance=False) -> str:
        uuid = str(uuidlib.uuid4())
        with db_session.transaction(write=True) as s:
            s.add(Host(uuid=uuid, name=name, type="COMPUTE", control_attributes="SSH", reserved=reserved,
                       on_maintenance=on_maintenance, failover_segment_id=segment, deleted=0))
        return uuid

    def notification(self, host_uuid: str, segment: str, type_: str, payload: dict,
                     generated_time=None) -> str:
        uuid = str(uuidlib.uuid4())
        with db_session.transaction(write=True) as s:
            s.add(Notification(
                notification_uuid=uuid, type=type_, payload=json.dumps(payload), status="new",
                generated_time=generated_time or datetime.datetime.utcnow().replace(microsecond=0),
                source_host_uuid=host_uuid, failover_segment_uuid=segment, deleted=0, attempts=0))
        return uuid

    def get(self, uuid: str) -> Notification:
        with db_session.transaction() as s:
            return s.query(Notification).filter_by(notification_uuid=uuid).one()

    def host_row(self, uuid: str) -> Host:
        with db_session.transaction() as s:
            return s.query(Host).filter_by(uuid=uuid).one()


@pytest.fixture
def seed(db):
    return Seed()


@pytest.fixture
def processor(cloud_env):
    return Processor("test-engine:1", 60, lambda: compute.get_client(CONF),
                     fencing_drivers.load_driver(CONF), admin_context())


STOPPED = {"event": "STOPPED", "host_status": "NORMAL", "cluster_status": "OFFLINE"}


def auto_priority_with_no_room(cloud_env, seed) -> tuple[str, str]:
    """compute-1 failed with one guest in an ``auto_priority`` segment where ``auto`` cannot
    place it (compute-2 full) and compute-3 is a reserved spare, disabled in Nova as operators
    keep them: the fallback to ``reserved_host`` must run. Returns (guest, notification)."""
    cloud = cloud_env.cloud
    for name in ("compute-1", "compute-2", "compute-3"):
        cloud.add_host(name)
    cloud.set_capacity_full("compute-2")
    nova = cloud_env.novaclient("2.53")
    spare = nova.services.list(host="compute-3", binary="nova-compute")[0]
    nova.services.disable_log_reason(spare.id, "reserved")
    guest = cloud.add_server("compute-1").uuid
    seg = seed.segment(recovery_method="auto_priority")
    failed = seed.host(seg, "compute-1")
    seed.host(seg, "compute-2")
    seed.host(seg, "compute-3", reserved=True)
    cloud.kill_host("compute-1")
    return guest, seed.notification(failed, seg, "COMPUTE_HOST", STOPPED)
