"""Host bodies (upstream's rules; ``type``/``control_attributes`` must be strings because
the columns are NOT NULL — upstream accepted null and then failed with a 500)."""

from masakari_ha.api.schemas import common

_properties = {
    "name": common.name,
    "type": {"type": "string", "minLength": 0, "maxLength": 255, "pattern": "^[a-zA-Z0-9]*$"},
    "control_attributes": common.text,
    "reserved": common.boolean,
    "on_maintenance": common.boolean,
}

create = {
    "type": "object",
    "properties": {
        "host": {
            "type": "object",
            "properties": dict(_properties),
            "required": ["name", "type", "control_attributes"],
            "additionalProperties": False,
        }
    },
    "required": ["host"],
    "additionalProperties": False,
}

update = {
    "type": "object",
    "properties": {
        "host": {
            "type": "object",
            "properties": dict(_properties),
            "anyOf": [{"required": [key]} for key in _properties],
            "additionalProperties": False,
        }
    },
    "required": ["host"],
    "additionalProperties": False,
}
