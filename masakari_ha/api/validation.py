"""Turning request bodies and query strings into validated Python values.

Every failure is an ``exception.Invalid`` (400) whose message names the field, so bad
input never reaches the database or produces a 500.
"""

import datetime
import json
import uuid

import jsonschema
from jsonschema import Draft4Validator, FormatChecker

from masakari_ha import exception

_format_checker = FormatChecker(formats=())


@_format_checker.checks("name", raises=ValueError)
def _is_name(value) -> bool:
    if not isinstance(value, str):
        return True
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if not value.isprintable():
        raise ValueError("must contain printable characters only")
    return True


@_format_checker.checks("printable_text", raises=ValueError)
def _is_printable_text(value) -> bool:
    if not isinstance(value, str):
        return True
    if not all(char.isprintable() or char in "\n\r\t" for char in value):
        raise ValueError("must contain printable characters only")
    return True


@_format_checker.checks("uuid", raises=ValueError)
def _is_uuid(value) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


@_format_checker.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if isinstance(value, str):
        parse_timestamp(value)
    return True


def parse_timestamp(text: str) -> datetime.datetime:
    """ISO 8601 (``T`` or space separator, optional fraction and offset) → naive UTC.

    Raises ValueError for anything else.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is not an ISO 8601 date-time")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return parsed


_validators: dict[int, Draft4Validator] = {}


def _validator(schema: dict) -> Draft4Validator:
    """One compiled validator per (module-level, never mutated) schema."""
    validator = _validators.get(id(schema))
    if validator is None or validator.schema is not schema:
        validator = Draft4Validator(schema, format_checker=_format_checker)
        _validators[id(schema)] = validator
    return validator


def _field_path(error: jsonschema.ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def validate(schema: dict, body, prefix: str = "") -> None:
    """Validate ``body`` against ``schema``; Invalid (400) naming the field otherwise.

    ``prefix`` is prepended to field paths when ``body`` is a part of the request body.
    """
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: (len(e.absolute_path), e.path))
    if not errors:
        return
    error = errors[-1] if errors[-1].absolute_path else errors[0]
    path = "/".join(part for part in (prefix, _field_path(error)) if part)
    if error.validator == "format" and error.cause is not None:
        detail = f"'{error.instance}' is not a valid {error.validator_value}: {error.cause}"
    elif error.validator == "anyOf" and error.validator_value and "required" in error.validator_value[0]:
        names = ", ".join(option["required"][0] for option in error.validator_value)
        detail = f"at least one of {names} must be given"
    else:
        detail = error.message
    if path:
        message = (f"Invalid input for field/attribute {path}. Value: {_short(error.instance)}. "
                   f"{detail}")
    else:
        message = f"Invalid input: {detail}"
    raise exception.Invalid(message=message)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(raw: bytes, content_type: str | None):
    """Decode a request body: UTF-8 JSON, anything else → 400 / 415."""
    if not raw:
        return None
    media = (content_type or "application/json").split(";")[0].strip().lower()
    if media not in ("application/json", "application/vnd.openstack.masakari+json") and not media.endswith("+json"):
        raise UnsupportedMediaType(media)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise exception.Invalid(
            message=f"Request body is not valid UTF-8 (byte {error.start}): send UTF-8 encoded JSON."
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise exception.Invalid(message="Malformed request body: JSON nested too deeply.") from None
    except ValueError as error:
        raise exception.Invalid(message=f"Malformed request body: {error}") from None


class UnsupportedMediaType(exception.MasakariHAError):
    code = 415
    msg_fmt = "Unsupported Content-Type %(media)s: send application/json."

    def __init__(self, media: str):
        super().__init__(media=media)


# ---- query strings ---------------------------------------------------------------

_BOOL_QUERY = {"true": True, "yes": True, "1": True, "on": True, "t": True, "y": True,
               "false": False, "no": False, "0": False, "off": False, "f": False, "n": False}


def query_bool(name: str, value: str) -> bool:
    """Strict boolean query value (true/false/yes/no/1/0/on/off); 400 otherwise."""
    try:
        return _BOOL_QUERY[value.strip().lower()]
    except KeyError:
        raise exception.Invalid(message=f"Invalid value for {name}: {value!r}. "
                                "Use true or false.") from None


def query_int(name: str, value: str, minimum: int = 0) -> int:
    """Integer query value ≥ ``minimum``; 400 naming the parameter otherwise."""
    try:
        number = int(value.strip())
    except (ValueError, AttributeError):
        raise exception.Invalid(message=f"{name} param must be an integer, got {value!r}") from None
    if number < minimum:
        raise exception.Invalid(message=f"{name} param must be >= {minimum}, got {number}")
    return number
