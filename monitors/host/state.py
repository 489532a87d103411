"""Persistence of the host monitor's per-node records (state_path/hostmonitor/nodes.json).

Written atomically (temp file, fsync, rename) after every sample that changed something, so a
host that dies while the monitor restarts is still reported on the next start.
"""

import json
import logging
import os

from monitors.host.decision import NodeRecord

LOG = logging.getLogger(__name__)


def load(path: str) -> dict[str, NodeRecord]:
    """Records saved by a previous run; empty (with a warning) if missing or unreadable."""
    try:
        with open(path) as f:
            doc = json.load(f)
        return {name: NodeRecord.from_dict(rec) for name, rec in doc.get("nodes", {}).items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        error = str(exc)
    LOG.warning("ignoring unreadable host monitor state %s: %s", path, error)
    return {}


def save(path: str, records: dict[str, NodeRecord]) -> None:
    doc = {"nodes": {name: rec.to_dict() for name, rec in sorted(records.items())}}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
