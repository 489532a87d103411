"""Notification bodies: the envelope, then a payload schema per notification type."""

NOTIFICATION_TYPES = ["COMPUTE_HOST", "VM", "PROCESS"]

create = {
    "type": "object",
    "properties": {
        "notification": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": NOTIFICATION_TYPES},
                "hostname": {
                    "type": "string", "minLength": 1, "maxLength": 255,
                    "pattern": "^[a-zA-Z0-9-._]*$",
                },
                "generated_time": {"type": "string", "format": "date-time"},
                "payload": {
                    "type": "object",
                    "patternProperties": {
                        "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255},
                    },
                    "additionalProperties": False,
                },
            },
            "required": ["type", "hostname", "generated_time", "payload"],
            "additionalProperties": False,
        }
    },
    "required": ["notification"],
    "additionalProperties": False,
}

_event = {"type": "string", "enum": ["STARTED", "STOPPED"]}

payloads = {
    "COMPUTE_HOST": {
        "type": "object",
        "properties": {
            "event": _event,
            "host_status": {"type": "string", "enum": ["NORMAL", "UNKNOWN"]},
            "cluster_status": {"type": "string", "enum": ["ONLINE", "OFFLINE"]},
        },
        "required": ["event"],
        "additionalProperties": False,
    },
    "PROCESS": {
        "type": "object",
        "properties": {
            "process_name": {"type": "string", "minLength": 1, "maxLength": 4096},
            "event": _event,
        },
        "required": ["process_name", "event"],
        "additionalProperties": False,
    },
    "VM": {
        "type": "object",
        "properties": {
            "instance_uuid": {"type": "string", "format": "uuid"},
            "vir_domain_event": {"type": "string", "minLength": 1, "maxLength": 255},
            "event": {"type": "string", "minLength": 1, "maxLength": 255},
        },
        "required": ["instance_uuid", "vir_domain_event", "event"],
        "additionalProperties": False,
    },
}
