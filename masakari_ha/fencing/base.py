"""The fencing driver interface the engine's fencing gate calls.

A driver answers one question with evidence: is this host confirmed powered off? Drivers
never report success before the side effect is verified; "already off" counts as fenced.
"""

import abc
import dataclasses
import enum
from typing import Callable, Optional

#: Optional callback a driver calls with one human-readable line per step it takes
#: (e.g. "hard power-off sent to MAAS machine abc123"); the engine stores them as
#: progress details of the notification.
ProgressCallback = Callable[[str], None]


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
    #: Every step taken, in order, one line each (evidence for progress details).
    steps: tuple = ()


class FencingError(Exception):
    """Base of every fencing failure; the message is fit to show an operator."""


class FencingConfigError(FencingError):
    """The driver is not configured well enough to fence anything (raised by validate())."""


class FencingDriver(abc.ABC):
    """A way to power off a compute node and confirm that it is off."""

    #: Name used in ``[fencing] driver`` and in log lines.
    name: str = ""

    #: False for a driver that cannot prove anything by itself (``noop``): the engine must
    #: then take its proof from elsewhere (the host monitor's ``host_status=NORMAL``).
    proves_fencing: bool = True

    @abc.abstractmethod
    def validate(self) -> None:
        """Check configuration and reachability before any host is fenced.

        :raises FencingConfigError: the driver cannot work as configured.
        """

    @abc.abstractmethod
    def power_off(
        self, host: str, reason: str, progress: Optional[ProgressCallback] = None
    ) -> FenceResult:
        """Power ``host`` off and verify it is off within the driver's time bound.

        :param host: the compute host name as known to Nova and masakari_ha.
        :param reason: why (e.g. the notification uuid); recorded by the power system
            where it supports comments.
        :param progress: optional callback receiving one line per step as it happens.
        :returns: a FenceResult; ``fenced`` is True only when the host was confirmed off
            (including "it was already off").
        :raises FencingError: only for failures that are not a clear answer about the host
            (the caller treats them exactly like ``fenced=False``).
        """

    @abc.abstractmethod
    def power_state(self, host: str) -> PowerState:
        """Return the host's live power state as the power system reports it now."""
