"""oslo.messaging plumbing between the API and the engines.

* :func:`get_transport` – the process-wide RPC transport for ``conf`` (cached per URL, so
  ``fake://`` in ``masakari-ha-all`` is ONE in-process bus shared by API and engine);
* :func:`engine_target` – topic ``masakari_topic``, exchange ``engine_control_exchange``,
  version ``1.0``: what engines listen on;
* :class:`EngineClient` – the API's side: ``process_notification(notification_uuid=...)``
  cast after a notification was stored.

The engine (server side) implements an endpoint method ``process_notification(self,
context, notification_uuid)`` on :func:`engine_target`.
"""

import logging
import threading

import oslo_messaging
from oslo_config import cfg

LOG = logging.getLogger(__name__)

RPC_API_VERSION = "1.0"

_lock = threading.Lock()
_transports: dict[str, oslo_messaging.Transport] = {}


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register oslo.messaging's ``transport_url`` & co. on ``conf`` (idempotent)."""
    oslo_messaging.TransportURL.parse(conf)


def get_transport(conf: cfg.ConfigOpts) -> oslo_messaging.Transport:
    """The RPC transport for ``conf``'s ``transport_url`` (one per URL and process)."""
    oslo_messaging.set_transport_defaults(conf.engine_control_exchange)
    # Parsing registers oslo.messaging's transport options and resolves the default URL.
    key = str(oslo_messaging.TransportURL.parse(conf))
    with _lock:
        transport = _transports.get(key)
        if transport is None:
            transport = oslo_messaging.get_rpc_transport(conf)
            _transports[key] = transport
        return transport


def cleanup() -> None:
    """Close every cached transport (process shutdown, after fork, tests)."""
    with _lock:
        for transport in _transports.values():
            try:
                transport.cleanup()
            except Exception:  # best effort at shutdown
                LOG.debug("Transport cleanup failed", exc_info=True)
        _transports.clear()


def engine_target(conf: cfg.ConfigOpts, server: str | None = None) -> oslo_messaging.Target:
    """Where engines listen: topic ``masakari_topic`` on ``engine_control_exchange``."""
    return oslo_messaging.Target(
        topic=conf.masakari_topic,
        exchange=conf.engine_control_exchange,
        version=RPC_API_VERSION,
        server=server,
    )


def context_to_dict(context) -> dict:
    """The JSON-safe part of a RequestContext sent with a cast (never the token)."""
    if context is None:
        return {}
    return {
        "request_id": context.request_id,
        "global_request_id": context.global_request_id,
        "user_id": context.user_id,
        "project_id": context.project_id,
        "roles": list(context.roles),
        "is_admin": context.is_admin,
    }


class EngineClient:
    """The API's RPC client to the engines."""

    def __init__(self, conf: cfg.ConfigOpts, transport: oslo_messaging.Transport | None = None):
        self._conf = conf
        self._transport = transport
        self._client = None
        self._lock = threading.Lock()

    def _rpc_client(self) -> oslo_messaging.RPCClient:
        with self._lock:
            if self._client is None:
                transport = self._transport or get_transport(self._conf)
                self._client = oslo_messaging.get_rpc_client(
                    transport, engine_target(self._conf), retry=self._conf.engine_cast_retry
                )
            return self._client

    def cast_process_notification(self, context, notification_uuid: str) -> bool:
        """Ask an engine to process a stored notification; True when the cast went out.

        Never raises: on any failure it logs a WARNING naming the notification and
        returns False; the row stays ``new`` and the engines' sweep picks it up.
        """
        try:
            self._rpc_client().cast(
                context_to_dict(context), "process_notification", notification_uuid=notification_uuid
            )
        except Exception as error:  # broker down, bad URL, ...: the sweep takes over
            LOG.warning("Could not cast process_notification for notification %s (it stays "
                        "'new' for the engines' sweep): %s", notification_uuid, error)
            return False
        LOG.debug("Cast process_notification for notification %s", notification_uuid)
        return True
