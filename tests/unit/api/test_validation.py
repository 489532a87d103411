import datetime

import pytest

from masakari_ha import exception
from masakari_ha.api import validation
from masakari_ha.api.schemas import common, hosts, notifications, segments


@pytest.mark.parametrize("text, expected", [
    ("2017-04-24 08:34:46", datetime.datetime(2017, 4, 24, 8, 34, 46)),
    ("2017-04-23T07:18:51.523726", datetime.datetime(2017, 4, 23, 7, 18, 51, 523726)),
    ("2017-04-23T09:18:51+02:00", datetime.datetime(2017, 4, 23, 7, 18, 51)),
    ("2017-04-23T07:18:51Z", datetime.datetime(2017, 4, 23, 7, 18, 51)),
])
def test_parse_timestamp(text, expected):
    assert validation.parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "2017-13-01T00:00:00", "2017-04-23 25:00"])
def test_parse_timestamp_rejects(text):
    with pytest.raises(ValueError):
        validation.parse_timestamp(text)


def test_validate_names_the_field():
    with pytest.raises(exception.Invalid) as info:
        validation.validate(segments.create, {"segment": {"name": "x", "recovery_method": "auto",
                                                          "service_type": 3}})
    assert info.value.code == 400
    assert "segment/service_type" in info.value.message


def test_validate_prefix_and_format_cause():
    with pytest.raises(exception.Invalid) as info:
        validation.validate(notifications.payloads["VM"], {
            "instance_uuid": "nope", "vir_domain_event": "x", "event": "y"},
            prefix="notification/payload")
    assert "notification/payload/instance_uuid" in info.value.message


def test_update_needs_one_field():
    with pytest.raises(exception.Invalid) as info:
        validation.validate(hosts.update, {"host": {}})
    assert "at least one of name, type" in info.value.message


def test_to_bool():
    assert all(common.to_bool(v) for v in common.TRUE_STRINGS + (True,))
    assert not any(common.to_bool(v) for v in common.FALSE_STRINGS + (False,))


@pytest.mark.parametrize("raw, content_type, error", [
    (b"\xff", "application/json", exception.Invalid),
    (b"{", "application/json", exception.Invalid),
    (b'{"a": Infinity}', "application/json", exception.Invalid),
    (b"{}", "text/plain", validation.UnsupportedMediaType),
])
def test_parse_json_body_errors(raw, content_type, error):
    with pytest.raises(error):
        validation.parse_json_body(raw, content_type)


def test_parse_json_body_ok():
    assert validation.parse_json_body(b'{"a": 1}', "application/json; charset=utf-8") == {"a": 1}
    assert validation.parse_json_body(b'{"a": 1}', None) == {"a": 1}
    assert validation.parse_json_body(b"", "text/plain") is None


@pytest.mark.parametrize("value, expected", [("true", True), ("Yes", True), ("1", True),
                                             ("off", False), ("NO", False), ("0", False)])
def test_query_bool(value, expected):
    assert validation.query_bool("reserved", value) is expected


def test_query_bool_and_int_errors_name_the_parameter():
    with pytest.raises(exception.Invalid, match="reserved"):
        validation.query_bool("reserved", "maybe")
    with pytest.raises(exception.Invalid, match="limit"):
        validation.query_int("limit", "-3")
