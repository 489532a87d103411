"""Compute API microversion negotiation and what each negotiated version means (pure).

The client asks Nova for its version document once, picks the highest microversion both
sides support (capped at ``[nova] api_max_microversion``, the highest this code was
tested with) and refuses to run below :data:`MIN_MICROVERSION`. :class:`Capabilities`
turns the chosen version into the explicit behaviour switches the engine branches on,
so no caller compares version numbers itself.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import Any

from masakari_ha.compute.exceptions import NovaUnsupported


@functools.total_ordering
@dataclasses.dataclass(frozen=True)
class Microversion:
    """A ``2.N`` compute API version, ordered numerically (2.9 < 2.10)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> "Microversion":
        """Parse ``"2.53"``; raise ``ValueError`` for anything else."""
        match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", str(text))
        if not match:
            raise ValueError(f"invalid compute microversion {text!r}; expected MAJOR.MINOR")
        return cls(int(match.group(1)), int(match.group(2)))

    def __lt__(self, other: "Microversion") -> bool:
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


#: Lowest version we run at: service UUIDs in os-services, PUT by id, embedded flavors.
MIN_MICROVERSION = Microversion(2, 53)
#: Highest version this code knows the behaviour of (default cap).
MAX_TESTED_MICROVERSION = Microversion(2, 96)
#: ``forced_down`` exists from 2.11.
FORCE_DOWN_MIN = Microversion(2, 11)
#: ``PUT /os-services/{service_uuid}`` replaces the host/binary actions from 2.53.
SERVICE_BY_ID_MIN = Microversion(2, 53)
#: ``lock`` accepts ``locked_reason`` from 2.73.
LOCK_REASON_MIN = Microversion(2, 73)
#: From 2.95 an evacuated guest is left stopped at the destination.
EVACUATE_STOPPED_MIN = Microversion(2, 95)
#: The highest version at which an evacuated guest arrives in its original power state.
EVACUATE_KEEPS_POWER_STATE_MAX = Microversion(2, 94)
#: From 2.88 os-hypervisors no longer reports vcpus/memory/disk figures.
HYPERVISOR_STATS_MAX = Microversion(2, 87)


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """Behaviour switches implied by one negotiated microversion."""

    version: Microversion

    @property
    def force_down(self) -> bool:
        return self.version >= FORCE_DOWN_MIN

    @property
    def service_by_id(self) -> bool:
        return self.version >= SERVICE_BY_ID_MIN

    @property
    def lock_reason(self) -> bool:
        return self.version >= LOCK_REASON_MIN

    @property
    def evacuate_leaves_stopped(self) -> bool:
        return self.version >= EVACUATE_STOPPED_MIN

    def evacuate_version(self, keep_power_state: bool) -> Microversion:
        """Version to send an evacuate request at.

        With ``keep_power_state`` the request is capped at 2.94, where Nova starts a guest
        that was running on its new host itself (one step, no separate start); Nova added
        2.95's "arrive stopped" for clouds that cannot be sure the source host is off, which
        the engine's fencing gate has already confirmed. Without it: the negotiated version.
        """
        if keep_power_state:
            return min(self.version, EVACUATE_KEEPS_POWER_STATE_MAX)
        return self.version

    def evacuate_arrives_stopped(self, keep_power_state: bool) -> bool:
        """True when an evacuate sent at :meth:`evacuate_version` leaves the guest stopped."""
        return self.evacuate_version(keep_power_state) >= EVACUATE_STOPPED_MIN

    @property
    def hypervisor_stats_version(self) -> Microversion:
        """Version to read hypervisor capacity figures at (they vanish at 2.88)."""
        return min(self.version, HYPERVISOR_STATS_MAX)


def parse_version_document(body: Mapping[str, Any] | None) -> tuple[Microversion, Microversion] | None:
    """Return ``(min, max)`` microversions from a compute version document.

    Accepts the versioned document (``{"version": {...}}`` from ``GET /v2.1``) and the
    root list (``{"versions": [...]}`` from ``GET /``, where the ``v2.1`` entry counts).
    Returns ``None`` when the document carries no microversion range (a v2.0-only Nova).
    """
    if not isinstance(body, Mapping):
        return None
    entries: list[Any]
    if isinstance(body.get("version"), Mapping):
        entries = [body["version"]]
    elif isinstance(body.get("versions"), list):
        entries = [e for e in body["versions"] if isinstance(e, Mapping)]
        preferred = [e for e in entries if str(e.get("id", "")).startswith("v2.1")]
        entries = preferred or entries
    else:
        return None
    for entry in entries:
        max_text = entry.get("version") or entry.get("max_version")
        min_text = entry.get("min_version") or "2.1"
        if not max_text:
            continue
        try:
            return Microversion.parse(min_text), Microversion.parse(max_text)
        except ValueError:
            continue
    return None


def negotiate(
    server_min: Microversion,
    server_max: Microversion,
    client_max: Microversion = MAX_TESTED_MICROVERSION,
    client_min: Microversion = MIN_MICROVERSION,
) -> Microversion:
    """Highest version both sides support, never below ``client_min``.

    Raises :class:`NovaUnsupported` naming both ranges when they do not overlap.
    """
    chosen = min(server_max, client_max)
    if chosen < client_min or chosen < server_min:
        raise NovaUnsupported(
            f"Nova supports compute API microversions {server_min}-{server_max}, "
            f"masakari_ha needs {client_min}-{client_max}"
        )
    return chosen
