"""Processing one notification: claim it, keep its lease, run its flow, record the outcome."""

import datetime
import logging
import threading
import time

from masakari_ha import metrics
from masakari_ha.db import claims
from masakari_ha.engine import errors
from masakari_ha.engine import status as st
from masakari_ha.engine.control import RecoveryInterrupted, RunControl
from masakari_ha.engine.flows import host_failure, instance_failure, process_failure
from masakari_ha.engine.nova_retry import RetryingNova
from masakari_ha.engine.progress_writer import ProgressWriter

LOG = logging.getLogger(__name__)

SEGMENT_DISABLED = "Recovery aboart: the segment HA is disabled."
#: Nova's clock, the monitors' and ours may differ: evacuation records this much older than
#: the notification (generated or stored, whichever is earlier) still count as this incident's.
CLOCK_SLACK = datetime.timedelta(minutes=5)


class Processor:
    """Runs claimed notifications; one instance per engine, shared by its worker threads.

    :param owner: this engine's owner id, written on every claim.
    :param nova_factory: returns the Nova client (called once per notification).
    :param fencing_driver: the configured :class:`FencingDriver`.
    """

    def __init__(self, owner: str, lease_seconds: int, nova_factory, fencing_driver, context):
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.nova_factory = nova_factory
        self.fencing_driver = fencing_driver
        self.context = context
        self._lock = threading.Lock()
        self._running: dict[str, RunControl] = {}

    # -- the lease keeper and the service use these --------------------------------------

    def running(self) -> dict[str, RunControl]:
        with self._lock:
            return dict(self._running)

    def interrupt_all(self, reason: str) -> None:
        for control in self.running().values():
            control.interrupt(reason)

    # -- one notification -----------------------------------------------------------------

    def process(self, notification_uuid: str) -> str | None:
        """Claim and run ``notification_uuid``; return its final status (None: not claimed)."""
        try:
            claim = claims.claim(notification_uuid, self.owner, self.lease_seconds)
        except claims.ClaimRefused as refused:
            LOG.debug("Notification %s not claimed: %s", notification_uuid, refused.reason)
            return None
        received = min(t for t in (claim.generated_time, claim.created_at) if t is not None)
        control = RunControl(notification_uuid, since=received - CLOCK_SLACK, segment_uuid=claim.segment_uuid)
        control.progress = ProgressWriter(notification_uuid)
        with self._lock:
            self._running[notification_uuid] = control
        try:
            return self._run(claim, control)
        finally:
            control.progress.close()
            with self._lock:
                self._running.pop(notification_uuid, None)

    def _run(self, claim: claims.Claim, control: RunControl) -> str | None:
        uuid = claim.notification_uuid
        started = time.monotonic()
        LOG.info("Processing notification %s of type: %s", uuid, claim.type)
        if claim.previous_status == st.RUNNING:
            LOG.info("Notification %s: resuming the recovery its previous engine left (lease expired)", uuid)
            metrics.record_lease_taken_over()
        status, message = st.FINISHED, None
        try:
            if not claim.segment_enabled:
                raise errors.IgnoreRecovery(SEGMENT_DISABLED)
            if claim.host_name is None:
                raise errors.IgnoreRecovery(f"Host {claim.source_host_uuid} of the notification no "
                                            f"longer exists.")
            self._dispatch(claim, control)
        except RecoveryInterrupted as interrupted:
            LOG.warning("Notification %s: %s; its lease is released for another engine", uuid, interrupted)
            control.progress.close()
            claims.release(uuid, self.owner)
            return None
        except errors.RecoveryOutcome as outcome:
            status, message = errors.status_for(outcome), str(outcome)
        except Exception as error:  # a task failed: the notification goes to error (one retry)
            LOG.exception("Notification %s: recovery failed", uuid)
            status, message = st.ERROR, f"{type(error).__name__}: {error}"
        final = st.NotificationStatus(status).value
        control.progress.close()  # the progress is complete before the final status shows
        # Conditional on still owning the claim: after a takeover the new owner decides.
        if not claims.finish(uuid, self.owner, final, message):
            LOG.warning("Notification %s: claim lost before recording status %s", uuid, final)
            return None
        metrics.record_recovery(claim.type, final, time.monotonic() - started)
        if message:
            LOG.info("Notification %s, host %s: %s", uuid, claim.host_name, message)
        LOG.info("Notification %s exits with status: %s.", uuid, final)
        return final

    def _dispatch(self, claim: claims.Claim, control: RunControl) -> None:
        nova = RetryingNova(self.nova_factory(), control)
        if claim.type == "COMPUTE_HOST":
            host_failure.run(claim, nova, control, self.context, self.fencing_driver)
        elif claim.type == "VM":
            instance_failure.run(claim, nova, control, self.context)
        elif claim.type == "PROCESS":
            process_failure.run(claim, nova, control, self.context)
        else:
            raise errors.IgnoreRecovery(f"Notification type {claim.type} has no recovery flow.")
