"""How a running recovery learns it must stop, and how it waits for Nova without sleeping blind.

Every wait polls a real condition every ``verify_interval`` up to a bound and wakes at once
when the engine stops or loses its claim, so nothing ever sleeps a fixed time.
"""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class RecoveryInterrupted(Exception):
    """The engine is stopping or lost its lease: leave the work for the next owner."""


class WaitTimeout(Exception):
    """A polled condition was not met within its bound; the message names what."""


class RunControl:
    """Shared by every task of one claimed notification.

    ``interrupt(reason)`` is called by the lease keeper (claim lost) or by the service
    (shutdown); tasks call ``check()`` between steps and ``wait_for`` while polling.
    """

    def __init__(self, notification_uuid: str, since=None, segment_uuid: str | None = None):
        self.notification_uuid = notification_uuid
        #: Nova records (evacuations) older than this belong to earlier incidents.
        self.since = since
        #: The failover segment of the notification's host (per-segment concurrency bound).
        self.segment_uuid = segment_uuid
        #: What one task read from Nova that the next task of this same run may reuse
        #: instead of reading it again (never persisted: a resumed run reads afresh).
        self.scratch: dict = {}
        #: Task names of the flow running now, in its configured order (pre, main, post):
        #: the order ``recovery_workflow_details`` lists them in.
        self.progress_order: tuple[str, ...] = ()
        #: Where progress messages go (a ProgressWriter, set by the processor); None:
        #: written at once.
        self.progress = None
        self._event = threading.Event()
        self.reason = ""

    def interrupt(self, reason: str) -> None:
        self.reason = reason
        self._event.set()

    @property
    def interrupted(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise RecoveryInterrupted(
                f"Recovery of notification {self.notification_uuid} interrupted: {self.reason}")

    def wait_for(self, probe: Callable[[], T | None], timeout: float, interval: float, what: str) -> T:
        """Call ``probe`` until it returns something other than None/False; return that.

        Exceptions marked ``retryable`` (Nova unavailable) count as "not yet"; others propagate.

        :raises WaitTimeout: not within ``timeout`` seconds (message: ``what``).
        :raises RecoveryInterrupted: the engine stopped or lost the claim meanwhile.
        """
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            self.check()
            try:
                value = probe()
            except Exception as error:
                # A transient failure (Nova 5xx, timeout: ``retryable``) is just "not yet".
                if not getattr(error, "retryable", False):
                    raise
                last_error, value = error, None
            if value is not None and value is not False:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                suffix = f" Last error: {last_error}" if last_error is not None else ""
                raise WaitTimeout(f"Timed out after {timeout:g}s waiting for {what}.{suffix}")
            self._event.wait(min(interval, remaining))
