"""``masakari-ha-sim``: break things in the simulated cloud of ``masakari-ha-all``.

::

    masakari-ha-sim crash-instance <uuid>   # libvirt: STOPPED_FAILED -> instance monitor path
    masakari-ha-sim kill-host <name>        # pacemaker-remote offline -> host monitor, MAAS fencing
    masakari-ha-sim revive-host <name>      # power on, nova-compute and pacemaker-remote back
    masakari-ha-sim status [--json]         # hosts, guests, latest notifications

The simulation is found at ``--url``, else ``$MASAKARI_HA_SIM_URL``, else the ``control``
URL in ``<state path>/simulation.json`` that a running ``masakari-ha-all`` keeps (``--state-path``,
default ``$HOME/.local/state/masakari_ha``, the service's default ``state_path``), else
http://127.0.0.1:15102 (``[simulation] control_port``). Exit codes: 0 done, 1 the simulation
refused or is not reachable (the message says what to do), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import requests

DEFAULT_URL = "http://127.0.0.1:15102"
URL_ENV = "MASAKARI_HA_SIM_URL"
DEFAULT_STATE_PATH = os.path.join(os.path.expanduser("~"), ".local", "state", "masakari_ha")


def control_url(url: str | None, state_path: str) -> str:
    """Where the simulation's control API is (see the module docstring for the order)."""
    if url:
        return url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    try:
        with open(os.path.join(state_path, "simulation.json"), encoding="utf-8") as handle:
            return json.load(handle)["control"]
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_URL


class CliError(Exception):
    """Reported on stderr as ``masakari-ha-sim: <message>``, exit code 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="masakari-ha-sim",
        description="Drive the simulated cloud that masakari-ha-all starts when no [nova] is "
        "configured: crash guests, kill and revive hosts, show the state.")
    parser.add_argument("--url", default=None,
                        help=f"control API of the simulation (default: ${URL_ENV}, else the "
                        f"one in <state path>/simulation.json, else {DEFAULT_URL})")
    parser.add_argument("--state-path", default=DEFAULT_STATE_PATH,
                        help="state_path of masakari-ha-all, to find its simulation.json "
                        "(default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the raw JSON answer")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    crash = commands.add_parser("crash-instance", help="the guest's qemu dies (libvirt "
                                "STOPPED_FAILED); the instance monitor reports it")
    crash.add_argument("uuid", help="server id (see 'masakari-ha-sim status')")
    kill = commands.add_parser("kill-host", help="the host dies (pacemaker-remote offline, "
                               "nova-compute down); the host monitor reports it, the engine "
                               "fences it through MAAS and evacuates")
    kill.add_argument("name", help="host name, e.g. compute-1")
    revive = commands.add_parser("revive-host", help="power the host on again, nova-compute "
                                 "and pacemaker-remote back")
    revive.add_argument("name", help="host name")
    commands.add_parser("status", help="hosts, guests and the latest notifications")
    return parser


def _call(base: str, method: str, path: str) -> Any:
    url = base.rstrip("/") + path
    try:
        response = requests.request(method, url, timeout=60)
    except requests.ConnectionError:
        raise CliError(f"no simulation running at {base}. Start it with 'tools/run-service' "
                       "(or 'masakari-ha-all' without a [nova] section), or point --url / "
                       f"${URL_ENV} at the control URL its banner printed.") from None
    except requests.RequestException as error:
        raise CliError(f"the simulation at {base} did not answer: {error}") from None
    try:
        doc = response.json()
    except ValueError:
        raise CliError(f"{url} is not a masakari_ha simulation (HTTP {response.status_code}, "
                       "not JSON); check --url") from None
    if response.status_code >= 400:
        raise CliError(doc.get("error") if isinstance(doc, dict) else str(doc))
    return doc


def _notification_line(found: dict[str, Any] | None, what: str) -> str:
    if not found:
        return (f"  no {what} notification answered yet; it stays in the simulated monitor's "
                "spool and is retried (see 'masakari-ha-sim status')")
    if found["outcome"] == "accepted":
        return (f"  notification {found['notification_uuid']} accepted by the API\n"
                f"  follow it: openstack notification show {found['notification_uuid']}")
    if found["outcome"] == "pending":
        return f"  {found['message']}"
    if found["http_status"] == 409 and "maintenance" in found["message"]:
        return ("  the API ignores it (HTTP 409): the host is on maintenance since its "
                "recovery, as upstream Masakari does")
    return (f"  the API refused the {what} notification (HTTP {found['http_status']}: "
            f"{found['message']}). Is the host in a segment? "
            "'openstack segment host create <host> COMPUTE SSH <segment>'")


def _print_status(doc: dict[str, Any]) -> None:
    print("HOSTS")
    print(f"  {'name':<16} {'pacemaker':<10} {'power':<6} nova-compute")
    for host in doc["hosts"]:
        print(f"  {host['name']:<16} {host['pacemaker']:<10} {host['power']:<6} "
              f"{host['nova_compute']}")
    print("GUESTS")
    print(f"  {'id':<36}  {'name':<12} {'host':<16} {'vm_state':<10} HA_Enabled")
    for guest in doc["guests"]:
        print(f"  {guest['id']:<36}  {guest['name']:<12} {str(guest['host']):<16} "
              f"{guest['vm_state']:<10} {guest['ha_enabled'] or '-'}")
    print("NOTIFICATIONS (newest first)")
    if doc.get("api_error"):
        print(f"  cannot read them from the API: {doc['api_error']}")
    for n in doc["notifications"]:
        payload = n.get("payload") or {}
        detail = payload.get("instance_uuid") or payload.get("host_status") or ""
        print(f"  {n['notification_uuid']}  {n['type']:<12} {n['status']:<9} "
              f"{payload.get('event', '')} {detail}")
    if not doc["notifications"] and not doc.get("api_error"):
        print("  none yet")
    if doc.get("spooled"):
        print(f"  ({doc['spooled']} notification(s) still spooled in the simulated monitors)")


def run(args: argparse.Namespace) -> int:
    base = control_url(args.url, args.state_path)
    if args.command == "status":
        doc = _call(base, "GET", "/status")
        if args.json:
            print(json.dumps(doc, indent=2))
        else:
            _print_status(doc)
        return 0
    if args.command == "crash-instance":
        doc = _call(base, "POST", f"/instances/{args.uuid}/crash")
        summary = (f"guest {doc['instance']} ({doc['name']}) on {doc['host']} crashed: libvirt "
                   "reported LIFECYCLE/STOPPED_FAILED\n"
                   + _notification_line(doc["notification"], "VM"))
    elif args.command == "kill-host":
        doc = _call(base, "POST", f"/hosts/{args.name}/kill")
        summary = (f"host {doc['host']} killed: pacemaker-remote offline, nova-compute down\n"
                   + _notification_line(doc["notification"], "COMPUTE_HOST"))
    else:
        doc = _call(base, "POST", f"/hosts/{args.name}/revive")
        summary = (f"host {doc['host']} revived: powered on, nova-compute and pacemaker-remote "
                   "running\n" + _notification_line(doc["notification"], "COMPUTE_HOST STARTED")
                   + "\n  after a recovery the host is on maintenance: 'openstack segment host "
                   f"update <segment> {doc['host']} --on_maintenance False' and 'openstack "
                   f"compute service set --enable --up {doc['host']} nova-compute' put it back")
    print(json.dumps(doc, indent=2) if args.json else summary)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except CliError as error:
        print(f"masakari-ha-sim: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
