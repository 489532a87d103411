"""OAuth1 PLAINTEXT checking as the MAAS region does it.

MAAS API keys are ``consumer_key:token_key:token_secret``; a request is signed with the
PLAINTEXT method, an empty consumer secret and the token secret, so the signature is
``&<token_secret>`` (each side percent-encoded). A wrong or missing part -> 401.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from typing import Optional

from oauthlib.oauth1.rfc5849.utils import escape, parse_authorization_header, unescape

_REQUIRED = ("oauth_consumer_key", "oauth_token", "oauth_signature_method",
             "oauth_signature", "oauth_nonce", "oauth_timestamp")

#: How far a request timestamp may be from the emulator's clock, and how long nonces are kept.
TIMESTAMP_WINDOW = 600


@dataclasses.dataclass(frozen=True)
class Credential:
    consumer_key: str
    token_key: str
    token_secret: str
    username: str = "fencer"
    #: False: the user may read machines but not change their power (MAAS answers 403).
    can_edit: bool = True

    @classmethod
    def parse(cls, api_key: str, username: str = "fencer", can_edit: bool = True) -> "Credential":
        parts = api_key.strip().split(":")
        if len(parts) != 3 or not all(parts):
            raise ValueError("API key must be consumer_key:token_key:token_secret")
        return cls(*parts, username=username, can_edit=can_edit)

    @property
    def api_key(self) -> str:
        return f"{self.consumer_key}:{self.token_key}:{self.token_secret}"


class AuthFailure(Exception):
    """The request's OAuth header is missing or wrong (HTTP 401)."""


class PlaintextVerifier:
    """Checks ``Authorization: OAuth ...`` headers against the known credentials."""

    def __init__(self, credentials: list):
        self._lock = threading.Lock()
        self._credentials: list = list(credentials)
        self._nonces: set = set()
        self._nonce_order: deque = deque()

    def set_credentials(self, credentials: list) -> None:
        with self._lock:
            self._credentials = list(credentials)

    def credentials(self) -> list:
        with self._lock:
            return list(self._credentials)

    def verify(self, header: Optional[str]) -> Credential:
        """Return the credential that signed the request, or raise AuthFailure."""
        if not header or not header.strip().lower().startswith("oauth "):
            raise AuthFailure("Authorization Error: no OAuth credentials")
        try:
            params = dict(parse_authorization_header(header.strip()))
        except Exception:
            raise AuthFailure("Authorization Error: malformed OAuth header") from None
        missing = [p for p in _REQUIRED if not params.get(p)]
        if missing:
            raise AuthFailure(f"Authorization Error: missing {', '.join(missing)}")
        if params["oauth_signature_method"] != "PLAINTEXT":
            raise AuthFailure("Authorization Error: only PLAINTEXT signatures are accepted")
        try:
            stamp = int(params["oauth_timestamp"])
        except ValueError:
            raise AuthFailure("Authorization Error: bad oauth_timestamp") from None
        if abs(time.time() - stamp) > TIMESTAMP_WINDOW:
            raise AuthFailure("Authorization Error: expired timestamp")
        with self._lock:
            consumer = [c for c in self._credentials
                        if c.consumer_key == params["oauth_consumer_key"]]
            if not consumer:
                raise AuthFailure("Authorization Error: Invalid consumer")
            matching = [c for c in consumer if c.token_key == params["oauth_token"]]
            if not matching:
                raise AuthFailure("Authorization Error: Invalid access token")
            credential = matching[0]
            expected = escape("") + "&" + escape(credential.token_secret)
            signature = params["oauth_signature"]
            if signature != expected and unescape(signature) != expected:
                raise AuthFailure("Authorization Error: Invalid signature")
            nonce = (credential.token_key, params["oauth_nonce"], stamp)
            if nonce in self._nonces:
                raise AuthFailure("Authorization Error: nonce already used")
            self._nonces.add(nonce)
            self._nonce_order.append(nonce)
            while len(self._nonce_order) > 100000:
                self._nonces.discard(self._nonce_order.popleft())
        return credential
