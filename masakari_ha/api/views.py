"""Response objects with exactly upstream's fields (contract §1.5–1.8)."""

import datetime
import json


def timestamp(value: datetime.datetime | None) -> str | None:
    """Upstream's wire format: ``2017-04-21T08:59:53.000000`` (naive UTC, no zone)."""
    if value is None:
        return None
    return value.isoformat(timespec="microseconds")


def _common(row) -> dict:
    return {
        "id": row.id,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "deleted_at": timestamp(row.deleted_at),
        "deleted": bool(row.deleted),
    }


def segment(row) -> dict:
    body = _common(row)
    body.update({
        "uuid": row.uuid,
        "name": row.name,
        "description": row.description,
        "recovery_method": row.recovery_method,
        "service_type": row.service_type,
        "enabled": bool(row.enabled),
    })
    return body


def host(row, segment_body: dict | None = None) -> dict:
    """A host; ``segment_body`` (its segment's view) saves re-rendering it per host."""
    body = _common(row)
    body.update({
        "uuid": row.uuid,
        "name": row.name,
        "failover_segment_id": row.failover_segment_id,
        "failover_segment": segment_body if segment_body is not None
        else segment(row.failover_segment),
        "type": row.type,
        "reserved": bool(row.reserved),
        "control_attributes": row.control_attributes,
        "on_maintenance": bool(row.on_maintenance),
    })
    return body


def hosts(rows, segment_body: dict) -> list[dict]:
    """Hosts of ONE segment from plain rows (the list's fast path).

    ``rows`` are tuples of :data:`masakari_ha.db.hosts.LIST_COLUMNS` in that order. The
    same document as :func:`host` for each row, built with one dict literal per row and
    the segment's view shared by all of them: this is most of the CPU a 500-host list
    costs, so it unpacks tuples instead of calling helpers per field.
    """
    return [
        {
            "id": id_,
            "created_at": None if created is None else created.isoformat(timespec="microseconds"),
            "updated_at": None if updated is None else updated.isoformat(timespec="microseconds"),
            "deleted_at": None if gone is None else gone.isoformat(timespec="microseconds"),
            "deleted": bool(deleted),
            "uuid": uuid,
            "name": name,
            "failover_segment_id": segment_id,
            "failover_segment": segment_body,
            "type": type_,
            "reserved": bool(reserved),
            "control_attributes": control_attributes,
            "on_maintenance": bool(on_maintenance),
        }
        for (id_, created, updated, gone, deleted, uuid, name, segment_id, type_, reserved,
             control_attributes, on_maintenance) in rows
    ]


def _payload(text: str | None):
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}


def notification(row, workflow_details: list | None = None) -> dict:
    body = _common(row)
    body.update({
        "notification_uuid": row.notification_uuid,
        "generated_time": timestamp(row.generated_time),
        "source_host_uuid": row.source_host_uuid,
        "type": row.type,
        "payload": _payload(row.payload),
        "status": row.status,
        "failover_segment_uuid": row.failover_segment_uuid,
        "message": row.message,
    })
    if workflow_details is not None:
        body["recovery_workflow_details"] = workflow_details
    return body


def vmove(row) -> dict:
    body = _common(row)
    body.update({
        "uuid": row.uuid,
        "notification_uuid": row.notification_uuid,
        "instance_uuid": row.instance_uuid,
        "instance_name": row.instance_name,
        "source_host": row.source_host,
        "dest_host": row.dest_host,
        "start_time": timestamp(row.start_time),
        "end_time": timestamp(row.end_time),
        "type": row.type,
        "status": row.status,
        "message": row.message,
    })
    return body
