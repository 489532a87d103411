"""The sender thread: delivers spooled notifications to the API, oldest first, forever.

Detection code only calls :meth:`Notifier.submit`, which writes to the spool and returns; the
network is touched only here. Delivery is strictly in spool order (the head notification is
retried until the API answers for good), so the API sees a host's notifications in the order
they were observed. Retries use exponential backoff with full jitter, capped by the
monitor's ``api_retry_interval``; they never stop (the spool is the safety net).
"""

import logging
import random
import threading
import time
from typing import Any, Callable

from monitors.notifier import envelope
from monitors.notifier.client import Outcome, Result
from monitors.notifier.spool import Spool, SpoolEntry, SpoolFull

LOG = logging.getLogger(__name__)


def backoff_delay(failures: int, initial: float, cap: float,
                  rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform(0, min(cap, initial * 2**(failures-1)))."""
    if failures <= 0:
        return 0.0
    ceiling = min(cap, initial * (2 ** min(failures - 1, 30)))
    return ceiling * rand()


class Notifier:
    """Spool + sender thread. ``post`` is the API seam (``ApiClient.post`` in production)."""

    def __init__(self, spool: Spool, post: Callable[[dict[str, Any]], Result], *,
                 initial_delay: float = 0.5, max_delay: float = 10.0, alarm_after: int = 12,
                 on_result: Callable[[SpoolEntry, Result], None] | None = None,
                 on_submit: Callable[[dict[str, Any], bool], None] | None = None):
        self.spool = spool
        self._post = post
        self._initial = initial_delay
        self._cap = max_delay
        self._alarm_after = alarm_after
        self._on_result = on_result   # observer (metrics, benchmark); called after each attempt
        self._on_submit = on_submit   # observer (metrics): body, queued or not
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.refused = 0
        self.failures = 0          # consecutive failures of the head notification
        self.last_error: str | None = None

    # -- producer side ---------------------------------------------------------------------
    def submit(self, body: dict[str, Any]) -> bool:
        """Durably queue ``body`` for delivery; False (and an ERROR log) if the spool is full."""
        try:
            entry = self.spool.put(body)
        except SpoolFull as exc:
            entry, error = None, str(exc)
        if self._on_submit is not None:
            self._on_submit(body, entry is not None)
        if entry is None:
            LOG.error("notification NOT queued, %s: %s", error, envelope.describe(body))
            return False
        LOG.info("queued notification %s: %s", entry.entry_id, envelope.describe(body))
        self._wake.set()
        return True

    # -- consumer side ---------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="notification-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sender; undelivered notifications stay in the spool for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the spool is empty (tests, ``--once``); True if it emptied in time."""
        deadline = time.monotonic() + timeout
        while len(self.spool) and time.monotonic() < deadline:
            time.sleep(0.02)
        return not len(self.spool)

    def deliver_one(self, entry: SpoolEntry) -> Result:
        """One attempt for ``entry``; removes it from the spool when the answer is final."""
        result = self._post(entry.body)
        summary = envelope.describe(entry.body)
        if result.outcome is Outcome.ACCEPTED:
            self.spool.remove(entry)
            self.delivered += 1
            self.failures = 0
            self.last_error = None
            LOG.info("notification %s accepted by the API (HTTP %s, notification_uuid=%s): %s",
                     entry.entry_id, result.status, result.notification_uuid, summary)
        elif result.outcome is Outcome.REFUSED:
            self.spool.remove(entry)
            self.refused += 1
            self.failures = 0
            LOG.warning("notification %s refused for good by the API (HTTP %s: %s), dropped: %s",
                        entry.entry_id, result.status, result.message, summary)
        else:
            self.failures += 1
            self.last_error = f"HTTP {result.status}: {result.message}" if result.status \
                else result.message
            log = LOG.error if self.failures > self._alarm_after else LOG.warning
            log("notification %s not delivered (attempt %d, %s); will retry: %s",
                entry.entry_id, self.failures, self.last_error, summary)
        if self._on_result is not None:
            self._on_result(entry, result)
        return result

    def _run(self) -> None:
        pending = len(self.spool)
        if pending:
            LOG.info("replaying %d spooled notification(s) in observation order", pending)
        while not self._stop.is_set():
            entry = self.spool.peek()
            if entry is None:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                result = self.deliver_one(entry)
            except Exception as exc:  # a bug in the client must not kill delivery
                LOG.exception("unexpected error delivering %s", entry.entry_id)
                self.failures += 1
                self.last_error = str(exc)
                result = Result(Outcome.RETRY, None, str(exc))
            if result.outcome is Outcome.RETRY:
                self._stop.wait(backoff_delay(self.failures, self._initial, self._cap))
