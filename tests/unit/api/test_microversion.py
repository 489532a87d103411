import pytest
from werkzeug.datastructures import Headers

from masakari_ha import exception
from masakari_ha.api import microversion


def negotiate(value):
    return microversion.negotiate(Headers([("OpenStack-API-Version", value)] if value else []))


@pytest.mark.parametrize("value, expected", [(None, "1.0"), ("instance-ha 1.1", "1.1"),
                                             ("instance-ha LATEST", "1.3"),
                                             ("instance-ha  1.2 ", "1.2")])
def test_negotiate(value, expected):
    assert str(negotiate(value)) == expected


@pytest.mark.parametrize("value, error", [("instance-ha 1.4", exception.NotAcceptable),
                                          ("instance-ha 2.0", exception.NotAcceptable),
                                          ("instance-ha 1.x", exception.InvalidAPIVersion),
                                          ("instance-ha 0.1", exception.InvalidAPIVersion)])
def test_negotiate_errors(value, error):
    with pytest.raises(error) as info:
        negotiate(value)
    assert info.value.code == (406 if error is exception.NotAcceptable else 400)


def test_version_ordering():
    v12 = microversion.APIVersion(1, 2)
    assert v12.matches("1.1") and v12.matches("1.2") and not v12.matches("1.3")
    assert microversion.APIVersion(1, 10) > microversion.APIVersion(1, 9)
