"""Outcomes of a recovery that are not plain failures, and the status each one leads to.

Raised by tasks and gates, mapped to a notification status in one place
(:func:`status_for`), as upstream maps its Skip/Ignore/Failure exceptions.
"""

from masakari_ha.engine import status as st


class RecoveryOutcome(Exception):
    """Base: ``status`` is where the notification goes; the message is shown to operators."""

    status = st.ERROR


class SkipRecovery(RecoveryOutcome):
    """Nothing to do (no instance to evacuate, instance not HA-enabled, not nova-compute)."""

    status = st.FINISHED


class IgnoreRecovery(RecoveryOutcome):
    """The event is not one a flow handles, or handling it would be wrong (paused guest)."""

    status = st.IGNORED


class RecoveryFailure(RecoveryOutcome):
    """The recovery could not complete; the notification goes to ``error`` (one retry)."""

    status = st.ERROR


class GateClosed(RecoveryFailure):
    """A safety gate (fencing, mass failure) refused to let the recovery evacuate."""


class ReservedHostsUnavailable(RecoveryFailure):
    """reserved_host recovery without any usable reserved host in the segment."""


def status_for(error: BaseException) -> st.NotificationStatus:
    """The status a notification ends in when its flow raised ``error``."""
    if isinstance(error, RecoveryOutcome):
        return error.status
    return st.ERROR
