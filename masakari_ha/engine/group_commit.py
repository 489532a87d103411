"""Group commit for the engine's bookkeeping rows (vmoves, task progress).

Task threads queue their updates and go on with the next Nova call; one writer thread per
notification commits whatever is queued in one transaction, so a burst of a hundred updates
costs a few commits instead of a hundred write transactions serialised by the database.
What to do when a commit fails is the writer's own policy (:meth:`GroupCommitWriter._commit`).
"""

from __future__ import annotations

import abc
import queue
import threading
from typing import Any

_STOP = object()


class GroupCommitWriter(abc.ABC):
    """A queue drained in batches by one thread that hands each batch to :meth:`_commit`."""

    def __init__(self, thread_name: str) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)
        self._thread.start()

    @abc.abstractmethod
    def _commit(self, items: list[Any]) -> None:
        """Write one batch; a subclass decides what a failed write means for its records."""

    def _put(self, item: Any) -> None:
        self._queue.put(item)

    def _wait_committed(self, timeout: float) -> bool:
        """Wait until everything queued so far went through :meth:`_commit`; False on timeout."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _stop(self, timeout: float | None = None) -> None:
        """Commit everything queued, then end the writer thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:  # one commit for everything queued meanwhile
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [item for item in batch if item is not _STOP and not isinstance(item, threading.Event)]
            if items:
                self._commit(items)
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if any(item is _STOP for item in batch):
                return
