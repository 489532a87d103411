"""A requests transport adapter answering from a Python function: the network seam for unit tests.

Mounted on the keystoneauth session's ``requests.Session``, so the real novaclient and
keystoneauth code runs end to end without a socket.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

Handler = Callable[[str, str, dict[str, list[str]], dict[str, Any] | None, dict[str, str]], tuple[int, Any]]


class FakeTransport(BaseAdapter):
    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def send(self, request, **kwargs):  # noqa: D401 - requests API
        url = urllib.parse.urlsplit(request.url)
        query = urllib.parse.parse_qs(url.query)
        body = json.loads(request.body) if request.body else None
        headers = dict(request.headers)
        self.calls.append((request.method, url.path + (f"?{url.query}" if url.query else ""), headers))
        status, payload = self.handler(request.method, url.path, query, body, headers)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response._content = b"" if payload is None else json.dumps(payload).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass
