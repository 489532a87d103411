"""The host monitor loop: sample pacemaker, decide (pure), queue notifications, persist."""

import logging
import threading
import time
from typing import Callable

from monitors import loop, metrics
from monitors.host import decision, state
from monitors.host.pacemaker import Pacemaker, PacemakerError
from monitors.runtime import Health, Sink

LOG = logging.getLogger(__name__)


class HostMonitor:
    def __init__(self, pacemaker: Pacemaker, me: str, sink: Sink, settings: decision.Settings,
                 state_file: str | None, health: Health | None = None,
                 clock: Callable[[], float] = time.time):
        self.pacemaker = pacemaker
        self.me = me
        self.sink = sink
        self.settings = settings
        self.state_file = state_file
        self.health = health
        self.clock = clock
        self.records = state.load(state_file) if state_file else {}
        self.last_error: str | None = None   # why the last sample was unusable
        self._last_blocked: str | None = None   # logged once, not every sample
        if self.records:
            LOG.info("loaded last reported state of %d node(s) from %s", len(self.records),
                     state_file)

    def cycle(self) -> list[decision.Decision]:
        """One sample → decisions; notifications are handed to the sink before state is saved,
        so a crash in between re-sends rather than loses (the API absorbs duplicates)."""
        try:
            status = self.pacemaker.status()
        except PacemakerError as exc:
            status, self.last_error = None, str(exc)
        if status is None:
            LOG.warning("skipping this sample: %s", self.last_error)
            metrics.record_host_sample("failed")
            self._health("degraded", reason=self.last_error)
            return []
        self.last_error = None
        extra = {}
        for node in decision.needs_fence_history(status, self.me, self.records, self.settings):
            extra[node] = self.pacemaker.fence_history(node)
        now = self.clock()
        decisions = decision.evaluate(status, self.me, self.records, now, self.settings, extra)
        blocked = decision.precheck(status, self.me)
        repeated_block = blocked is not None and blocked == self._last_blocked
        if blocked is None and self._last_blocked is not None:
            LOG.info("host monitor for %s: samples usable again (quorum and own node OK)", self.me)
        self._last_blocked = blocked
        metrics.record_host_sample(
            "blocked" if blocked else "usable",
            None if blocked else decision.state_counts(status, self.me, self.settings))
        for d in decisions:
            metrics.record_host_decision(d.kind)
            if repeated_block:
                LOG.debug("host %s: %s", d.node, d.reason)   # said once already
            elif d.notification is not None:
                LOG.info("host %s: %s -> sending %s", d.node, d.reason,
                         d.notification["notification"]["payload"])
                self.sink.submit(d.notification)
            else:
                LOG.info("host %s: %s", d.node, d.reason)
        if self.state_file:
            state.save(self.state_file, self.records)
        self._health("blocked" if blocked else "ok", reason=blocked,
                     nodes={n: r.reported for n, r in self.records.items()})
        return decisions

    def _health(self, status: str, **detail) -> None:
        if self.health is not None:
            self.health.write(status, me=self.me, **detail)

    def run(self, interval: float, stop: threading.Event) -> None:
        LOG.info("host monitor for %s started (interval %ss, samples %d, remotes only %s)",
                 self.me, interval, self.settings.monitoring_samples,
                 self.settings.restrict_to_remotes)
        loop.run_loop("host monitor", self.cycle, stop, loop.fixed_rate(interval))
