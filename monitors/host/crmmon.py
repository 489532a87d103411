"""Pure parsing of pacemaker's XML: ``crm_mon --output-as=xml`` (root ``<pacemaker-result>``),
legacy ``crm_mon -X`` (root ``<crm_mon>``) and ``stonith_admin --history --output-as=xml``.

No I/O here: the functions take XML text and return plain dataclasses, so they are tested on
real captured output (tests/unit/monitors/host, samples from a pacemaker 2.1.5 cluster).
"""

import datetime
from dataclasses import dataclass, field
from xml.etree import ElementTree

_TRUE = {"true", "yes", "on", "1", "y"}


class CrmMonError(ValueError):
    """The XML is not a usable cluster status (malformed, error status, no nodes)."""


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


@dataclass(frozen=True)
class Node:
    """One pacemaker node as crm_mon shows it."""

    name: str
    type: str                       # "member", "remote", "guest", ...
    online: bool
    unclean: bool = False
    pending: bool = False
    standby: bool = False
    maintenance: bool = False
    shutdown: bool = False
    connection_role: str | None = None   # role of a remote node's connection resource

    @property
    def is_remote(self) -> bool:
        return self.type == "remote"


@dataclass(frozen=True)
class FenceEvent:
    """One ``<fence_event>``: a fencing operation against ``target``."""

    target: str
    action: str                     # "reboot", "off", "on"
    status: str                     # "success", "pending", "failed", ...
    completed: datetime.datetime | None = None   # aware UTC; None while pending

    @property
    def powered_off(self) -> bool:
        """A finished operation that guarantees the target was powered off / reset."""
        return self.status == "success" and self.action in ("off", "reboot") \
            and self.completed is not None


@dataclass(frozen=True)
class ClusterStatus:
    """What one crm_mon sample says about the cluster."""

    dc_present: bool
    with_quorum: bool
    nodes: dict[str, Node]
    fence_events: tuple[FenceEvent, ...] = field(default_factory=tuple)

    @property
    def has_quorum(self) -> bool:
        """True only when a DC exists and says the partition has quorum."""
        return self.dc_present and self.with_quorum


def parse_time(text: str | None) -> datetime.datetime | None:
    """Parse pacemaker's ``2026-11-21 04:00:31Z`` (also with 'T', fractions or an offset)."""
    if not text:
        return None
    value = text.strip().replace("T", " ")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc)


def _root(xml_text: str | bytes) -> ElementTree.Element:
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as exc:
        raise CrmMonError(f"not XML: {exc}") from exc
    status = root.find("status")
    if root.tag == "pacemaker-result" and status is not None and status.get("code", "0") != "0":
        raise CrmMonError(f"pacemaker reported an error: code={status.get('code')} "
                          f"message={status.get('message')!r}")
    return root


def parse_fence_events(root: ElementTree.Element) -> tuple[FenceEvent, ...]:
    """Every ``fence_event`` below ``root``, in document order (pacemaker lists newest first)."""
    events = []
    for ev in root.iter("fence_event"):
        target = ev.get("target")
        if not target:
            continue
        events.append(FenceEvent(target=target, action=ev.get("action", ""),
                                 status=ev.get("status", ""),
                                 completed=parse_time(ev.get("completed"))))
    return tuple(events)


def parse_fence_history(xml_text: str | bytes) -> tuple[FenceEvent, ...]:
    """Parse ``stonith_admin --history <node> --output-as=xml``."""
    return parse_fence_events(_root(xml_text))


def parse_crm_mon(xml_text: str | bytes) -> ClusterStatus:
    """Parse one crm_mon XML sample (new or legacy format) into a :class:`ClusterStatus`."""
    root = _root(xml_text)
    if root.tag not in ("pacemaker-result", "crm_mon"):
        raise CrmMonError(f"unexpected root element <{root.tag}>")
    dc = root.find("summary/current_dc")
    dc_present = dc is not None and _bool(dc.get("present", "true")) and bool(dc.get("name"))
    with_quorum = dc is not None and _bool(dc.get("with_quorum"))

    roles: dict[str, str] = {}
    for res in root.iter("resource"):
        if (res.get("resource_agent") or "").endswith(":pacemaker:remote") and res.get("id"):
            roles[res.get("id")] = res.get("role", "")

    nodes: dict[str, Node] = {}
    nodes_el = root.find("nodes")
    for el in (nodes_el if nodes_el is not None else []):
        if el.tag != "node" or not el.get("name"):
            continue
        name = el.get("name")
        ntype = el.get("type", "member")
        nodes[name] = Node(
            name=name, type=ntype, online=_bool(el.get("online")),
            unclean=_bool(el.get("unclean")), pending=_bool(el.get("pending")),
            standby=_bool(el.get("standby")), maintenance=_bool(el.get("maintenance")),
            shutdown=_bool(el.get("shutdown")),
            connection_role=roles.get(el.get("id") or name, roles.get(name))
            if ntype == "remote" else None,
        )
    if not nodes:
        raise CrmMonError("crm_mon lists no nodes")
    return ClusterStatus(dc_present=dc_present, with_quorum=with_quorum, nodes=nodes,
                         fence_events=parse_fence_events(root))
