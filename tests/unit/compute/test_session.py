"""The shared Nova session's connection pool is sized for the engine's concurrency."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from masakari_ha.compute import session as compute_session
from masakari_ha.conf import CONF


class _SlowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: set = set()
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.lock:
            self.connections.add(self.client_address)
        time.sleep(0.2)
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_pool_keeps_more_connections_than_requests_default(caplog):
    """40 concurrent calls to one host reuse 40 pooled connections: no 'pool is full' churn."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    CONF.set_override("auth_type", "none", group="nova")
    CONF.set_override("endpoint_override", url, group="nova")
    compute_session.reset()
    sess = compute_session.get_session(CONF)

    def call():
        sess.get(url, authenticated=False)

    try:
        for _ in range(2):  # the second round must reuse the first round's sockets
            threads = [threading.Thread(target=call) for _ in range(40)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        server.shutdown()
        compute_session.reset()
    assert "Connection pool is full" not in caplog.text
    assert len(_SlowHandler.connections) <= 40
