"""Run UPSTREAM masakari-engine's host-failure recovery against the emulators (its own venv).

Executed by ``recovery_bench.py`` with the python of a virtualenv holding ``masakari==22.0.0`` from
PyPI (eventlet is fine there, never in masakari_ha's venv). Why in-process and not masakari-api +
masakari-engine + RabbitMQ: the time we measure is spent in the engine's manager and TaskFlow
driver (sleeps, Nova calls, polling); the API and one RPC cast add milliseconds. Calling
``MasakariManager.process_notification`` - the method the engine's RPC endpoint dispatches to - runs
exactly upstream's code path (manager pre-processing, flow construction, every task, its novaclient
usage with a fresh keystone session per call) without needing a broker. Notifications of several
hosts run concurrently in upstream's green threads (``masakari.utils.spawn``), as the engine's
RPC executor would run them.

Protocol: argv[1] is a JSON file with ``auth_url``, ``failed_hosts``, ``all_hosts``, ``state_dir``
and optional ``options`` ({option: value} for [DEFAULT], e.g. wait_period_after_service_update).
The runner prepares its SQLite databases, prints ``READY`` and waits for a line on stdin; then it
processes one COMPUTE_HOST/STOPPED notification per failed host and prints one JSON line with the
per-notification durations and final statuses.
"""

# Upstream's own start-up, exactly as its masakari-engine begins: importing masakari.cmd
# monkey-patches the process with eventlet (upstream's venv; masakari_ha never does this).
import masakari.cmd  # noqa: F401

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402


def _write_config(spec):
    state = spec["state_dir"]
    os.makedirs(state, exist_ok=True)
    for name in ("masakari.db", "taskflow.db"):
        path = os.path.join(state, name)
        if os.path.exists(path):
            os.unlink(path)
    options = {
        "transport_url": "fake://",
        "os_privileged_user_name": spec.get("username", "admin"),
        "os_privileged_user_password": spec.get("password", "adminpass"),
        "os_privileged_user_tenant": spec.get("project", "admin"),
        "os_privileged_user_auth_url": spec["auth_url"],
        "os_user_domain_name": "Default",
        "os_project_domain_name": "Default",
        "os_region_name": "RegionOne",
        "duplicate_notification_detection_interval": 0,
    }
    options.update(spec.get("options", {}))
    lines = ["[DEFAULT]"] + [f"{k} = {v}" for k, v in options.items()]
    lines += ["", "[database]", f"connection = sqlite:///{state}/masakari.db",
              "", "[taskflow]", f"connection = sqlite:///{state}/taskflow.db",
              "", "[keystone_authtoken]", "auth_type = password",
              "", "[oslo_messaging_notifications]", "driver = noop"]
    path = os.path.join(state, "masakari.conf")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def main():
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    conf_path = _write_config(spec)

    from oslo_log import log as logging
    from oslo_utils import timeutils

    import masakari.conf
    from masakari import config, context, objects
    from masakari import utils as masakari_utils
    from masakari.db import migration

    config.parse_args(["masakari-engine", "--config-file", conf_path])
    conf = masakari.conf.CONF
    conf.set_override("log_file", os.path.join(spec["state_dir"], "engine.log"))
    logging.setup(conf, "masakari")
    objects.register_all()
    migration.db_sync()

    from masakari.engine import manager

    engine = manager.MasakariManager()
    ctx = context.get_admin_context()
    segment = objects.FailoverSegment(context=ctx, name="bench", service_type="COMPUTE",
                                      recovery_method="auto", description="bench",
                                      enabled=True)
    segment.create()
    hosts = {}
    for name in spec["all_hosts"]:
        host = objects.Host(context=ctx, name=name, type="COMPUTE", control_attributes="SSH",
                            reserved=False, on_maintenance=False, failover_segment=segment)
        host.create()
        hosts[name] = host
    notifications = []
    for name in spec["failed_hosts"]:
        notification = objects.Notification(
            context=ctx, type="COMPUTE_HOST", generated_time=timeutils.utcnow(),
            status="new", source_host_uuid=hosts[name].uuid,
            payload={"event": "STOPPED", "host_status": "NORMAL",
                     "cluster_status": "OFFLINE"})
        notification.create()
        notifications.append((name, notification))

    print("READY", flush=True)
    sys.stdin.readline()
    started = time.monotonic()
    results = []

    def run(name, notification):
        engine.process_notification(ctx, notification=notification)
        fresh = objects.Notification.get_by_uuid(ctx, notification.notification_uuid)
        results.append({"host": name, "status": fresh.status,
                        "seconds": round(time.monotonic() - started, 3)})

    # upstream's spawn helper (its green threads, the request context carried over)
    workers = [masakari_utils.spawn(run, name, notification) for name, notification in notifications]
    for worker in workers:
        worker.wait()
    print(json.dumps({"total_seconds": round(time.monotonic() - started, 3),
                      "results": sorted(results, key=lambda r: r["host"])}), flush=True)


if __name__ == "__main__":
    main()
