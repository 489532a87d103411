"""Pacemaker's fencing history as data, and the decision "does it prove this host is off?".

Pure functions, no I/O. Input is the XML of ``stonith_admin --history '*' --verbose
--output-as=xml`` or ``crm_mon --output-as=xml`` (both contain ``<fence_event>`` elements
with ``action``, ``target``, ``status`` = success|failed|pending, ``delegate``, ``origin``,
``completed`` and, for failures, ``exit-reason``).
"""

from __future__ import annotations

import dataclasses
import datetime
import xml.etree.ElementTree as ET
from typing import Iterable, Optional

#: Fencing actions after which the target was (at least once) powered off.
PROVING_ACTIONS = ("off", "reboot")

_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%SZ",
    "%a %b %d %H:%M:%S %Y",
)


class HistoryParseError(ValueError):
    """The text is not XML this module understands."""


@dataclasses.dataclass(frozen=True)
class FenceEvent:
    """One ``<fence_event>``: a fencing operation pacemaker ran or is running."""

    action: str
    target: str
    status: str
    completed: Optional[float] = None  # epoch seconds, None while pending
    delegate: str = ""
    origin: str = ""
    client: str = ""
    exit_reason: str = ""

    def describe(self) -> str:
        when = (datetime.datetime.fromtimestamp(self.completed, datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M:%SZ") if self.completed is not None else "not completed")
        by = f" by {self.delegate}" if self.delegate else ""
        why = f" ({self.exit_reason})" if self.exit_reason else ""
        return f"{self.action} of {self.target} {self.status}{why}{by}, {when}"


def parse_time(text: str) -> Optional[float]:
    """Epoch seconds of a pacemaker timestamp (``2026-11-21 04:00:31Z`` and older forms)."""
    text = (text or "").strip()
    if not text:
        return None
    for fmt in _TIME_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            if fmt.endswith("Z"):
                parsed = parsed.replace(tzinfo=datetime.timezone.utc)
            else:
                return parsed.timestamp()  # ctime form: local time of the cluster node
        return parsed.timestamp()
    if text.isdigit():
        return float(text)
    return None


def parse_history(xml_text: str) -> list:
    """All ``<fence_event>`` elements of the document, in document order.

    :raises HistoryParseError: the text is not well-formed XML.
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise HistoryParseError(f"fencing history is not valid XML: {exc}") from None
    events = []
    for element in root.iter("fence_event"):
        attrs = element.attrib
        events.append(FenceEvent(
            action=attrs.get("action", ""),
            target=attrs.get("target", ""),
            status=attrs.get("status", ""),
            completed=parse_time(attrs.get("completed", "")),
            delegate=attrs.get("delegate", ""),
            origin=attrs.get("origin", ""),
            client=attrs.get("client", ""),
            exit_reason=attrs.get("exit-reason", attrs.get("exit_reason", "")),
        ))
    return events


def same_node(a: str, b: str) -> bool:
    """Pacemaker node names and Nova host names may differ by domain: compare short names."""
    return bool(a and b) and a.split(".", 1)[0].lower() == b.split(".", 1)[0].lower()


def for_target(events: Iterable[FenceEvent], host: str) -> list:
    """The events about ``host``, oldest completed first, pending ones last."""
    mine = [e for e in events if same_node(e.target, host)]
    return sorted(mine, key=lambda e: (e.completed is None, e.completed or 0.0))


def proof(events: Iterable[FenceEvent], host: str, now: float, max_age: float) -> Optional[FenceEvent]:
    """The newest successful off/reboot of ``host`` completed within ``max_age`` seconds.

    None means pacemaker's history does not (yet) prove that the host was powered off.
    """
    best = None
    for event in for_target(events, host):
        if (event.status == "success" and event.action in PROVING_ACTIONS
                and event.completed is not None and 0 <= now - event.completed <= max_age + 1):
            best = event
    return best


def summary(events: Iterable[FenceEvent], host: str) -> str:
    """One line saying what the history shows about ``host`` (for failure reasons)."""
    mine = for_target(events, host)
    if not mine:
        return f"pacemaker's fencing history has no entry for {host}"
    latest = mine[-1]
    return f"latest fencing of {host} in pacemaker's history: {latest.describe()}"
