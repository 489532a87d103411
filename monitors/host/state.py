"""Persistence of the host monitor's per-node records (state_path/hostmonitor/nodes.json).

Written atomically (:func:`monitors.statefile.write_json`) after every sample, so a host
that dies while the monitor restarts is still reported on the next start.
"""

import logging

from monitors import statefile
from monitors.host.decision import NodeRecord

LOG = logging.getLogger(__name__)


def load(path: str) -> dict[str, NodeRecord]:
    """Records saved by a previous run; empty (with a warning) if missing or unreadable."""
    doc = statefile.read_json(path, {})
    try:
        return {name: NodeRecord.from_dict(rec) for name, rec in doc.get("nodes", {}).items()}
    except (TypeError, AttributeError) as exc:
        error = str(exc)
    LOG.warning("ignoring unreadable host monitor state %s: %s", path, error)
    return {}


def save(path: str, records: dict[str, NodeRecord]) -> None:
    doc = {"nodes": {name: rec.to_dict() for name, rec in sorted(records.items())}}
    statefile.write_json(path, doc)
