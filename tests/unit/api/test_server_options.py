"""masakari-ha-api's gunicorn settings: what the workers inherit from the master."""

import gc
import types

from masakari_ha.cmd import api as api_cmd


def _conf(**values):
    defaults = dict(masakari_api_listen="127.0.0.1", masakari_api_listen_port=15868,
                    masakari_api_threads=8, debug=False)
    return types.SimpleNamespace(**{**defaults, **values})


def test_gthread_workers_with_configured_threads():
    options = api_cmd.gunicorn_options(_conf(masakari_api_threads=3), workers=2)
    assert (options["worker_class"], options["workers"], options["threads"]) == (api_cmd.BALANCED_WORKER, 2, 3)
    assert options["preload_app"] is True


def test_master_objects_are_frozen_before_each_fork():
    """gc.freeze() in pre_fork: the preloaded app is out of the workers' collections
    (a full collection over it paused every in-flight request for 100+ ms)."""
    hook = api_cmd.gunicorn_options(_conf(), workers=1)["pre_fork"]
    gc.unfreeze()
    try:
        hook(None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
