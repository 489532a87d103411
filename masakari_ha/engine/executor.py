"""Running a recovery flow with TaskFlow, persisted in our own database.

One logbook per notification (book uuid = notification uuid, as upstream) holds one flow
detail per flow name. A flow detail that did not finish (its engine died, or a stop asked
it to yield) is loaded again, so TaskFlow skips every task that already succeeded and
continues with the first one that did not. A flow detail that ended (success or failure) is
never resumed: a retry of an ``error`` notification gets a fresh flow detail, and the
tasks' own idempotence (check Nova before acting) keeps the retry from doing anything
twice.
"""

import contextlib
import logging
import uuid as uuidlib

import taskflow.engines
from taskflow import states as tf_states
from taskflow.listeners import base as tf_listeners
from taskflow.patterns import linear_flow
from taskflow.persistence import models as tf_models
from taskflow.persistence.backends import impl_sqlalchemy

from masakari_ha.db import recovery_records
from masakari_ha.engine import persistence, progress_writer

LOG = logging.getLogger(__name__)

_FINISHED_FLOW_STATES = frozenset({tf_states.SUCCESS, tf_states.FAILURE, tf_states.REVERTED})


def persistence_backend() -> impl_sqlalchemy.SQLAlchemyBackend:
    """TaskFlow's SQLAlchemy backend on our database (see :mod:`masakari_ha.engine.persistence`)."""
    return persistence.backend()


class ProgressListener(tf_listeners.Listener):
    """Writes each task's TaskFlow state into its ``recovery_task_progress`` row."""

    def __init__(self, engine, notification_uuid: str, order: tuple[str, ...] = (), control=None):
        super().__init__(engine, flow_listen_for=(), retry_listen_for=())
        self._notification_uuid = notification_uuid
        self._order = order
        self._control = control

    def _task_receiver(self, state, details):
        if state in (tf_states.RUNNING, tf_states.SUCCESS, tf_states.FAILURE, tf_states.REVERTED):
            try:
                if self._control is not None:
                    progress_writer.record(self._control, details["task_name"], state=state, order=self._order)
                else:
                    recovery_records.record_progress(self._notification_uuid, details["task_name"],
                                                     state=state, order=self._order)
            except Exception:  # progress is informative; never fail a recovery for it
                LOG.exception("Could not record state %s of task %s of notification %s",
                              state, details.get("task_name"), self._notification_uuid)


def stage_flow(name: str, stages: dict[str, list]) -> linear_flow.Flow:
    """Upstream's shape: ``<name>_engine`` = linear ``pre_tasks``, ``main_tasks``, ``post_tasks``."""
    flow = linear_flow.Flow(f"{name}_engine")
    for stage in ("pre", "main", "post"):
        sub = linear_flow.Flow(f"{stage}_tasks")
        tasks = stages.get(stage) or []
        if tasks:
            sub.add(*tasks)
        flow.add(sub)
    return flow


def task_order(flow) -> tuple[str, ...]:
    """Names of a :func:`stage_flow`'s tasks in their configured order (pre, main, post)."""
    names: list[str] = []
    for stage in flow:
        for task in stage:
            if task.name not in names:
                names.append(task.name)
    return tuple(names)


def run_flow(notification_uuid: str, flow_name: str, flow, store: dict, control=None) -> None:
    """Run (or resume) ``flow`` for a notification; raise the task's exception on failure.

    ``store`` seeds a new flow detail only: a resumed one keeps the inputs it started
    with (e.g. the reserved host list before a reserved host was taken into service).
    Progress rows are ordered by the flow's configured task order (``control``, when
    given, carries it to the tasks' own progress messages).
    """
    order = task_order(flow)
    if control is not None:
        control.progress_order = order
    backend = persistence_backend()
    with contextlib.closing(backend.get_connection()) as conn:
        book = _logbook(conn, notification_uuid)
        flow_detail = _resumable_flow_detail(book, flow_name)
        if flow_detail is None:
            flow_detail = tf_models.FlowDetail(flow_name, uuid=str(uuidlib.uuid4()))
            book.add(flow_detail)
            conn.save_logbook(book)
            seed = store
        else:
            LOG.info("Resuming flow %s of notification %s from its last completed task.",
                     flow_name, notification_uuid)
            seed = None
    engine = taskflow.engines.load(flow, store=seed, flow_detail=flow_detail, book=book,
                                   backend=backend, engine="serial")
    with ProgressListener(engine, notification_uuid, order, control):
        engine.run()


def _logbook(conn, notification_uuid: str) -> tf_models.LogBook:
    try:
        return conn.get_logbook(notification_uuid)
    except Exception as error:  # taskflow raises NotFound for a new notification
        if type(error).__name__ != "NotFound":
            raise
    book = tf_models.LogBook(notification_uuid, uuid=notification_uuid)
    conn.save_logbook(book)
    return book


def _resumable_flow_detail(book: tf_models.LogBook, flow_name: str):
    for flow_detail in book:
        if flow_detail.name == flow_name and flow_detail.state not in _FINISHED_FLOW_STATES:
            return flow_detail
    return None


def has_unfinished(notification_uuid: str, flow_name: str) -> bool:
    """True when a flow detail of that name was started and did not end (engine died)."""
    backend = persistence_backend()
    with contextlib.closing(backend.get_connection()) as conn:
        try:
            book = conn.get_logbook(notification_uuid)
        except Exception:
            return False
        return _resumable_flow_detail(book, flow_name) is not None


def remember(notification_uuid: str, key: str, values: dict) -> dict:
    """Merge ``values`` into ``key`` of the notification's logbook meta; first writer wins.

    Facts that must survive every phase and retry of a notification (the guests' states
    before recovery touched them) live here, next to the flows that use them.
    """
    backend = persistence_backend()
    with contextlib.closing(backend.get_connection()) as conn:
        book = _logbook(conn, notification_uuid)
        meta = dict(book.meta or {})
        merged = dict(meta.get(key) or {})
        for name, value in values.items():
            merged.setdefault(name, value)
        if merged != meta.get(key):
            meta[key] = merged
            book.meta = meta
            conn.save_logbook(book)
        return merged
