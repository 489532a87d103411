"""Compute API microversion negotiation (2.1–2.96), as nova.api.openstack.api_version_request."""

from __future__ import annotations

import re

from masakari_ha.simulator.nova.model import NovaError

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)
_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


def fmt(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def negotiate(headers: dict[str, str] | object) -> tuple[int, int]:
    """The version a request asked for: ``OpenStack-API-Version: compute X.Y`` wins over the
    legacy ``X-OpenStack-Nova-API-Version``; none means 2.1; ``latest`` the maximum.

    Raises NovaError 400 for a malformed version and 406 for one outside 2.1–2.96.
    """
    get = headers.get  # type: ignore[attr-defined]
    requested = None
    new_style = get("OpenStack-API-Version")
    if new_style:
        for item in new_style.split(","):
            parts = item.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == "compute":
                requested = parts[1].strip()
    if requested is None:
        requested = get("X-OpenStack-Nova-API-Version")
    if not requested:
        return MIN_VERSION
    if requested.lower() == "latest":
        return MAX_VERSION
    match = _VERSION_RE.match(requested)
    if not match:
        raise NovaError(400, f"API Version String {requested} is of invalid format. Must be of "
                             "format MajorNum.MinorNum.")
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise NovaError(406, f"Version {requested} is not supported by the API. Minimum is "
                             f"{fmt(MIN_VERSION)} and maximum is {fmt(MAX_VERSION)}.")
    return version
