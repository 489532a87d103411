"""Reloading the engine's configuration on SIGHUP, without a restart.

``masakari-ha-engine`` re-reads its configuration files when it receives SIGHUP
(oslo.config's ``mutate_config_files``). Only options marked *mutable* change: the timings
and polling intervals, the concurrency bounds and the ``[host_failure]`` choices, all of
which the engine reads when it uses them, so the next wait, the next evacuation slot and
the next notification see the new value; evacuations waiting for a slot re-read their
bound at once. Options fixed at start (``[engine] host``, ``workers``, ``lease_duration``,
``[database]``, ``[nova]``, the flows' task lists) keep their value, and oslo.config
warns that a restart is needed for them.
"""

from __future__ import annotations

import logging
from typing import Any

from masakari_ha.engine import limits

LOG = logging.getLogger(__name__)


def describe(changes: dict[tuple[str | None, str], tuple[Any, Any]]) -> list[str]:
    """``[group] name: old -> new`` for each changed option, sorted (pure).

    Values are as the files spell them; ``(default)`` where a file did not set the option.
    """
    def show(value: Any) -> str:
        return "(default)" if value is None else str(value)

    return sorted(f"[{group or 'DEFAULT'}] {name}: {show(old)} -> {show(new)}"
                  for (group, name), (old, new) in changes.items())


def reload_config(conf, owner: str = "") -> list[str]:
    """Re-read the configuration files; return (and log) what changed.

    A file that cannot be parsed any more leaves every value as it was and is logged as
    an error: the engine keeps running with its previous configuration.
    """
    try:
        changes = conf.mutate_config_files()
    except Exception as error:  # oslo.config raises parse errors of several types
        LOG.error("Engine %s: configuration reload failed, previous values kept: %s", owner, error)
        return []
    described = describe(changes)
    if described:
        LOG.info("Engine %s: configuration reloaded; changed: %s", owner, "; ".join(described))
    else:
        LOG.info("Engine %s: configuration reloaded; no mutable option changed", owner)
    limits.wake_all()
    return described
