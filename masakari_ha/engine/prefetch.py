"""A failed host's guests and evacuation records, read while its compute service is taken out.

Before the first evacuation of a host failure the engine needs three things from Nova:
the compute service disabled and forced down, the host's guests (to choose and order
them) and the host's evacuation records (the idempotence check: did an engine that died
already evacuate some of them?). The reads do not depend on each other, so :func:`start`
sends them - and the read of the compute service the update starts from - in the
background as soon as the gates passed, while TaskFlow sets up the flow, and the tasks
that need them take the answers (:func:`compute_service`, :func:`servers_on_host`,
:func:`evacuations_from`) instead of reading one after the other on the recovery's path.

Why reads made while the service is still being disabled are as good as reads made
after it:

* no guest can appear on the host meanwhile: the gates confirmed it down (fenced), and a
  guest only gets a host once that host's nova-compute claimed it;
* nobody evacuates its guests meanwhile: this engine holds the notification's claim, and
  an engine that held it before is gone (its evacuations, if any, are in the records).

What is read here lives in the run's :attr:`RunControl.scratch` (never persisted: a
resumed run reads afresh) and is used for at most :data:`MAX_AGE` seconds. The
evacuation records are taken once, by the first evacuation task of the run: a later
phase (``auto_priority`` falling back to reserved hosts) reads them again, since the
earlier phase's evacuations changed them. A read that failed is simply made again by its
consumer, which then retries as every Nova call of a recovery does.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from masakari_ha.engine.control import RecoveryInterrupted, RunControl

LOG = logging.getLogger(__name__)

#: A read older than this (seconds since it was sent) is made again by its consumer.
MAX_AGE = 30.0

SERVICE = "compute_service"
SERVERS = "servers_on_host"
EVACUATIONS = "evacuations_from"


class _Read:
    """One Nova read running in its own thread; :meth:`result` waits for it."""

    def __init__(self, name: str, read: Callable[[], Any]):
        self.sent_at = time.monotonic()
        self._future: concurrent.futures.Future = concurrent.futures.Future()
        self._read = read
        threading.Thread(target=self._run, name=name, daemon=True).start()

    @classmethod
    def done(cls, value: Any, sent_at: float) -> "_Read":
        """An answer already at hand (read by a task itself), for the next task to reuse."""
        read = cls.__new__(cls)
        read.sent_at = sent_at
        read._future = concurrent.futures.Future()
        read._future.set_result(value)
        return read

    def _run(self) -> None:
        try:
            self._future.set_result(self._read())
        except BaseException as error:  # handed to the consumer, which reads again
            self._future.set_exception(error)

    @property
    def fresh(self) -> bool:
        return time.monotonic() - self.sent_at <= MAX_AGE

    def result(self) -> Any:
        return self._future.result()


def start(control: RunControl, nova, host: str) -> None:
    """Send the reads for ``host`` in the background (results kept in ``control.scratch``)."""
    control.scratch[(SERVICE, host)] = _Read(f"prefetch-service-{host}"[:40],
                                             lambda: nova.get_compute_service(host))
    control.scratch[(SERVERS, host)] = _Read(f"prefetch-servers-{host}"[:40],
                                             lambda: nova.list_servers_on_host(host))
    control.scratch[(EVACUATIONS, host)] = _Read(f"prefetch-records-{host}"[:40],
                                                 lambda: nova.list_evacuations(source_compute=host))


def _take(control: RunControl, key: str, host: str, keep: bool):
    """The answer of a fresh read of ``key`` for ``host``; None when there is none or it
    failed (the consumer reads itself)."""
    read = control.scratch.get((key, host)) if keep else control.scratch.pop((key, host), None)
    if read is None or not read.fresh:
        control.scratch.pop((key, host), None)
        return None
    try:
        return read.result()
    except RecoveryInterrupted:
        raise
    except Exception as error:
        LOG.info("Notification %s, host %s: background read of %s failed (%s); reading again",
                 control.notification_uuid, host, key.replace("_", " "), error)
        control.scratch.pop((key, host), None)
        return None


def compute_service(control: RunControl, host: str):
    """The background read of ``host``'s compute service, once; None when there is none
    (already taken, too old, or it failed: the task reads it itself)."""
    return _take(control, SERVICE, host, keep=False)


def servers_on_host(control: RunControl, nova, host: str, keep: bool = False) -> list:
    """``host``'s guests: from the background read or the previous task's listing when
    fresh, else listed now. ``keep``: leave the listing for the next task (which takes
    it with ``keep=False``)."""
    servers = _take(control, SERVERS, host, keep)
    if servers is None:
        sent_at = time.monotonic()
        servers = nova.list_servers_on_host(host)
        if keep:
            control.scratch[(SERVERS, host)] = _Read.done(servers, sent_at)
    return servers


def evacuations_from(control: RunControl, host: str) -> tuple[list, float] | None:
    """The background read of ``host``'s evacuation records and when it was sent, once;
    None when there is none (already taken, too old, or it failed)."""
    read = control.scratch.get((EVACUATIONS, host))
    records = _take(control, EVACUATIONS, host, keep=False)
    return None if records is None else (records, read.sent_at)
