"""Fault bodies exactly as upstream: ``{"<faultName>": {"code": N, "message": "..."}}``.

Error responses carry ``OpenStack-API-Version: instance-ha X.Y`` (upstream's quirk: the
success path says ``masakari X.Y``) once the request's version is known.
"""

import json

from flask import Response

FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}

UNEXPECTED_MESSAGE = (
    "Unexpected API Error. Please report this with the request id and the API log: {error}"
)


def fault_name(code: int) -> str:
    """The upstream fault name for an HTTP status (``masakariFault`` when unmapped)."""
    return FAULT_NAMES.get(code, "masakariFault")


def fault_body(code: int, message: str) -> dict:
    """The JSON document of a fault."""
    return {fault_name(code): {"code": code, "message": message}}


def fault_response(code: int, message: str, version=None, headers: dict | None = None) -> Response:
    """A complete fault response; ``version`` (APIVersion) adds the version headers."""
    response = Response(json.dumps(fault_body(code, message)), status=code,
                        content_type="application/json")
    if version is not None:
        response.headers["OpenStack-API-Version"] = f"instance-ha {version}"
        response.headers["Vary"] = "OpenStack-API-Version"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
