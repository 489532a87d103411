"""Notification statuses and the transitions between them, as data.

Like TaskFlow's ``states.py``: the allowed transitions are a table and one function checks
them, so no code path can move a notification somewhere upstream Masakari would not.
"""

import enum


class NotificationStatus(str, enum.Enum):
    NEW = "new"
    RUNNING = "running"
    ERROR = "error"
    FAILED = "failed"
    IGNORED = "ignored"
    FINISHED = "finished"


NEW = NotificationStatus.NEW
RUNNING = NotificationStatus.RUNNING
ERROR = NotificationStatus.ERROR
FAILED = NotificationStatus.FAILED
IGNORED = NotificationStatus.IGNORED
FINISHED = NotificationStatus.FINISHED

#: (from, to) pairs. ``running -> running`` is a live engine taking over the claim of a
#: dead one (expired lease); ``error -> running`` is the one automatic retry; ``failed`` is
#: set only by the sweeps (retry exhausted or expired).
ALLOWED_TRANSITIONS = frozenset(
    {
        (NEW, RUNNING),
        (NEW, IGNORED),
        (NEW, FAILED),
        (RUNNING, RUNNING),
        (RUNNING, FINISHED),
        (RUNNING, IGNORED),
        (RUNNING, ERROR),
        (RUNNING, FAILED),
        (ERROR, RUNNING),
        (ERROR, FAILED),
    }
)

TERMINAL = frozenset({FINISHED, IGNORED, FAILED})

#: Statuses a claim may start from (with ``running`` only once its lease expired).
CLAIMABLE = frozenset({NEW, ERROR, RUNNING})

#: Statuses that expire into ``failed`` after ``notifications_expired_interval``.
EXPIRABLE = frozenset({NEW, RUNNING, ERROR})


class InvalidTransition(Exception):
    """A code path tried a status change the table does not allow."""


def check_transition(old: str, new: str) -> None:
    """Raise InvalidTransition unless ``old -> new`` is in ALLOWED_TRANSITIONS."""
    pair = (NotificationStatus(old), NotificationStatus(new))
    if pair not in ALLOWED_TRANSITIONS:
        raise InvalidTransition(f"Notification status cannot change from {old!r} to {new!r}.")


def sources_of(new: str) -> frozenset[str]:
    """All statuses from which ``new`` may be reached (used in conditional UPDATEs)."""
    target = NotificationStatus(new)
    return frozenset(old.value for old, to in ALLOWED_TRANSITIONS if to is target)
