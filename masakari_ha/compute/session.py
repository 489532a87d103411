"""The one keystoneauth1 session (and auth plugin) every Nova call of the process shares.

Upstream Masakari builds a new keystone session for every Nova call, so each call costs
a token request. Here the ``[nova]`` section is read once: one auth plugin (which caches
its token and re-authenticates only when it expires; keystoneauth guards that with a
lock) and one :class:`keystoneauth1.session.Session` (a pooled ``requests`` session),
shared by all threads of the process.

``[nova]`` takes the standard keystoneauth options, so ``auth_type = password`` with
``auth_url``/``username``/..., or ``auth_type = none`` plus ``endpoint_override`` for an
unauthenticated Nova, both work. Adapter options (``endpoint_override``,
``region_name``, ``valid_interfaces``, retries) are returned by :func:`adapter_kwargs`.
"""

from __future__ import annotations

import threading
from typing import Any

from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from keystoneauth1.loading import adapter as ks_adapter_loading
from oslo_config import cfg

from masakari_ha.conf import nova as nova_conf

_lock = threading.Lock()
_cached: tuple[int, ks_session.Session] | None = None

#: Connections kept per Nova/Placement host. requests' default (10) is far below the engine's
#: evacuation concurrency; a full pool opens and drops a socket per call and logs a warning.
CONNECTION_POOL_SIZE = 128

#: Used when ``[nova] timeout`` is unset: a Nova call must never hang a recovery forever.
DEFAULT_TIMEOUT = 60.0


def get_session(conf: cfg.ConfigOpts) -> ks_session.Session:
    """Return the process-wide session for ``conf``'s ``[nova]`` section.

    Built on first use (thread-safe), reused afterwards. A different ``conf`` object
    gets its own session (tests); :func:`reset` forgets the cached one, e.g. after the
    configuration was reloaded.
    """
    global _cached
    with _lock:
        if _cached is not None and _cached[0] == id(conf):
            return _cached[1]
        group = nova_conf.NOVA_GROUP
        auth = ks_loading.load_auth_from_conf_options(conf, group)
        sess = ks_loading.load_session_from_conf_options(conf, group, auth=auth)
        if sess.timeout is None:
            sess.timeout = DEFAULT_TIMEOUT
        for scheme in ("http://", "https://"):
            sess.session.mount(scheme, ks_session.TCPKeepAliveAdapter(
                pool_connections=CONNECTION_POOL_SIZE, pool_maxsize=CONNECTION_POOL_SIZE))
        _cached = (id(conf), sess)
        return sess


def adapter_kwargs(conf: cfg.ConfigOpts) -> dict[str, Any]:
    """Keystoneauth adapter arguments from ``[nova]`` (endpoint, region, interfaces, retries).

    ``version``/``min_version``/``max_version`` are dropped: the compute microversion is
    negotiated by :class:`masakari_ha.compute.nova.NovaClient`, not by discovery.
    """
    kwargs: dict[str, Any] = {}
    ks_adapter_loading.process_conf_options(conf[nova_conf.NOVA_GROUP], kwargs)
    for key in ("version", "min_version", "max_version"):
        kwargs.pop(key, None)
    kwargs["service_type"] = kwargs.get("service_type") or "compute"
    return {k: v for k, v in kwargs.items() if v is not None}


def reset() -> None:
    """Forget the cached session (configuration reload, tests)."""
    global _cached
    with _lock:
        _cached = None
