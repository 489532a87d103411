"""Failover segment bodies. ``enabled`` exists from microversion 1.2 on."""

import copy

from masakari_ha.api.schemas import common

RECOVERY_METHODS = ["auto", "reserved_host", "auto_priority", "rh_priority"]

_properties = {
    "name": common.name,
    "description": common.description,
    "recovery_method": {"type": "string", "enum": RECOVERY_METHODS},
    "service_type": common.name,
}

create = {
    "type": "object",
    "properties": {
        "segment": {
            "type": "object",
            "properties": dict(_properties),
            "required": ["name", "recovery_method", "service_type"],
            "additionalProperties": False,
        }
    },
    "required": ["segment"],
    "additionalProperties": False,
}

update = {
    "type": "object",
    "properties": {
        "segment": {
            "type": "object",
            "properties": dict(_properties),
            "anyOf": [{"required": ["name"]}, {"required": ["description"]},
                      {"required": ["recovery_method"]}, {"required": ["service_type"]}],
            "additionalProperties": False,
        }
    },
    "required": ["segment"],
    "additionalProperties": False,
}


def _with_enabled(schema: dict) -> dict:
    schema = copy.deepcopy(schema)
    inner = schema["properties"]["segment"]
    inner["properties"]["enabled"] = common.boolean
    if "anyOf" in inner:
        inner["anyOf"].append({"required": ["enabled"]})
    return schema


create_v12 = _with_enabled(create)
update_v12 = _with_enabled(update)
