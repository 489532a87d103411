"""Casting ``process_notification`` off the request path.

By the time the API casts, the notification is committed with status ``new``; the cast
only tells an engine to start now instead of at its next sweep (the engines' sweep submits
every ``new`` notification whose cast was lost: ``masakari_ha.engine.service`` /
``db.claims.find_resumable``). So the request need not wait for the broker: the view hands
the notification id to :class:`CastSender`, which answers at once, and one daemon thread
per process sends the casts in arrival order through the wrapped
:class:`masakari_ha.rpc.EngineClient`.

What can be lost, and what then happens:

* the queue is full (broker hung for a long time): the cast is dropped with a WARNING
  naming the notification; the sweep picks the notification up;
* the process exits with casts still queued: an ``atexit`` hook gives the thread
  :data:`EXIT_FLUSH_SECONDS` to send them; whatever is left is picked up by the sweep.

The thread is started on first use in the process that casts, so a sender created before
gunicorn forks its workers starts one thread in each worker.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from typing import Protocol

LOG = logging.getLogger(__name__)

MAX_QUEUED = 10000
EXIT_FLUSH_SECONDS = 2.0


class _Client(Protocol):
    def cast_process_notification(self, context, notification_uuid: str) -> bool: ...


class CastSender:
    """``cast_process_notification`` that queues the cast for one background thread."""

    def __init__(self, client: _Client, max_queued: int = MAX_QUEUED):
        self._client = client
        self._max_queued = max_queued
        self._lock = threading.Lock()
        self._queue: queue.Queue | None = None
        self._pid: int | None = None

    def _started_queue(self) -> queue.Queue:
        """This process's queue, with its sender thread running (started after any fork)."""
        pid = os.getpid()
        if self._pid == pid:
            return self._queue
        with self._lock:
            if self._pid != pid:
                self._queue = queue.Queue(self._max_queued)
                threading.Thread(target=self._run, args=(self._queue,), name="cast-sender",
                                 daemon=True).start()
                atexit.register(self.flush, EXIT_FLUSH_SECONDS)
                self._pid = pid
            return self._queue

    def cast_process_notification(self, context, notification_uuid: str) -> bool:
        """Queue the cast; True when queued, False (and a WARNING) when the queue is full."""
        try:
            self._started_queue().put_nowait((context, notification_uuid))
        except queue.Full:
            LOG.warning("Cast queue full (%d): process_notification for notification %s not "
                        "sent; it stays 'new' for the engines' sweep", self._max_queued,
                        notification_uuid)
            return False
        return True

    def _run(self, casts: queue.Queue) -> None:
        while True:
            context, notification_uuid = casts.get()
            try:
                self._client.cast_process_notification(context, notification_uuid)
            except Exception:  # the client never raises; never let the thread die anyway
                LOG.exception("Cast of process_notification for notification %s failed; it "
                              "stays 'new' for the engines' sweep", notification_uuid)
            finally:
                casts.task_done()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every queued cast was attempted."""
        casts = self._queue if self._pid == os.getpid() else None
        if casts is None:
            return True
        deadline = time.monotonic() + timeout
        with casts.all_tasks_done:
            while casts.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    LOG.warning("%d process_notification casts not sent at exit; the engines' "
                                "sweep picks those notifications up", casts.unfinished_tasks)
                    return False
                casts.all_tasks_done.wait(remaining)
        return True
