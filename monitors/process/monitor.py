"""The process monitor loop: check, restart (argument lists, no shell), report.

A process found down is restarted up to ``restart_retries + 1`` times; only when it is still
not running after the last attempt is PROCESS STOPPED sent (an attempt that brings it back is
a success, unlike upstream). When a reported process runs again, PROCESS STARTED is sent.

The names of processes reported STOPPED are kept in ``state_file`` (written atomically when
the set changes, after the notification was spooled), so a restarted monitor neither reports
them again nor forgets to report them STARTED when they come back.
"""

import logging
import os
import subprocess
import threading
import time
from typing import Callable

from monitors import loop, metrics, statefile
from monitors.notifier import envelope
from monitors.process import proc, processlist
from monitors.process.processlist import ProcessSpec
from monitors.runtime import Health, Sink

LOG = logging.getLogger(__name__)


class ProcessMonitor:
    def __init__(self, list_path: str, hostname: str, sink: Sink, *, restart_retries: int = 3,
                 restart_interval: float = 5.0, command_timeout: float = 60.0,
                 health: Health | None = None, state_file: str | None = None,
                 scan: Callable[[], list[proc.ProcInfo]] = proc.scan,
                 sleep: Callable[[float], object] | None = None):
        self.list_path = list_path
        self.hostname = hostname
        self.sink = sink
        self.restart_retries = restart_retries
        self.restart_interval = restart_interval
        self.command_timeout = command_timeout
        self.health = health
        self.scan = scan
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self.specs: list[ProcessSpec] = processlist.load(list_path)
        self.state_file = state_file
        # process_name reported STOPPED and not back yet
        self.failed: set[str] = self._load_failed()
        metrics.set_process_failed(len(self.failed))

    # -- the failed set on disk ------------------------------------------------------------
    def _load_failed(self) -> set[str]:
        if not self.state_file:
            return set()
        doc = statefile.read_json(self.state_file, {})
        names = doc.get("failed") if isinstance(doc, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            if doc:
                LOG.warning("ignoring malformed process monitor state %s", self.state_file)
            return set()
        if names:
            LOG.info("process(es) reported STOPPED before this start: %s", ", ".join(names))
        return set(names)

    def _failed_changed(self) -> None:
        metrics.set_process_failed(len(self.failed))
        if not self.state_file:
            return
        try:
            statefile.write_json(self.state_file, {"failed": sorted(self.failed)})
        except OSError as exc:   # keep monitoring; the next change tries again
            LOG.error("cannot save the failed processes to %s: %s", self.state_file, exc)

    # -- helpers ---------------------------------------------------------------------------
    def running(self, spec: ProcessSpec, snapshot: list[proc.ProcInfo] | None = None) -> bool:
        """Is ``spec`` running (in ``snapshot``, or in a fresh scan of /proc)?"""
        return bool(proc.find(spec.match_argv, self.scan() if snapshot is None else snapshot))

    def _run(self, spec: ProcessSpec, what: str, argv: tuple[str, ...]) -> bool:
        """Run one configured command; True on exit status 0. stderr alone is not failure."""
        if not argv:
            return True
        full = list(argv)
        if spec.run_as_root and os.geteuid() != 0:
            full = ["sudo", "-n"] + full
        try:
            res = subprocess.run(full, capture_output=True, timeout=self.command_timeout,
                                 stdin=subprocess.DEVNULL, check=False, start_new_session=True)
        except (OSError, subprocess.TimeoutExpired) as exc:
            res, error = None, str(exc)
        if res is None:
            LOG.warning("process %s: %s %s failed: %s", spec.process_name, what, full, error)
            return False
        if res.returncode != 0:
            LOG.warning("process %s: %s %s exited %d: %s", spec.process_name, what, full,
                        res.returncode, res.stderr.decode(errors="replace").strip()[:500])
            return False
        return True

    def _wait_running(self, spec: ProcessSpec, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self.running(spec):
                return True
            if time.monotonic() >= deadline or self._stop.is_set():
                return False
            time.sleep(0.1)

    # -- the work --------------------------------------------------------------------------
    def start_all(self) -> None:
        """Initial start of listed processes that are not running yet."""
        for spec in self.specs:
            if self.running(spec):
                continue
            LOG.info("process %s is not running at start: starting it", spec.process_name)
            if self._run(spec, "pre_start_command", spec.pre_start_command):
                self._run(spec, "start_command", spec.start_command)
                self._run(spec, "post_start_command", spec.post_start_command)

    def restart(self, spec: ProcessSpec) -> bool:
        """Up to restart_retries + 1 attempts; True as soon as the process runs again."""
        attempts = self.restart_retries + 1
        for attempt in range(1, attempts + 1):
            ok = self._run(spec, "pre_restart_command", spec.pre_restart_command) and \
                self._run(spec, "restart_command", spec.restart_command) and \
                self._run(spec, "post_restart_command", spec.post_restart_command)
            ok = ok and self._wait_running(spec, max(1.0, self.restart_interval))
            metrics.record_process_restart(spec.process_name, ok)
            if ok:
                LOG.info("process %s restarted (attempt %d of %d)", spec.process_name, attempt,
                         attempts)
                return True
            LOG.warning("process %s: restart attempt %d of %d did not bring it back",
                        spec.process_name, attempt, attempts)
            if attempt < attempts:
                self.sleep(self.restart_interval)
                if self._stop.is_set():
                    return False
        return False

    def reload(self) -> None:
        """Re-read the list each cycle; a broken file keeps the previous list (logged)."""
        try:
            self.specs = processlist.load(self.list_path)
            return
        except processlist.ProcessListError as exc:
            error = str(exc)
        LOG.error("keeping the previous process list: %s", error)

    def cycle(self) -> list[dict]:
        """One check of every listed process; returns the notifications submitted."""
        self.reload()
        sent = []
        snapshot = self.scan()          # one /proc walk per cycle for all entries
        for spec in self.specs:
            if self.running(spec, snapshot):
                if spec.process_name in self.failed:
                    self.failed.discard(spec.process_name)
                    body = envelope.process(self.hostname, spec.short_name, False,
                                            envelope.utcnow())
                    LOG.info("process %s is running again -> PROCESS STARTED", spec.process_name)
                    self.sink.submit(body)
                    sent.append(body)
                    self._failed_changed()
                continue
            if spec.process_name in self.failed:
                continue
            observed = envelope.utcnow()
            LOG.warning("process %s is not running: restarting", spec.process_name)
            if self.restart(spec):
                continue
            self.failed.add(spec.process_name)
            body = envelope.process(self.hostname, spec.short_name, True, observed)
            LOG.error("process %s could not be restarted after %d attempt(s) -> PROCESS STOPPED",
                      spec.process_name, self.restart_retries + 1)
            self.sink.submit(body)
            sent.append(body)
            self._failed_changed()
        if self.health is not None:
            self.health.write("ok", watched=[s.process_name for s in self.specs],
                              failed=sorted(self.failed))
        return sent

    def stop(self) -> None:
        self._stop.set()

    def run(self, interval: float, stop: threading.Event) -> None:
        threading.Thread(target=lambda: (stop.wait(), self._stop.set()), daemon=True).start()
        self.start_all()
        loop.run_loop("process monitor", self.cycle, stop, loop.fixed_delay(interval))
