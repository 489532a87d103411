"""Run masakari_ha's engine (``EngineService``) on host-failure notifications, for the benchmark.

The counterpart of ``upstream_runner.py``: same protocol (argv[1] JSON spec with ``auth_url``,
``failed_hosts``, ``all_hosts``, ``state_dir``, optional ``options`` as ``{"group.name": value}``;
prints ``READY``, waits for a line on stdin, prints one JSON result line). It starts the real
``EngineService`` (worker pool, lease keeper, sweeps) on an in-process ``fake://`` transport and
hands it each notification with ``submit()`` - what its RPC endpoint does when the API's cast
arrives - so the measured time covers claiming, gates, the whole flow and its Nova calls.
"""

import concurrent.futures
import datetime
import json
import os
import sys
import time
import uuid as uuidlib


def _configure(spec):
    import oslo_messaging

    from masakari_ha.conf import CONF

    state = spec["state_dir"]
    os.makedirs(state, exist_ok=True)
    db_path = os.path.join(state, "masakari_ha.db")
    if os.path.exists(db_path):
        os.unlink(db_path)
    CONF([], project="masakari_ha", default_config_files=[])
    CONF.set_override("state_path", state)
    CONF.set_override("connection", f"sqlite:///{db_path}", group="database")
    from keystoneauth1 import loading as ks_loading

    CONF.register_opts(ks_loading.get_auth_plugin_conf_options("password"), group="nova")
    for name, value in (("auth_type", "password"), ("auth_url", spec["auth_url"]),
                        ("username", spec.get("username", "admin")),
                        ("password", spec.get("password", "adminpass")),
                        ("project_name", spec.get("project", "admin")),
                        ("user_domain_name", "Default"), ("project_domain_name", "Default")):
        CONF.set_override(name, value, group="nova")
    for key, value in spec.get("options", {}).items():
        group, _, name = key.rpartition(".")
        CONF.set_override(name, value, group=group or None)
    return CONF, oslo_messaging.get_rpc_transport(CONF, url="fake://")


def _seed(all_hosts, failed_hosts):
    from masakari_ha.db import session as db_session
    from masakari_ha.db.models import FailoverSegment, Host, Notification

    segment = str(uuidlib.uuid4())
    host_ids = {name: str(uuidlib.uuid4()) for name in all_hosts}
    notifications = {}
    now = datetime.datetime.utcnow().replace(microsecond=0)
    payload = json.dumps({"event": "STOPPED", "host_status": "NORMAL",
                          "cluster_status": "OFFLINE"})
    with db_session.transaction(write=True) as s:
        s.add(FailoverSegment(uuid=segment, name="bench", service_type="COMPUTE", enabled=True,
                              recovery_method="auto", deleted=0))
    with db_session.transaction(write=True) as s:
        for name, uuid in host_ids.items():
            s.add(Host(uuid=uuid, name=name, type="COMPUTE", control_attributes="SSH",
                       reserved=False, on_maintenance=False, failover_segment_id=segment,
                       deleted=0))
    with db_session.transaction(write=True) as s:
        for name in failed_hosts:
            uuid = str(uuidlib.uuid4())
            notifications[name] = uuid
            s.add(Notification(notification_uuid=uuid, type="COMPUTE_HOST", payload=payload,
                               status="new", generated_time=now, source_host_uuid=host_ids[name],
                               failover_segment_uuid=segment, deleted=0, attempts=0))
    return notifications


def _status(uuid):
    from masakari_ha.db import session as db_session
    from masakari_ha.db.models import Notification

    with db_session.transaction() as s:
        row = s.query(Notification).filter_by(notification_uuid=uuid).one()
        return row.status


def main():
    import logging

    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    conf, transport = _configure(spec)
    logging.basicConfig(filename=os.path.join(spec["state_dir"], "engine.log"),
                        level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from masakari_ha.db import migration
    from masakari_ha.engine.service import EngineService

    migration.upgrade()
    notifications = _seed(spec["all_hosts"], spec["failed_hosts"])
    service = EngineService(conf, transport=transport).start()
    # A deployed engine has been running for a while: its Nova session holds a token and the
    # microversion is negotiated (EngineService warms this up in the background at start).
    # Wait for that here rather than timing it as part of the first recovery.
    from masakari_ha.compute import get_client

    get_client(conf).microversion
    print("READY", flush=True)
    sys.stdin.readline()
    started = time.monotonic()
    futures = {}
    for name, uuid in notifications.items():
        future = service.submit(uuid)
        if future is not None:
            futures[future] = name
    results = []
    for future in concurrent.futures.as_completed(futures):
        name = futures[future]
        error = future.exception()
        results.append({"host": name, "status": _status(notifications[name]),
                        "seconds": round(time.monotonic() - started, 3),
                        **({"error": repr(error)} if error else {})})
    total = round(time.monotonic() - started, 3)
    service.stop()
    print(json.dumps({"total_seconds": total,
                      "results": sorted(results, key=lambda r: r["host"])}), flush=True)


if __name__ == "__main__":
    main()
