"""MaasClient without a network: a fake requests session answers, the client maps answers."""

import json
import logging
from urllib.parse import urlsplit

import pytest
import requests

from masakari_ha.fencing import maas
from masakari_ha.fencing.base import FencingConfigError, FencingError, PowerState

KEY = maas.ApiKey.parse("consumerKEY1:tokenKEY22:tokenSECRET333")


class FakeResponse:
    def __init__(self, status, body):
        self.status_code = status
        if isinstance(body, (dict, list)) or body is None:
            self.content = json.dumps(body).encode()
        else:
            self.content = body.encode()
        self.text = self.content.decode()

    def json(self):
        return json.loads(self.content)


class FakeSession:
    """Routes (method, path, op) to scripted answers; records every request."""

    def __init__(self, routes):
        self.routes = routes
        self.requests = []
        self.verify = None

    def request(self, method, url, params=None, data=None, auth=None, timeout=None, headers=None):
        path = urlsplit(url).path
        query = dict(params or {}) if not isinstance(params, list) else dict(params)
        self.requests.append((method, path, query, data, timeout))
        answer = self.routes.get((method, path, query.get("op", "")))
        if answer is None:
            return FakeResponse(404, "Not Found")
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(*answer)

    def close(self):
        pass


BASE = "/MAAS/api/2.0/"


def _client(routes):
    session = FakeSession(routes)
    return maas.MaasClient("http://maas.test:5240/MAAS", KEY, request_timeout=7, session=session), session


def _machine(system_id="abc123", hostname="node1"):
    return {"system_id": system_id, "hostname": hostname, "power_state": "on"}


# -- key, URL, names ---------------------------------------------------------------------

def test_api_key_parses_three_parts_and_hides_them():
    assert (KEY.consumer_key, KEY.token_key, KEY.token_secret) == ("consumerKEY1", "tokenKEY22", "tokenSECRET333")
    for text in (repr(KEY), str(KEY), repr(maas.MaasClient("http://m/MAAS", KEY))):
        assert "tokenSECRET333" not in text and "tokenKEY22" not in text


@pytest.mark.parametrize("bad", ["", "a:b", "a:b:c:d", "a::c", "  "])
def test_malformed_key_is_a_config_error_that_does_not_quote_it(bad):
    with pytest.raises(maas.MaasKeyError) as info:
        maas.ApiKey.parse(bad)
    assert isinstance(info.value, FencingConfigError)
    if bad.strip():
        assert bad not in str(info.value)


def test_key_file(tmp_path):
    path = tmp_path / "key"
    path.write_text("# MAAS key\n\n  ck:tk:ts  \n")
    assert maas.ApiKey.from_file(str(path)).token_secret == "ts"
    with pytest.raises(maas.MaasKeyError, match="cannot read"):
        maas.ApiKey.from_file(str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(maas.MaasKeyError, match="empty"):
        maas.ApiKey.from_file(str(tmp_path / "empty"))


def test_scrub_removes_every_part():
    text = "token tokenKEY22 secret tokenSECRET333 consumer consumerKEY1"
    assert KEY.scrub(text) == "token *** secret *** consumer ***"


@pytest.mark.parametrize("url,expected", [
    ("http://m:5240/MAAS", "http://m:5240/MAAS/api/2.0/"),
    ("http://m:5240/MAAS/", "http://m:5240/MAAS/api/2.0/"),
    ("https://m/MAAS/api/2.0", "https://m/MAAS/api/2.0/"),
    ("https://m/MAAS/api/2.0/", "https://m/MAAS/api/2.0/"),
])
def test_api_url(url, expected):
    assert maas.api_url(url) == expected


def test_api_url_rejects_non_http():
    with pytest.raises(FencingConfigError):
        maas.api_url("maas.example:5240")


def test_short_hostname():
    assert maas.short_hostname("node1.maas.example") == "node1"
    assert maas.short_hostname(" node1 ") == "node1"
    with pytest.raises(maas.MaasNotFound):
        maas.short_hostname("")


@pytest.mark.parametrize("value,state", [("on", PowerState.ON), ("OFF", PowerState.OFF),
                                         ("error", PowerState.ERROR), ("weird", PowerState.UNKNOWN),
                                         (None, PowerState.UNKNOWN)])
def test_power_state_from(value, state):
    assert maas.power_state_from(value) is state


def test_oauth_header_is_plaintext_with_empty_consumer_secret():
    client, _ = _client({})
    prepared = client._auth(requests.Request("GET", "http://m/MAAS/api/2.0/version/").prepare())
    header = prepared.headers["Authorization"]
    header = header.decode() if isinstance(header, bytes) else header
    assert 'oauth_signature_method="PLAINTEXT"' in header
    assert 'oauth_consumer_key="consumerKEY1"' in header
    assert 'oauth_token="tokenKEY22"' in header
    assert 'oauth_signature="%26tokenSECRET333"' in header


# -- calls and error mapping -------------------------------------------------------------

def test_lookup_uses_short_name_and_caches_system_id():
    client, session = _client({
        ("GET", BASE + "machines/", ""): (200, [_machine()]),
        ("GET", BASE + "machines/abc123/", "query_power_state"): (200, {"state": "off"}),
    })
    assert client.query_power_state("node1.maas.example") is PowerState.OFF
    assert client.query_power_state("node1") is PowerState.OFF
    lookups = [r for r in session.requests if r[1] == BASE + "machines/"]
    assert len(lookups) == 1 and lookups[0][2] == {"hostname": "node1"}


def test_power_off_sends_hard_stop_and_comment_with_timeout():
    client, session = _client({
        ("GET", BASE + "machines/", ""): (200, [_machine()]),
        ("POST", BASE + "machines/abc123/", "power_off"): (200, _machine()),
    })
    client.power_off("node1", comment="masakari_ha fencing: n-1")
    method, path, query, data, timeout = session.requests[-1]
    assert (method, query, data) == ("POST", {"op": "power_off"},
                                     {"stop_mode": "hard", "comment": "masakari_ha fencing: n-1"})
    assert timeout == 7


def test_power_off_null_answer_means_no_action():
    client, _ = _client({
        ("GET", BASE + "machines/", ""): (200, [_machine()]),
        ("POST", BASE + "machines/abc123/", "power_off"): (200, None),
    })
    assert client.power_off("node1", comment="c") is None


def test_404_on_cached_id_re_resolves_hostname_once():
    client, session = _client({
        ("GET", BASE + "machines/", ""): [(200, [_machine("old111")]), (200, [_machine("new222")])],
        ("GET", BASE + "machines/old111/", "query_power_state"): (404, "No Machine matches"),
        ("GET", BASE + "machines/new222/", "query_power_state"): (200, {"state": "on"}),
    })
    assert client.query_power_state("node1") is PowerState.ON
    assert client.system_id("node1") == "new222"


def test_404_with_unchanged_id_is_not_found():
    client, _ = _client({
        ("GET", BASE + "machines/", ""): (200, [_machine()]),
        ("GET", BASE + "machines/abc123/", "query_power_state"): (404, "No Machine matches"),
    })
    with pytest.raises(maas.MaasNotFound):
        client.query_power_state("node1")


def test_no_machine_and_ambiguous_hostname():
    client, _ = _client({("GET", BASE + "machines/", ""): (200, [])})
    with pytest.raises(maas.MaasNotFound, match="no machine with hostname node1"):
        client.system_id("node1")
    client, _ = _client({("GET", BASE + "machines/", ""): (200, [_machine("a"), _machine("b")])})
    with pytest.raises(maas.MaasAmbiguousHost, match="2 machines named node1: a, b"):
        client.system_id("node1")


@pytest.mark.parametrize("status,exc,text", [
    (401, maas.MaasAuthError, "rejected the API key"),
    (403, maas.MaasAuthError, "lacks rights"),
    (409, maas.MaasConflict, "409"),
    (503, maas.MaasUnavailable, "could not reach the BMC"),
    (500, maas.MaasUnavailable, "500"),
    (400, maas.MaasProtocolError, "400"),
])
def test_status_mapping(status, exc, text):
    client, _ = _client({
        ("GET", BASE + "machines/", ""): (200, [_machine()]),
        ("POST", BASE + "machines/abc123/", "power_off"): (status, "Invalid access token: tokenKEY22"),
    })
    with pytest.raises(exc, match=text) as info:
        client.power_off("node1", comment="c")
    assert isinstance(info.value, FencingError)
    assert info.value.status == status
    assert "tokenKEY22" not in str(info.value)  # MAAS echoes the token key: scrubbed


def test_timeout_and_connection_errors():
    client, _ = _client({("GET", BASE + "version/", ""): requests.ReadTimeout("read timed out")})
    with pytest.raises(maas.MaasTimeout, match="within 7 s"):
        client.version()
    client, _ = _client({("GET", BASE + "version/", ""): requests.ConnectionError("refused")})
    with pytest.raises(maas.MaasConnectionError, match="cannot reach MAAS"):
        client.version()


def test_non_json_body_and_missing_state_are_protocol_errors():
    client, _ = _client({
        ("GET", BASE + "machines/", ""): (200, [_machine()]),
        ("GET", BASE + "machines/abc123/", "query_power_state"): [(200, "<html>"), (200, {"x": 1})],
    })
    with pytest.raises(maas.MaasProtocolError, match="not JSON"):
        client.query_power_state("node1")
    with pytest.raises(maas.MaasProtocolError, match="without a 'state'"):
        client.query_power_state("node1")


def test_query_timeout_override_is_passed():
    client, session = _client({
        ("GET", BASE + "machines/", ""): (200, [_machine()]),
        ("GET", BASE + "machines/abc123/", "query_power_state"): (200, {"state": "on"}),
    })
    client.query_power_state("node1", timeout=2.5)
    assert session.requests[-1][4] == 2.5


def test_signing_libraries_debug_logs_are_silenced(caplog):
    caplog.set_level(logging.DEBUG)
    client, _ = _client({})
    client._auth(requests.Request("GET", "http://m/MAAS/api/2.0/version/").prepare())
    assert "tokenSECRET333" not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith(("oauthlib", "requests_oauthlib"))]
