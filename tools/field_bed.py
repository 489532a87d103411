"""Nova- and API-side operations of the field test bed (``tools/field-bed.sh``).

Run with the project's virtualenv (keystoneauth1, novaclient).  The shell script starts and stops
processes; this module does what needs the real APIs:

* ``nova-reset HOST... --reserved HOST``: delete every server, make sure each field compute runs
  and is up, un-force-down its service (restarting the compute when Nova refuses because ``done``
  evacuation records remain), enable the normal computes and disable the reserved one (a
  reserved host is a disabled compute in the field report), disable computes that are not part of
  the field bed so the scheduler never picks them (remembered for ``nova-restore``);
* ``nova-restore``: re-enable the foreign computes ``nova-reset`` disabled;
* ``nova-park HOST...``: delete the servers, disable the field computes and stop them (``down``);
* ``register API_URL HOST... --reserved HOST``: the field segment (``auto``) and its hosts;
* ``endpoint URL`` / ``remove-endpoint``: the ``instance-ha`` catalog entry in the bed's own
  Keystone region (so other test sessions sharing the Keystone never see the bed's API).

Every Keystone call authenticates as the bootstrap admin of tools/keystone.sh.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

HERE = Path(__file__).resolve().parent
AUTH_URL = os.environ.get("MASAKARI_HA_FIELD_AUTH_URL", "http://127.0.0.1:15001/v3")
REGION = os.environ.get("MASAKARI_HA_FIELD_REGION", "masakari-field")
SEGMENT = "field-segment"
RESERVED_REASON = "field bed: reserved host"
FOREIGN_REASON = "field bed: not part of the field bed"
PARKED_REASON = "field bed: down"
API_HEADERS = {"OpenStack-API-Version": "instance-ha 1.3"}
LAB_ROOT = Path(os.environ.get("MASAKARI_HA_LAB", "/var/tmp/masakari-ha-lab"))
STATE = LAB_ROOT / "field"


def log(msg: str) -> None:
    sys.stderr.write(f"field-bed: {msg}\n")
    sys.stderr.flush()


def admin_session() -> ks_session.Session:
    auth = v3.Password(auth_url=AUTH_URL, username="admin", password="adminpass", project_name="admin",
                       user_domain_id="default", project_domain_id="default")
    return ks_session.Session(auth=auth)


def nova(sess: ks_session.Session):
    return nova_client.Client("2.53", session=sess, region_name="RegionOne")


def wait(cond, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"field-bed: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def nova_lab(*args: str) -> None:
    subprocess.run([str(HERE / "nova-lab.sh"), *args], check=True, capture_output=True, timeout=120)


def services(nc, host: str | None = None):
    return [s for s in nc.services.list(binary="nova-compute") if host is None or s.host == host]


def delete_all_servers(nc) -> None:
    servers = nc.servers.list(search_opts={"all_tenants": True})
    for server in servers:
        try:
            if server.status not in ("ACTIVE", "SHUTOFF", "ERROR"):
                nc.servers.reset_state(server.id, "error")
            nc.servers.delete(server.id)
        except nova_exc.NotFound:
            pass
    if servers:
        wait(lambda: not nc.servers.list(search_opts={"all_tenants": True}), 120, "all servers deleted", 1)
        log(f"deleted {len(servers)} servers")


def computes_up(nc, hosts: list[str]) -> bool:
    up = {s.host for s in services(nc) if s.state == "up"}
    hv = {h.hypervisor_hostname for h in nc.hypervisors.list() if h.state == "up"}
    return set(hosts) <= (up & hv)


def disabled_trait(sess: ks_session.Session, host: str) -> bool:
    """Placement still carries COMPUTE_STATUS_DISABLED on ``host``'s resource provider (the
    scheduler's pre-filter then refuses the host, even when the server is forced onto it)."""
    placement = {"service_type": "placement", "region_name": "RegionOne"}
    headers = {"OpenStack-API-Version": "placement 1.6"}
    rps = sess.get(f"/resource_providers?name={host}", endpoint_filter=placement, headers=headers).json()
    for rp in rps["resource_providers"]:
        traits = sess.get(f"/resource_providers/{rp['uuid']}/traits", endpoint_filter=placement,
                          headers=headers).json()["traits"]
        if "COMPUTE_STATUS_DISABLED" in traits:
            return True
    return False


def ensure_schedulable(sess: ks_session.Session, nc, host: str) -> None:
    """Nova mirrors a service's disabled status into placement by RPC to the compute; an enable
    sent while the compute was still starting leaves the trait until the compute's next periodic
    task (minutes). Toggle the status again once the compute is up, and wait for the trait to go."""
    if not disabled_trait(sess, host):
        return
    svc = services(nc, host)[0]
    nc.services.disable_log_reason(svc.id, "field bed: re-sync placement")
    nc.services.enable(svc.id)
    wait(lambda: not disabled_trait(sess, host), 90, f"COMPUTE_STATUS_DISABLED to leave {host} in placement", 1)
    log(f"{host}: placement trait COMPUTE_STATUS_DISABLED re-synced")


def nova_reset(hosts: list[str], reserved: list[str]) -> None:
    sess = admin_session()
    nc = nova(sess)
    for host in hosts:
        nova_lab("start-compute", host)   # no-op when running
    wait(lambda: {s.host for s in services(nc)} >= set(hosts), 180, f"services of {hosts} registered", 1)
    # No field compute is forced down here: field-bed.sh runs `nova-lab.sh up` first whenever one
    # is, which restarts it and un-forces it once its evacuation records are settled.
    delete_all_servers(nc)
    for svc in services(nc):
        if svc.host in reserved:
            if svc.status != "disabled" or svc.disabled_reason != RESERVED_REASON:
                nc.services.disable_log_reason(svc.id, RESERVED_REASON)
        elif svc.host in hosts:
            if svc.status != "enabled":
                nc.services.enable(svc.id)
        elif svc.status == "enabled":
            nc.services.disable_log_reason(svc.id, FOREIGN_REASON)
            foreign = STATE / "foreign-disabled"
            foreign.parent.mkdir(parents=True, exist_ok=True)
            with foreign.open("a") as fh:
                fh.write(svc.host + "\n")
            log(f"disabled foreign compute {svc.host} (re-enabled by down)")
    wait(lambda: computes_up(nc, hosts), 180, f"computes {hosts} up", 1)
    for host in hosts:
        if host not in reserved:
            ensure_schedulable(sess, nc, host)
    log(f"nova reset: computes {' '.join(hosts)} up, reserved {' '.join(reserved) or '-'} disabled")


def nova_park(hosts: list[str]) -> None:
    """End of the bed: delete the servers, disable the field computes (so another session's
    scheduler never picks them) and stop their nova-compute processes."""
    nc = nova(admin_session())
    delete_all_servers(nc)
    for svc in services(nc):
        if svc.host in hosts and svc.status == "enabled":
            nc.services.disable_log_reason(svc.id, PARKED_REASON)
    for host in hosts:
        nova_lab("kill-compute", host)
    log(f"parked computes {' '.join(hosts)} (disabled, stopped)")


def nova_restore() -> None:
    foreign = STATE / "foreign-disabled"
    if not foreign.exists():
        return
    nc = nova(admin_session())
    names = set(foreign.read_text().split())
    for svc in services(nc):
        if svc.host in names and svc.disabled_reason == FOREIGN_REASON:
            nc.services.enable(svc.id)
    foreign.unlink()
    log(f"re-enabled foreign computes {' '.join(sorted(names))}")


def api(sess: ks_session.Session, url: str, method: str, path: str, body: dict | None = None) -> dict:
    resp = sess.request(url + path, method, json=body, headers=API_HEADERS, raise_exc=False)
    if resp.status_code >= 300:
        raise SystemExit(f"field-bed: {method} {path} -> {resp.status_code} {resp.text}")
    return resp.json() if resp.content else {}


def register(url: str, hosts: list[str], reserved: list[str], method: str = "auto") -> None:
    sess = admin_session()
    seg = api(sess, url, "POST", "/segments", {"segment": {
        "name": SEGMENT, "recovery_method": method, "service_type": "COMPUTE"}})["segment"]
    for host in hosts:
        api(sess, url, "POST", f"/segments/{seg['uuid']}/hosts", {"host": {
            "name": host, "type": "COMPUTE", "control_attributes": "SSH", "reserved": host in reserved}})
    print(json.dumps({"segment": seg["uuid"]}))


def endpoint(url: str | None) -> None:
    sys.path.insert(0, str(HERE))
    import keystone_catalog  # noqa: E402  (tools/ is not a package)

    if url:
        keystone_catalog.register_endpoint(AUTH_URL, url, region=REGION)
    else:
        keystone_catalog.remove_region(AUTH_URL, REGION)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="field_bed.py")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("nova-reset")
    p.add_argument("hosts", nargs="+")
    p.add_argument("--reserved", action="append", default=[])
    sub.add_parser("nova-restore")
    p = sub.add_parser("nova-park")
    p.add_argument("hosts", nargs="+")
    p = sub.add_parser("register")
    p.add_argument("url")
    p.add_argument("hosts", nargs="+")
    p.add_argument("--reserved", action="append", default=[])
    p = sub.add_parser("endpoint")
    p.add_argument("url")
    sub.add_parser("remove-endpoint")
    args = parser.parse_args(argv)
    if args.cmd == "nova-reset":
        nova_reset(args.hosts, args.reserved)
    elif args.cmd == "nova-park":
        nova_park(args.hosts)
    elif args.cmd == "nova-restore":
        nova_restore()
    elif args.cmd == "register":
        register(args.url, args.hosts, args.reserved)
    elif args.cmd == "endpoint":
        endpoint(args.url)
    else:
        endpoint(None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
