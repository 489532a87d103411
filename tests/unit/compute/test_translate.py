"""Nova/keystoneauth failures → masakari_ha.compute.exceptions."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc

from masakari_ha.compute import exceptions as exc
from masakari_ha.compute._translate import describe, translate


def nova_error(code, message="boom"):
    cls = nova_exc._code_map.get(code, nova_exc.ClientException)
    return cls(code=code, message=message)


@pytest.mark.parametrize("code,expected", [
    (400, exc.NovaBadRequest), (401, exc.NovaForbidden), (403, exc.NovaForbidden), (404, exc.NovaNotFound),
    (409, exc.NovaConflict), (500, exc.NovaUnavailable), (502, exc.NovaUnavailable), (503, exc.NovaUnavailable),
    (504, exc.NovaUnavailable), (408, exc.NovaUnavailable), (429, exc.NovaUnavailable), (405, exc.NovaError),
])
def test_status_codes(code, expected):
    error = translate(nova_error(code), "stop", instance="i-1", host="c1")
    assert type(error) is expected
    assert error.status_code == code
    assert "instance i-1" in error.message and "c1" in error.message and f"HTTP {code}" in error.message
    assert error.retryable is (expected is exc.NovaUnavailable)


def test_still_in_use_on_evacuate():
    error = translate(nova_error(400, "Compute service of compute-3 is still in use."), "evacuate",
                      instance="i-1", host="compute-3")
    assert isinstance(error, exc.ComputeServiceStillInUse) and isinstance(error, exc.NovaBadRequest)
    assert "still in use" in error.message and "i-1" in error.message


def test_force_up_refused():
    text = ("Unable to force up host compute-3 as `done` evacuation migration records remain associated "
            "with the host. Ensure the compute service has been restarted, allowing these records to move "
            "to `completed` before retrying this request.")
    error = translate(nova_error(400, text), "force up", host="compute-3")
    assert isinstance(error, exc.ForceUpRefused)
    assert error.message.startswith("Nova force up for host compute-3 failed: HTTP 400")


@pytest.mark.parametrize("error", [
    ks_exc.ConnectFailure("refused"), ks_exc.ConnectTimeout("slow"), ks_exc.SSLError("bad cert"),
    ks_exc.UnknownConnectionError("reset", OSError("x")), TimeoutError("t"), ConnectionResetError(104, "reset"),
])
def test_connection_failures_are_retryable(error):
    translated = translate(error, "list servers", host="c1")
    assert isinstance(translated, exc.NovaUnavailable) and translated.retryable
    assert translated.status_code is None and "cannot reach Nova" in translated.message
    assert translated.code == 503


def test_keystone_http_errors_use_their_status():
    assert isinstance(translate(ks_exc.Unauthorized(), "service lookup", host="c1"), exc.NovaForbidden)
    assert isinstance(translate(ks_exc.ServiceUnavailable(), "service lookup"), exc.NovaUnavailable)


def test_other_errors_are_plain_nova_errors():
    error = translate(ks_exc.EndpointNotFound("no compute endpoint"), "endpoint lookup")
    assert type(error) is exc.NovaError and not error.retryable and "no compute endpoint" in error.message


def test_nova_errors_pass_through():
    original = exc.NovaConflict("x")
    assert translate(original, "stop") is original


def test_describe():
    assert describe("evacuate", instance="i", host="h") == "evacuate of instance i on host h"
    assert describe("force down", host="h") == "force down for host h"
    assert describe("list aggregates") == "list aggregates"


def test_errors_are_masakari_errors_with_safe_api_codes():
    from masakari_ha.exception import MasakariHAError

    assert issubclass(exc.NovaError, MasakariHAError)
    assert exc.NovaNotFound("x").code == 500  # never Nova's 404 passed off as ours
    assert exc.NovaUnavailable("x").code == 503
