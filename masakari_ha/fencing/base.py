"""The fencing driver interface the engine's fencing gate calls.

A driver answers one question with evidence: is this host confirmed powered off? Drivers
never report success before the side effect is verified; "already off" counts as fenced.
"""

import abc
import dataclasses
import enum


class PowerState(str, enum.Enum):
    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"
    ERROR = "error"


@dataclasses.dataclass(frozen=True)
class FenceResult:
    """Outcome of one fencing attempt, kept as evidence in progress details and logs.

    ``fenced`` is True only when the host was confirmed off; ``reason`` says why not
    otherwise (shown to operators on the notification), ``detail`` says how it was proven.
    """

    host: str
    fenced: bool
    power_state: PowerState
    reason: str = ""
    detail: str = ""


class FencingError(Exception):
    """Base of every fencing failure; the message is fit to show an operator."""


class FencingConfigError(FencingError):
    """The driver is not configured well enough to fence anything (raised by validate())."""


class FencingDriver(abc.ABC):
    """A way to power off a compute node and confirm that it is off."""

    #: Name used in ``[fencing] driver`` and in log lines.
    name: str = ""

    @abc.abstractmethod
    def validate(self) -> None:
        """Check configuration and reachability before any host is fenced.

        :raises FencingConfigError: the driver cannot work as configured.
        """

    @abc.abstractmethod
    def power_off(self, host: str, reason: str) -> FenceResult:
        """Power ``host`` off and verify it is off within the driver's time bound.

        :param host: the compute host name as known to Nova and masakari_ha.
        :param reason: why (e.g. the notification uuid); recorded by the power system
            where it supports comments.
        :returns: a FenceResult; ``fenced`` is True only when the host was confirmed off
            (including "it was already off").
        :raises FencingError: only for failures that are not a clear answer about the host
            (the caller treats them exactly like ``fenced=False``).
        """

    @abc.abstractmethod
    def power_state(self, host: str) -> PowerState:
        """Return the host's live power state as the power system reports it now."""
