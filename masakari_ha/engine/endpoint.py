"""The engine's RPC endpoint: what the API casts to."""

import logging

import oslo_messaging

from masakari_ha import rpc

LOG = logging.getLogger(__name__)


class EngineEndpoint:
    """``process_notification`` only hands the uuid to the service's worker pool and
    returns: the RPC thread never runs a recovery itself, and the claim in the database
    (not the message) decides which engine works on it."""

    target = oslo_messaging.Target(version=rpc.RPC_API_VERSION)

    def __init__(self, submit):
        self._submit = submit

    def process_notification(self, ctxt, notification_uuid):
        request_id = (ctxt or {}).get("request_id") if isinstance(ctxt, dict) else None
        LOG.info("Received notification %s (request %s)", notification_uuid, request_id)
        self._submit(str(notification_uuid))
