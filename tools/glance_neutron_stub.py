"""Minimal Glance v2 and Neutron v2.0 stand-ins for the real-Nova test bed.

Nova needs an image service and a network service to boot, stop, start and evacuate guests.
With the FakeDriver and guests booted with ``networks: none`` it only *reads* from them:
one image (its metadata and schema) and empty port/network lists. These stand-ins serve
exactly that and nothing else; every write is refused with 404 so an unexpected call shows
up in Nova's log instead of silently succeeding. They are the only non-real part of the bed.

Usage: python3 glance_neutron_stub.py GLANCE_PORT NEUTRON_PORT
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IMAGE_ID = "11111111-2222-3333-4444-555555555555"
_STAMP = "2026-01-01T00:00:00Z"
IMAGE = {
    "id": IMAGE_ID, "name": "lab-image", "status": "active", "visibility": "public",
    "disk_format": "raw", "container_format": "bare", "size": 1048576, "virtual_size": None,
    "min_disk": 0, "min_ram": 0, "protected": False, "os_hidden": False, "owner": None,
    "checksum": "d41d8cd98f00b204e9800998ecf8427e", "os_hash_algo": None, "os_hash_value": None,
    "created_at": _STAMP, "updated_at": _STAMP, "tags": [],
    "file": f"/v2/images/{IMAGE_ID}/file", "self": f"/v2/images/{IMAGE_ID}", "schema": "/v2/schemas/image",
}
IMAGE_SCHEMA = {"name": "image", "properties": {key: {} for key in IMAGE},
                "additionalProperties": {"type": "string"}, "links": []}


def _glance(path: str, port: int) -> tuple[int, dict]:
    if path in ("", "/versions"):
        versions = [{"id": "v2.15", "status": "CURRENT",
                     "links": [{"rel": "self", "href": f"http://127.0.0.1:{port}/v2/"}]}]
        return (300 if path == "" else 200), {"versions": versions}
    if path == "/v2/schemas/image":
        return 200, IMAGE_SCHEMA
    if path == "/v2/images":
        return 200, {"images": [IMAGE], "schema": "/v2/schemas/images"}
    if path == f"/v2/images/{IMAGE_ID}":
        return 200, IMAGE
    return 404, {"message": f"{path} is not served by the lab stand-in"}


def _neutron(path: str, port: int) -> tuple[int, dict]:
    if path == "":
        return 200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                                   "links": [{"rel": "self", "href": f"http://127.0.0.1:{port}/v2.0/"}]}]}
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "v2.0":  # any collection is empty
        return 200, {parts[2].replace("-", "_"): []}
    return 404, {"NeutronError": {"type": "NotFound", "message": f"{path} is not served", "detail": ""}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{self.server.kind}: {fmt % args}\n")

    def _reply(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        path = path[:-5] if path.endswith(".json") else path
        port = self.server.server_address[1]
        route = _glance if self.server.kind == "glance" else _neutron
        self._reply(*route(path, port))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._reply(404, {"message": "writes are not served by the lab stand-in"})

    do_PUT = do_POST
    do_DELETE = do_POST


def _serve(kind: str, port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.kind = kind
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    threading.Thread(target=_serve, args=("glance", int(sys.argv[1])), daemon=True).start()
    _serve("neutron", int(sys.argv[2]))
