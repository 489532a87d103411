"""limit / marker / sort_key / sort_dir on every collection."""

import pytest

from masakari_ha.conf import CONF


@pytest.fixture
def segments(api):
    # Names chosen so name order differs from creation order.
    names = ["delta", "alpha", "echo", "charlie", "bravo", "foxtrot", "golf"]
    return [api.segment(name=name, description=None if i % 2 else f"d{i % 3}")
            for i, name in enumerate(names)]


def _names(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["name"] for s in response.json["segments"]]


def test_default_order_is_created_at_desc_then_id(api, segments):
    assert _names(api.get("/v1/segments")) == [s["name"] for s in reversed(segments)]


def test_sort_by_name_both_directions(api, segments):
    expected = sorted(s["name"] for s in segments)
    assert _names(api.get("/v1/segments?sort_key=name&sort_dir=asc")) == expected
    assert _names(api.get("/v1/segments?sort_key=name&sort_dir=desc")) == expected[::-1]
    assert _names(api.get("/v1/segments?sort_key=name")) == expected[::-1]


def test_limit_and_cap(api, segments):
    assert len(_names(api.get("/v1/segments?limit=3"))) == 3
    assert _names(api.get("/v1/segments?limit=0")) == []
    CONF.set_override("osapi_max_limit", 2)
    assert len(_names(api.get("/v1/segments"))) == 2
    assert len(_names(api.get("/v1/segments?limit=100"))) == 2


@pytest.mark.parametrize("marker_field", ["id", "uuid"])
@pytest.mark.parametrize("query", [
    "sort_key=name&sort_dir=asc",
    "sort_key=name&sort_dir=desc",
    "",
    "sort_key=description&sort_dir=asc",
    "sort_key=description&sort_dir=desc",
    "sort_key=description&sort_key=name&sort_dir=asc&sort_dir=desc",
])
def test_pages_by_marker_cover_everything_once(api, segments, marker_field, query):
    everything = api.get(f"/v1/segments?{query}").json["segments"]
    assert len(everything) == len(segments)
    seen = []
    marker = None
    while True:
        suffix = f"&marker={marker}" if marker is not None else ""
        page = api.get(f"/v1/segments?limit=2&{query}{suffix}").json["segments"]
        if not page:
            break
        seen.extend(page)
        marker = page[-1][marker_field]
    assert [s["uuid"] for s in seen] == [s["uuid"] for s in everything]


def test_marker_of_deleted_row_is_400(api, segments):
    victim = segments[0]
    api.delete(f"/v1/segments/{victim['uuid']}")
    for marker in (victim["uuid"], victim["id"]):
        response = api.get(f"/v1/segments?marker={marker}")
        assert response.status_code == 400
        assert str(marker) in response.json["badRequest"]["message"]


def test_hosts_notifications_and_vmoves_paginate_by_uuid_and_id(api):
    segment = api.segment()
    hosts = [api.host(segment["uuid"], name=f"h{i}") for i in range(5)]
    page = api.get(f"/v1/segments/{segment['uuid']}/hosts?sort_key=name&sort_dir=asc&limit=2"
                   f"&marker={hosts[1]['uuid']}").json["hosts"]
    assert [h["name"] for h in page] == ["h2", "h3"]
    page = api.get(f"/v1/segments/{segment['uuid']}/hosts?sort_key=name&sort_dir=asc"
                   f"&marker={hosts[3]['id']}").json["hosts"]
    assert [h["name"] for h in page] == ["h4"]
    notes = [api.notify(f"h{i}", generated_time=f"2026-11-21T10:0{i}:00") for i in range(4)]
    page = api.get("/v1/notifications?sort_key=generated_time&sort_dir=asc"
                   f"&marker={notes[1]['notification_uuid']}").json["notifications"]
    assert [n["notification_uuid"] for n in page] == [n["notification_uuid"] for n in notes[2:]]
    page = api.get("/v1/notifications?sort_key=generated_time&sort_dir=desc"
                   f"&marker={notes[2]['id']}").json["notifications"]
    assert [n["notification_uuid"] for n in page] == [notes[1]["notification_uuid"],
                                                       notes[0]["notification_uuid"]]
