"""Serve a WSGI app on a background thread (one thread per request), stoppable, port 0 allowed."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug import serving

LOG = logging.getLogger(__name__)


class _QuietHandler(serving.WSGIRequestHandler):
    """No per-request access log lines on stderr (benchmarks make thousands of calls)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's name
        if type == "error":
            LOG.warning("emulator http: " + message, *args)


class ServedApp:
    """A running threaded HTTP server for ``app``.

    ``url`` is ``http://host:port`` with the port actually bound (useful with port 0).
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 backlog: int = 1024) -> None:
        serving.ThreadedWSGIServer.request_queue_size = max(
            backlog, serving.ThreadedWSGIServer.request_queue_size)
        self._server = serving.make_server(host, port, app, threaded=True,
                                           request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"emulator-http-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting requests and close the socket (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> "ServedApp":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(app: Any, port: int = 0, host: str = "127.0.0.1") -> ServedApp:
    """Start serving ``app``; returns the running server (``.url``, ``.stop()``)."""
    return ServedApp(app, host=host, port=port)
