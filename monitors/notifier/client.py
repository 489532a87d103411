"""The one I/O seam to the masakari_ha API: ``POST <instance-ha endpoint>/notifications``.

Built from the ``[api]`` group through keystoneauth1 (auth plugin + session), so the token is
cached and reused across notifications (upstream learnt that the hard way, §9.10). The result
of a POST is classified into what the sender must do with the spooled notification.
"""

import enum
import json
import logging
from dataclasses import dataclass
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import noauth as ks_noauth

from monitors.conf import api as api_conf

LOG = logging.getLogger(__name__)

SERVICE_TYPE = "instance-ha"


class Outcome(enum.Enum):
    """What a delivery attempt means for the spooled notification."""

    ACCEPTED = "accepted"    # 2xx: delete from the spool
    REFUSED = "refused"      # 400/409: final, delete and log the API's reason
    RETRY = "retry"          # anything else: keep and try again later


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    status: int | None
    message: str
    notification_uuid: str | None = None


def classify(status: int, body_text: str) -> Result:
    """Map an HTTP answer to an :class:`Outcome` (pure, unit tested)."""
    if 200 <= status < 300:
        uuid = None
        try:
            uuid = json.loads(body_text).get("notification", {}).get("notification_uuid")
        except (ValueError, AttributeError):
            pass
        return Result(Outcome.ACCEPTED, status, "accepted", uuid)
    message = _error_message(body_text)
    if status in (400, 409):
        return Result(Outcome.REFUSED, status, message)
    return Result(Outcome.RETRY, status, message)


def _error_message(body_text: str) -> str:
    """The API's fault message ({"badRequest": {"message": ...}} or similar), else the text."""
    try:
        doc = json.loads(body_text)
        if isinstance(doc, dict):
            for value in doc.values():
                if isinstance(value, dict) and "message" in value:
                    return str(value["message"])
    except ValueError:
        pass
    return body_text.strip()[:500]


class ApiClient:
    """POSTs notifications with one long-lived keystoneauth1 session."""

    def __init__(self, conf):
        group = conf.api
        self._auth = ks_loading.load_auth_from_conf_options(conf, api_conf.API_GROUP)
        self._session = ks_loading.load_session_from_conf_options(
            conf, api_conf.API_GROUP, auth=self._auth)
        self._endpoint = group.endpoint_override
        if isinstance(self._auth, ks_noauth.NoAuth):
            # auth_type = none: keystoneauth's own "no authentication" plugin, which has no
            # catalog; its 'endpoint' option or ours tells where the API is.
            self._endpoint = self._endpoint or self._auth.endpoint
            self._auth = None
            self._session.auth = None
        if self._auth is None and not self._endpoint:
            self._endpoint = api_conf.DEFAULT_NOAUTH_ENDPOINT
            LOG.info("no [api] authentication and no endpoint_override: sending "
                     "unauthenticated notifications to %s", self._endpoint)
        self._interface = group.api_interface
        self._region = group.region
        self._timeout = group.timeout or 30

    @property
    def endpoint(self) -> str:
        return self._endpoint or f"catalog:{SERVICE_TYPE}/{self._interface}/{self._region}"

    def post(self, body: dict[str, Any]) -> Result:
        """One delivery attempt; never raises for network or auth trouble (→ RETRY)."""
        kwargs: dict[str, Any] = {"json": body, "raise_exc": False, "timeout": self._timeout,
                                  "headers": {"Accept": "application/json"}}
        if self._endpoint:
            url = self._endpoint.rstrip("/") + "/notifications"
            if self._auth is not None:
                kwargs["endpoint_override"] = self._endpoint
        else:
            url = "/notifications"
            kwargs["endpoint_filter"] = {"service_type": SERVICE_TYPE,
                                         "interface": self._interface,
                                         "region_name": self._region}
        try:
            resp = self._session.post(url, **kwargs)
        except ks_exc.ClientException as exc:
            return Result(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")
        return classify(resp.status_code, resp.text)

