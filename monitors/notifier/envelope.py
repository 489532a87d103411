"""Notification envelopes and payloads, exactly as the v1 API's schema wants them.

Pure functions; ``generated_time`` is always the time the failure was *observed* (passed in
by the monitor), never the time the notification is sent.
"""

import datetime
from typing import Any

TYPE_COMPUTE_HOST = "COMPUTE_HOST"
TYPE_VM = "VM"
TYPE_PROCESS = "PROCESS"

EVENT_STARTED = "STARTED"
EVENT_STOPPED = "STOPPED"
HOST_STATUS_NORMAL = "NORMAL"
HOST_STATUS_UNKNOWN = "UNKNOWN"
CLUSTER_ONLINE = "ONLINE"
CLUSTER_OFFLINE = "OFFLINE"


def utcnow() -> datetime.datetime:
    """The current time as an aware UTC datetime."""
    return datetime.datetime.now(datetime.timezone.utc)


def format_time(when: datetime.datetime) -> str:
    """ISO-8601 UTC with microseconds and no offset suffix, as upstream monitors send it."""
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return when.isoformat(timespec="microseconds")


def envelope(ntype: str, hostname: str, payload: dict[str, Any],
             observed_at: datetime.datetime) -> dict[str, Any]:
    """The body of ``POST /v1/notifications``."""
    return {
        "notification": {
            "type": ntype,
            "hostname": hostname,
            "generated_time": format_time(observed_at),
            "payload": payload,
        }
    }


def compute_host(hostname: str, stopped: bool, host_status: str,
                 observed_at: datetime.datetime) -> dict[str, Any]:
    """COMPUTE_HOST STOPPED/OFFLINE or STARTED/ONLINE for the peer ``hostname``."""
    payload = {
        "event": EVENT_STOPPED if stopped else EVENT_STARTED,
        "cluster_status": CLUSTER_OFFLINE if stopped else CLUSTER_ONLINE,
        "host_status": host_status,
    }
    return envelope(TYPE_COMPUTE_HOST, hostname, payload, observed_at)


def vm(hostname: str, instance_uuid: str, event: str, vir_domain_event: str,
       observed_at: datetime.datetime) -> dict[str, Any]:
    """VM notification for a libvirt domain event."""
    payload = {"event": event, "instance_uuid": instance_uuid, "vir_domain_event": vir_domain_event}
    return envelope(TYPE_VM, hostname, payload, observed_at)


def process(hostname: str, process_name: str, stopped: bool,
            observed_at: datetime.datetime) -> dict[str, Any]:
    """PROCESS STOPPED/STARTED notification."""
    payload = {"event": EVENT_STOPPED if stopped else EVENT_STARTED, "process_name": process_name}
    return envelope(TYPE_PROCESS, hostname, payload, observed_at)


def describe(body: dict[str, Any]) -> str:
    """One-line human summary used in logs and in ``--once`` output."""
    n = body["notification"]
    p = n["payload"]
    detail = " ".join(f"{k}={v}" for k, v in sorted(p.items()))
    return f"{n['type']} hostname={n['hostname']} generated_time={n['generated_time']} {detail}"
