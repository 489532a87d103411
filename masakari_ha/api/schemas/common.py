"""Parameter types shared by the request schemas (upstream's ``parameter_types``)."""

TRUE_STRINGS = ("True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes")
FALSE_STRINGS = ("False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no")

# Body booleans accept real booleans and upstream's boolean-ish strings.
boolean = {
    "type": ["boolean", "string"],
    "enum": [True, False, *TRUE_STRINGS, *FALSE_STRINGS],
}

# 1..255 printable characters, no leading/trailing whitespace.
name = {"type": "string", "minLength": 1, "maxLength": 255, "format": "name"}

# Printable text where newlines are allowed (upstream LP#1776385).
description = {"type": ["string", "null"], "format": "printable_text"}

text = {"type": "string", "format": "printable_text"}


def to_bool(value) -> bool:
    """Convert a value accepted by ``boolean`` to a bool."""
    if isinstance(value, bool):
        return value
    return value in TRUE_STRINGS
