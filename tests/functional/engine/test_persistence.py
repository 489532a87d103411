"""TaskFlow persistence on our database: one backend and one set of table objects per process."""

import contextlib

from taskflow.persistence import models as tf_models
from taskflow.persistence.backends import impl_sqlalchemy

from masakari_ha.db import session as db_session
from masakari_ha.engine import persistence


def test_connections_share_the_table_objects_and_set_what_taskflow_sets(db):
    backend = persistence.backend()
    assert persistence.backend() is backend
    first, second = backend.get_connection(), backend.get_connection()
    assert first._tables is second._tables and first._converter is second._converter
    # Our constructor must leave a connection exactly as TaskFlow's own would (guards upgrades).
    theirs = impl_sqlalchemy.Connection(backend, upgrade_lock=backend._upgrade_lock)
    assert set(vars(first)) == set(vars(theirs))


def test_logbooks_round_trip_and_the_backend_follows_a_new_engine(db):
    backend = persistence.backend()
    with contextlib.closing(backend.get_connection()) as conn:
        book = tf_models.LogBook("n-1", uuid="11111111-1111-1111-1111-111111111111")
        book.add(tf_models.FlowDetail("flow", uuid="22222222-2222-2222-2222-222222222222"))
        conn.save_logbook(book)
    db_session.dispose_engines()
    renewed = persistence.backend()
    assert renewed is not backend
    with contextlib.closing(renewed.get_connection()) as conn:
        loaded = conn.get_logbook("11111111-1111-1111-1111-111111111111")
    assert [fd.name for fd in loaded] == ["flow"]
