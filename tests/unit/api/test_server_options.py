"""masakari-ha-api's gunicorn settings: what the workers inherit from the master."""

import gc

from masakari_ha.cmd import api as api_cmd
from masakari_ha.conf import CONF


def test_gthread_workers_with_configured_threads():
    CONF.set_override("masakari_api_threads", 3)
    options = api_cmd.gunicorn_options(CONF, workers=2)
    assert (options["worker_class"], options["workers"], options["threads"]) == ("gthread", 2, 3)
    assert options["preload_app"] is True


def test_master_objects_are_frozen_before_each_fork():
    """gc.freeze() in pre_fork: the preloaded app is out of the workers' collections
    (a full collection over it paused every in-flight request for 100+ ms)."""
    hook = api_cmd.gunicorn_options(CONF, workers=1)["pre_fork"]
    gc.unfreeze()
    try:
        hook(None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
