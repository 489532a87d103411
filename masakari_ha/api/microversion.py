"""Microversion negotiation (``OpenStack-API-Version: instance-ha X.Y``).

Absent → 1.0 (upstream's default is the minimum); ``latest`` → 1.3; a malformed value →
400; a well-formed value outside 1.0–1.3 → 406. Pure functions; the Flask hooks that use
them live in :mod:`masakari_ha.api.app`.
"""

import re
from typing import NamedTuple

import microversion_parse

from masakari_ha import exception

SERVICE_TYPE = "instance-ha"
HEADER = "OpenStack-API-Version"
_FORMAT = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


class APIVersion(NamedTuple):
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def matches(self, minimum: "APIVersion | str") -> bool:
        """True when this version is at least ``minimum``."""
        if isinstance(minimum, str):
            minimum = parse_version_string(minimum)
        return self >= minimum


MIN_VERSION = APIVersion(1, 0)
MAX_VERSION = APIVersion(1, 3)

# What each microversion added (also shown in docs and tests).
HISTORY = {
    "1.0": "Initial version: segments, hosts, notifications, versions, extensions.",
    "1.1": "GET /notifications/{id} returns recovery_workflow_details.",
    "1.2": "Failover segment 'enabled' field and list filter.",
    "1.3": "VMoves: GET /notifications/{id}/vmoves[/{vmove_id}].",
}


def parse_version_string(text: str) -> APIVersion:
    """``"1.2"`` → APIVersion(1, 2); InvalidAPIVersion (400) when malformed."""
    match = _FORMAT.match(text.strip())
    if not match:
        raise exception.InvalidAPIVersion(version=text)
    return APIVersion(int(match.group(1)), int(match.group(2)))


def negotiate(headers) -> APIVersion:
    """The version a request asks for, validated against the supported range.

    ``headers`` is any mapping with case-insensitive ``get`` (werkzeug Headers).
    """
    try:
        requested = microversion_parse.get_version(headers, service_type=SERVICE_TYPE)
    except (TypeError, ValueError) as error:
        raise exception.InvalidAPIVersion(version=str(headers.get(HEADER))) from error
    if requested is None:
        return MIN_VERSION
    requested = requested.strip()
    if requested.lower() == "latest":
        return MAX_VERSION
    version = parse_version_string(requested)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise exception.NotAcceptable(version=requested, min_ver=MIN_VERSION, max_ver=MAX_VERSION)
    return version
