"""A small synchronous client for the parts of the MAAS 2.0 API that fencing needs.

Five calls: find a machine by hostname, read it, power it off (hard), power it on, and ask
MAAS for the live power state (a BMC round trip). Authentication is OAuth1 with the
PLAINTEXT signature, as MAAS requires: the API key ``consumer_key:token_key:token_secret``
is split in three, the consumer secret is empty.

Why not python-libmaas: it is asyncio-first and effectively in maintenance; a fencing path
wants a few explicit, bounded HTTP calls it can reason about.

The API key is a secret that travels in every request (PLAINTEXT). It never appears in a
log line or an exception message: exception texts are scrubbed of every part of the key,
and the signing libraries' debug logging (which prints the signature) is silenced.

Exceptions (all subclasses of :class:`~masakari_ha.fencing.base.FencingError`)::

    MaasError
     +-- MaasKeyError          the key is malformed or unreadable (also a FencingConfigError)
     +-- MaasAuthError         401/403: wrong key, or the key's user may not edit the machine
     +-- MaasNotFound          404, or no machine with that hostname
     +-- MaasAmbiguousHost     more than one machine answers to the hostname
     +-- MaasConflict          409: MAAS refuses the action in the machine's current state
     +-- MaasUnavailable       503 (BMC unreachable) and other 5xx answers
     +-- MaasTimeout           no answer within the request timeout
     +-- MaasConnectionError   MAAS cannot be reached at all
     +-- MaasProtocolError     an answer that is not what the MAAS API documents
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any, Optional
from urllib.parse import urljoin

import requests
from oauthlib.oauth1 import SIGNATURE_PLAINTEXT
from requests_oauthlib import OAuth1

from masakari_ha.fencing.base import FencingConfigError, FencingError, PowerState

LOG = logging.getLogger(__name__)

API_SUFFIX = "api/2.0/"

# The signing libraries log the Authorization header and the PLAINTEXT signature (which
# IS the token secret) at DEBUG level. Nothing they say there is worth the risk.
_SIGNING_LOGGERS = ("requests_oauthlib.oauth1_auth", "oauthlib.oauth1.rfc5849")


class _DropRecords(logging.Filter):
    """Drop every record: attached to the signing libraries' loggers only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


for _name in _SIGNING_LOGGERS:
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _DropRecords) for f in _logger.filters):
        _logger.addFilter(_DropRecords())


class MaasError(FencingError):
    """Any failure talking to MAAS; the message never contains the API key."""

    #: HTTP status MAAS answered with, when there was an answer.
    status: Optional[int] = None

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class MaasKeyError(MaasError, FencingConfigError):
    """The API key is missing, unreadable or not of the form ck:tk:ts."""


class MaasAuthError(MaasError):
    """MAAS refused the key (401) or the key's user lacks rights on the machine (403)."""


class MaasNotFound(MaasError):
    """The machine does not exist (404), or no machine has this hostname."""


class MaasAmbiguousHost(MaasError):
    """Several machines answer to one hostname: refuse to guess which one to fence."""


class MaasConflict(MaasError):
    """409: MAAS refuses the power action in the machine's current state."""


class MaasUnavailable(MaasError):
    """503 (MAAS could not reach the BMC) or another server-side error."""


class MaasTimeout(MaasError):
    """MAAS did not answer within the request timeout."""


class MaasConnectionError(MaasError):
    """MAAS could not be reached (refused connection, DNS, TLS failure)."""


class MaasProtocolError(MaasError):
    """MAAS answered something the API does not document (bad JSON, odd status)."""


@dataclasses.dataclass(frozen=True)
class ApiKey:
    """A MAAS API key split into its three OAuth parts. Its repr never shows them."""

    consumer_key: str
    token_key: str
    token_secret: str

    @classmethod
    def parse(cls, text: str) -> "ApiKey":
        """Parse ``consumer_key:token_key:token_secret`` (surrounding whitespace ignored).

        :raises MaasKeyError: not three non-empty parts (the message does not quote it).
        """
        parts = (text or "").strip().split(":")
        if len(parts) != 3 or not all(parts):
            raise MaasKeyError(
                "MAAS API key is malformed: expected 'consumer_key:token_key:token_secret' "
                f"(3 non-empty parts separated by ':', got {len(parts)} part(s))"
            )
        return cls(*parts)

    @classmethod
    def from_file(cls, path: str) -> "ApiKey":
        """Read the key from the first non-empty line of ``path``."""
        try:
            with open(path, encoding="utf-8") as handle:
                lines = [line.strip() for line in handle]
        except OSError as exc:
            raise MaasKeyError(f"cannot read MAAS API key file {path}: {exc.strerror}") from None
        for line in lines:
            if line and not line.startswith("#"):
                return cls.parse(line)
        raise MaasKeyError(f"MAAS API key file {path} is empty")

    def secrets(self) -> tuple:
        """The strings that must never be shown anywhere."""
        return (self.consumer_key, self.token_key, self.token_secret)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every part of the key replaced by ``***``."""
        for secret in sorted(self.secrets(), key=len, reverse=True):
            if len(secret) >= 3:
                text = text.replace(secret, "***")
        return text

    def __repr__(self) -> str:
        return "ApiKey(***)"

    __str__ = __repr__


def api_url(url: str) -> str:
    """Normalise a MAAS URL to its ``.../api/2.0/`` base.

    Accepts ``http://maas:5240/MAAS``, ``.../MAAS/``, ``.../MAAS/api/2.0`` and
    ``.../MAAS/api/2.0/``.
    """
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")):
        raise FencingConfigError(f"MAAS URL must start with http:// or https://: {url!r}")
    base = url.rstrip("/")
    if base.endswith("/api/2.0"):
        return base + "/"
    return base + "/" + API_SUFFIX


def short_hostname(host: str) -> str:
    """MAAS hostnames are short names: ``node1.maas.example`` -> ``node1``."""
    host = (host or "").strip()
    if not host:
        raise MaasNotFound("empty host name")
    return host.split(".", 1)[0]


_POWER_STATES = {state.value: state for state in PowerState}


def power_state_from(value: Any) -> PowerState:
    """Map a MAAS power state string to PowerState; anything unexpected is UNKNOWN."""
    return _POWER_STATES.get(str(value).lower(), PowerState.UNKNOWN) if value else PowerState.UNKNOWN


class MaasClient:
    """MAAS 2.0 API calls for one region, with a host -> system_id cache.

    :param url: MAAS URL (``http(s)://host:5240/MAAS``; ``/api/2.0/`` is appended).
    :param api_key: the parsed key.
    :param request_timeout: seconds for each HTTP request (connect and read).
    :param verify: ``requests`` ``verify``: True, False or a CA bundle path.
    :param session: a ``requests.Session`` to use (tests inject one); one is made otherwise.
    """

    def __init__(
        self,
        url: str,
        api_key: ApiKey,
        *,
        request_timeout: float = 30.0,
        verify: Any = True,
        session: Optional[requests.Session] = None,
    ):
        self.base_url = api_url(url)
        self._key = api_key
        self.request_timeout = float(request_timeout)
        self._session = session or requests.Session()
        self._session.verify = verify
        self._auth = OAuth1(
            api_key.consumer_key,
            client_secret="",
            resource_owner_key=api_key.token_key,
            resource_owner_secret=api_key.token_secret,
            signature_method=SIGNATURE_PLAINTEXT,
        )
        self._system_ids: dict = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MaasClient({self.base_url!r})"

    # -- HTTP ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[dict] = None,
        data: Optional[dict] = None,
        timeout: Optional[float] = None,
        what: str = "",
    ) -> Any:
        """Send one signed request and return the decoded JSON (None for an empty body)."""
        url = urljoin(self.base_url, path)
        what = what or f"{method} {path}"
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                data=data,
                auth=self._auth,
                timeout=timeout if timeout is not None else self.request_timeout,
                headers={"Accept": "application/json"},
            )
        except requests.Timeout:
            raise MaasTimeout(
                f"MAAS did not answer {what} within "
                f"{timeout if timeout is not None else self.request_timeout:g} s"
            ) from None
        except requests.RequestException as exc:
            raise MaasConnectionError(
                self._key.scrub(f"cannot reach MAAS at {self.base_url} for {what}: {exc}")
            ) from None
        status = response.status_code
        if status < 300:
            if not response.content or response.content.strip() in (b"", b"null"):
                return None
            try:
                return response.json()
            except ValueError:
                raise MaasProtocolError(
                    f"MAAS answered {what} with {status} but the body is not JSON", status
                ) from None
        raise self._error(status, response.text, what)

    def _error(self, status: int, body: str, what: str) -> MaasError:
        body = self._key.scrub((body or "").strip().replace("\n", " ")[:200])
        if status == 401:
            return MaasAuthError(
                f"MAAS rejected the API key for {what} (401): {body or 'unauthorized'}", status
            )
        if status == 403:
            return MaasAuthError(
                f"the MAAS API key's user lacks rights for {what} (403): {body or 'forbidden'}",
                status,
            )
        if status == 404:
            return MaasNotFound(f"MAAS has no such object for {what} (404)", status)
        if status == 409:
            return MaasConflict(f"MAAS refused {what} (409): {body}", status)
        if status == 503:
            return MaasUnavailable(
                f"MAAS could not reach the BMC for {what} (503): {body}", status
            )
        if status >= 500:
            return MaasUnavailable(f"MAAS failed {what} ({status}): {body}", status)
        return MaasProtocolError(f"MAAS answered {what} with {status}: {body}", status)

    # -- API calls ----------------------------------------------------------------------

    def version(self) -> dict:
        """``GET version/``: is MAAS there at all (anonymous in MAAS)."""
        return self._request("GET", "version/", what="version") or {}

    def whoami(self) -> dict:
        """``GET users/?op=whoami``: proves the key is accepted."""
        return self._request("GET", "users/", params={"op": "whoami"}, what="whoami") or {}

    def list_machines(self, hostnames: Optional[list] = None) -> list:
        """``GET machines/`` (optionally filtered by hostnames)."""
        params = [("hostname", short_hostname(h)) for h in hostnames or ()]
        result = self._request("GET", "machines/", params=params or None, what="list machines")
        if not isinstance(result, list):
            raise MaasProtocolError("MAAS answered 'list machines' with something not a list")
        return result

    def find_machine(self, host: str) -> dict:
        """Return the one machine whose hostname is ``host``'s short name."""
        name = short_hostname(host)
        result = self._request(
            "GET", "machines/", params={"hostname": name}, what=f"lookup of {name}"
        )
        if not isinstance(result, list):
            raise MaasProtocolError(f"MAAS answered the lookup of {name} with something not a list")
        matches = [m for m in result if str(m.get("hostname", "")).lower() == name.lower()]
        if not matches:
            raise MaasNotFound(f"MAAS has no machine with hostname {name}")
        if len(matches) > 1:
            ids = ", ".join(sorted(str(m.get("system_id")) for m in matches))
            raise MaasAmbiguousHost(f"MAAS has {len(matches)} machines named {name}: {ids}")
        if not matches[0].get("system_id"):
            raise MaasProtocolError(f"MAAS machine {name} has no system_id")
        return matches[0]

    def system_id(self, host: str, refresh: bool = False) -> str:
        """``host``'s MAAS system_id, resolved once and cached."""
        name = short_hostname(host).lower()
        with self._lock:
            cached = None if refresh else self._system_ids.get(name)
        if cached:
            return cached
        system_id = str(self.find_machine(name)["system_id"])
        with self._lock:
            self._system_ids[name] = system_id
        LOG.debug("MAAS machine for host %s is %s", name, system_id)
        return system_id

    def _on_machine(self, host: str, call):
        """Run ``call(system_id)``; on 404 re-resolve the hostname once and retry.

        A 404 for a cached system_id means the machine was released and re-added or renamed;
        the hostname is the identity, so look it up again rather than fail.
        """
        system_id = self.system_id(host)
        try:
            return call(system_id)
        except MaasNotFound:
            fresh = self.system_id(host, refresh=True)
            if fresh == system_id:
                raise
            LOG.info(
                "MAAS system_id of host %s changed from %s to %s; retrying",
                short_hostname(host), system_id, fresh,
            )
            return call(fresh)

    def machine(self, host: str) -> dict:
        """``GET machines/{system_id}/``: the machine record (its recorded power_state)."""
        return self._on_machine(
            host,
            lambda sid: self._request("GET", f"machines/{sid}/", what=f"read of machine {sid}"),
        )

    def power_off(self, host: str, comment: str, stop_mode: str = "hard") -> Optional[dict]:
        """``POST machines/{id}/?op=power_off``: ask MAAS to power the machine off.

        Returns once MAAS has *sent* the action (the node JSON), or None when MAAS decided
        no action was needed. It does not mean the machine is off: see verify.py.
        """
        return self._on_machine(
            host,
            lambda sid: self._request(
                "POST",
                f"machines/{sid}/",
                params={"op": "power_off"},
                data={"stop_mode": stop_mode, "comment": comment},
                what=f"power_off of machine {sid}",
            ),
        )

    def power_on(self, host: str, comment: str) -> Optional[dict]:
        """``POST machines/{id}/?op=power_on``: ask MAAS to power the machine on."""
        return self._on_machine(
            host,
            lambda sid: self._request(
                "POST",
                f"machines/{sid}/",
                params={"op": "power_on"},
                data={"comment": comment},
                what=f"power_on of machine {sid}",
            ),
        )

    def query_power_state(self, host: str, timeout: Optional[float] = None) -> PowerState:
        """``GET machines/{id}/?op=query_power_state``: the live state, asked of the BMC."""
        result = self._on_machine(
            host,
            lambda sid: self._request(
                "GET",
                f"machines/{sid}/",
                params={"op": "query_power_state"},
                timeout=timeout,
                what=f"query_power_state of machine {sid}",
            ),
        )
        if not isinstance(result, dict) or "state" not in result:
            raise MaasProtocolError("MAAS answered query_power_state without a 'state'")
        return power_state_from(result["state"])

    def close(self) -> None:
        self._session.close()
