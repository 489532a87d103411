"""Fault messages follow Accept-Language: oslo.i18n lazy messages translated at render time.

A German test catalog (``de/LC_MESSAGES/masakari_ha.mo``, written here in GNU MO format)
is put in a temporary directory named by ``$MASAKARI_HA_LOCALEDIR``, exactly where
oslo.i18n looks for the ``masakari_ha`` domain's catalogs.
"""

import struct

import pytest
from oslo_i18n import _gettextutils

from masakari_ha.api import i18n
from masakari_ha.conf import CONF

GERMAN = {
    "The resource could not be found.": "Die Ressource wurde nicht gefunden.",
    "Host with name %(host_name)s could not be found.":
        "Host mit dem Namen %(host_name)s wurde nicht gefunden.",
    "Method %(method)s is not allowed for %(path)s.":
        "Methode %(method)s ist für %(path)s nicht erlaubt.",
    "No failover segment with id %(id)s.": "Kein Failover-Segment mit der ID %(id)s.",
}


def write_mo(path, translations: dict) -> None:
    """A GNU gettext MO file (little endian, no hash table) with a UTF-8 header entry."""
    entries = {"": "Content-Type: text/plain; charset=UTF-8\n", **translations}
    keys = sorted(entries)
    ids = [key.encode() for key in keys]
    strs = [entries[key].encode() for key in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + 8 * count
    data = strs_table + 8 * count
    offsets, blob = [], b""
    for item in ids + strs:
        offsets.append((len(item), data + len(blob)))
        blob += item + b"\0"
    output = struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, 0)
    for length, offset in offsets:
        output += struct.pack("<2I", length, offset)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(output + blob)


@pytest.fixture
def german_catalog(tmp_path, monkeypatch):
    localedir = tmp_path / "locale"
    write_mo(localedir / "de" / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo", GERMAN)
    monkeypatch.setenv("MASAKARI_HA_LOCALEDIR", str(localedir))
    # oslo.i18n caches the languages of a domain for the process: start this test fresh
    monkeypatch.setattr(_gettextutils, "_AVAILABLE_LANGUAGES", {})
    return localedir


def message(response, fault):
    return response.json[fault]["message"]


def test_catalog_is_discovered(german_catalog):
    assert "de" in i18n.available_languages()


def test_not_found_fault_in_german(german_catalog, api):
    response = api.get("/v1/segments/00000000-0000-0000-0000-000000000000",
                       headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert response.status_code == 404
    assert message(response, "itemNotFound") == (
        "Kein Failover-Segment mit der ID 00000000-0000-0000-0000-000000000000.")


def test_formatted_exception_message_keeps_its_values(german_catalog, api):
    response = api.post("/v1/notifications", headers={"Accept-Language": "de"}, json={
        "notification": {"type": "COMPUTE_HOST", "hostname": "compute-7",
                         "generated_time": "2026-11-21T10:00:00",
                         "payload": {"event": "STOPPED", "host_status": "NORMAL",
                                     "cluster_status": "OFFLINE"}}})
    assert response.status_code == 400
    assert message(response, "badRequest") == "Host mit dem Namen compute-7 wurde nicht gefunden."


def test_http_error_messages_are_translated(german_catalog, api):
    unknown = api.get("/v1/nothing-here", headers={"Accept-Language": "de"})
    assert unknown.status_code == 404
    assert message(unknown, "itemNotFound") == "Die Ressource wurde nicht gefunden."
    wrong_method = api.put("/v1/notifications", json={}, headers={"Accept-Language": "de"})
    assert wrong_method.status_code == 405
    assert message(wrong_method, "badMethod") == (
        "Methode PUT ist für /v1/notifications nicht erlaubt.")


@pytest.mark.parametrize("accept", [None, "en", "en-US,de;q=0.1", "fr", "*;q=0"])
def test_english_unless_a_catalog_matches(german_catalog, api, accept):
    headers = {"Accept-Language": accept} if accept else {}
    response = api.get("/v1/segments/00000000-0000-0000-0000-000000000001", headers=headers)
    assert message(response, "itemNotFound") == (
        "No failover segment with id 00000000-0000-0000-0000-000000000001.")


def test_preference_order_picks_the_available_language(german_catalog, api):
    response = api.get("/v1/nothing-here", headers={"Accept-Language": "fr;q=0.9, de;q=0.5"})
    assert message(response, "itemNotFound") == "Die Ressource wurde nicht gefunden."


def test_untranslated_message_falls_back_to_english(german_catalog, api):
    CONF.set_override("osapi_max_limit", 5)
    response = api.get("/v1/segments?sort_key=bogus", headers={"Accept-Language": "de"})
    assert response.status_code == 400
    assert message(response, "badRequest") == "Sort key supplied is invalid: bogus"


def test_success_responses_are_unaffected(german_catalog, api):
    response = api.get("/v1/segments", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert response.json == {"segments": []}
