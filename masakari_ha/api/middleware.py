"""WSGI middleware outside Flask: request ids on every response (including 401s from
keystonemiddleware) and routing /v1 through authentication."""

import io
import re
import uuid

REQUEST_ID_HEADER = "X-OpenStack-Request-ID"
ENVIRON_REQUEST_ID = "masakari_ha.request_id"
ENVIRON_GLOBAL_REQUEST_ID = "masakari_ha.global_request_id"
_GLOBAL_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class RequestId:
    """Give each request ``req-<uuid>``; answer it in ``X-OpenStack-Request-ID``.

    An incoming ``X-OpenStack-Request-ID`` of the same form is kept as the global
    request id (as oslo.middleware does); anything else is ignored.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request_id = "req-" + str(uuid.uuid4())
        environ[ENVIRON_REQUEST_ID] = request_id
        incoming = environ.get("HTTP_X_OPENSTACK_REQUEST_ID", "")
        if _GLOBAL_ID.match(incoming):
            environ[ENVIRON_GLOBAL_REQUEST_ID] = incoming

        def _start_response(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != REQUEST_ID_HEADER.lower()]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        return self.app(environ, _start_response)


class AuthDispatcher:
    """Send /v1 requests through ``protected`` (authentication), the rest to ``public``."""

    def __init__(self, public, protected):
        self.public = public
        self.protected = protected

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/v1" or path.startswith("/v1/"):
            return self.protected(environ, start_response)
        return self.public(environ, start_response)


class DrainOversizeBody:
    """Read and discard a declared body over the size limit before the app answers 413.

    Answering without reading the body leaves unread bytes on the socket; when the server
    then closes the connection the kernel sends a reset, which can destroy the 413 before
    the client reads it (seen under load with gunicorn workers). Draining first makes the
    413 arrive. The app still sees the declared ``CONTENT_LENGTH`` and refuses the request
    with its usual fault; it just finds nothing left to read. Bodies larger than
    ``drain_limit`` are not read at all (no client of this API sends megabytes of JSON).
    """

    CHUNK = 64 * 1024

    def __init__(self, app, limit: int, drain_limit: int = 16 * 1024 * 1024):
        self.app = app
        self.limit = limit
        self.drain_limit = drain_limit

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if self.limit < length <= self.drain_limit:
            stream = environ["wsgi.input"]
            remaining = length
            while remaining > 0:
                chunk = stream.read(min(self.CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
            environ["wsgi.input"] = io.BytesIO(b"")
        return self.app(environ, start_response)
