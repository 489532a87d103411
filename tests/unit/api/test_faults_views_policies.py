import datetime
import json
import types

import pytest

from masakari_ha.api import faults, policies, views
from masakari_ha.db import listing
from masakari_ha import exception


@pytest.mark.parametrize("code, name", [(400, "badRequest"), (401, "unauthorized"),
                                        (403, "forbidden"), (404, "itemNotFound"),
                                        (405, "badMethod"), (409, "conflictingRequest"),
                                        (413, "overLimit"), (415, "badMediaType"),
                                        (406, "masakariFault"), (500, "masakariFault"),
                                        (503, "serviceUnavailable")])
def test_fault_names(code, name):
    assert faults.fault_body(code, "m") == {name: {"code": code, "message": "m"}}


def test_timestamp_format():
    assert views.timestamp(datetime.datetime(2017, 4, 21, 8, 59, 53)) == "2017-04-21T08:59:53.000000"
    assert views.timestamp(None) is None


def test_notification_view_parses_payload():
    row = types.SimpleNamespace(
        id=1, created_at=datetime.datetime(2020, 1, 1), updated_at=None, deleted_at=None, deleted=0,
        notification_uuid="n", generated_time=datetime.datetime(2020, 1, 1, 0, 0, 0, 5),
        source_host_uuid="h", type="VM", payload=json.dumps({"event": "x"}), status="new",
        failover_segment_uuid="s", message=None)
    body = views.notification(row, [])
    assert body["payload"] == {"event": "x"} and body["recovery_workflow_details"] == []
    assert body["generated_time"] == "2020-01-01T00:00:00.000005" and body["deleted"] is False


def test_policy_names_match_upstream():
    names = {rule.name for rule in policies.list_rules()}
    for prefix, actions in {
        "os_masakari_api:segments": ("index", "detail", "create", "update", "delete", "discoverable"),
        "os_masakari_api:os-hosts": ("index", "detail", "create", "update", "delete", "discoverable"),
        "os_masakari_api:notifications": ("index", "detail", "create", "discoverable"),
        "os_masakari_api:vmoves": ("index", "detail", "discoverable"),
        "os_masakari_api:extensions": ("index", "detail", "discoverable"),
        "os_masakari_api:versions": ("index", "discoverable"),
    }.items():
        for action in actions:
            assert f"{prefix}:{action}" in names
    assert {"context_is_admin", "admin_or_owner", "admin_api"} <= names


def test_normalise_sort():
    assert listing.normalise_sort([], [], ("created_at", "id")) == [("created_at", "desc"),
                                                                     ("id", "desc")]
    assert listing.normalise_sort(["name", "type"], ["asc"], ("name", "type", "created_at", "id")) \
        == [("name", "asc"), ("type", "asc"), ("created_at", "asc"), ("id", "asc")]
    with pytest.raises(exception.InvalidSortKey):
        listing.normalise_sort(["secret"], [], ("name",))
    with pytest.raises(exception.Invalid):
        listing.normalise_sort(["name"], ["up"], ("name",))
    with pytest.raises(exception.Invalid):
        listing.normalise_sort(["name"], ["asc", "desc"], ("name",))
