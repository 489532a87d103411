"""HTTP front of the MAAS emulator: the MAAS 2.0 endpoints fencing uses, and a control API.

MAAS API (OAuth1 PLAINTEXT required, except ``version/`` without credentials)::

    GET  /MAAS/api/2.0/version/
    GET  /MAAS/api/2.0/users/?op=whoami
    GET  /MAAS/api/2.0/machines/[?hostname=a&hostname=b&system_id=..]
    GET  /MAAS/api/2.0/machines/{system_id}/
    GET  /MAAS/api/2.0/machines/{system_id}/?op=query_power_state
    POST /MAAS/api/2.0/machines/{system_id}/?op=power_off    form: stop_mode, comment
    POST /MAAS/api/2.0/machines/{system_id}/?op=power_on     form: comment

Control API (JSON, no auth: bind the emulator to loopback)::

    GET    /_sim/health
    GET    /_sim/machines                 all machines with their real state and faults
    POST   /_sim/machines                 {"hostname": "r4", "power_state": "on", ...}
    GET    /_sim/machines/{hostname}
    PATCH  /_sim/machines/{hostname}      any Machine field, e.g. {"query_fault": "unknown"}
    DELETE /_sim/machines/{hostname}
    GET    /_sim/actions[?hostname=h]     every power action: op, stop_mode, comment, ts, result
    DELETE /_sim/actions
    PUT    /_sim/credentials              {"api_key": "ck:tk:ts", "readonly_api_key": "..."}
    PUT    /_sim/unavailable              {"unavailable": true}  -> every MAAS call answers 503
"""

from __future__ import annotations

import json
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, unquote, urlsplit

from masakari_ha.simulator.maas import auth
from masakari_ha.simulator.maas.state import MaasWorld, SimError

LOG = logging.getLogger(__name__)

API_PREFIX = "/MAAS/api/2.0/"
MAAS_VERSION = {"capabilities": ["networks-management", "static-ipaddresses", "ipv6-deployment-ubuntu",
                                 "devices-management", "storage-deployment-ubuntu",
                                 "network-deployment-ubuntu"],
                "version": "3.4.0", "subversion": "emulated"}


class MaasHandler(BaseHTTPRequestHandler):
    """One request. ``self.server`` is a :class:`EmulatorServer` with ``world`` and ``verifier``."""

    protocol_version = "HTTP/1.1"
    server: "EmulatorServer"

    def log_message(self, fmt: str, *args: Any) -> None:  # requests go to logging, not stderr
        LOG.debug("maas-sim %s " + fmt, self.client_address[0], *args)

    # -- plumbing -----------------------------------------------------------------------

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        if isinstance(body, (bytes, str)) and content_type != "application/json":
            data = body.encode() if isinstance(body, str) else body
        else:
            data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _text(self, status: int, text: str) -> None:
        self._send(status, text, "text/plain; charset=utf-8")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        body = self._body()
        try:
            if parts.path.startswith("/_sim/"):
                self._control(method, unquote(parts.path[len("/_sim/"):]).strip("/"), query, body)
            elif parts.path.startswith(API_PREFIX):
                self._api(method, parts.path[len(API_PREFIX):], query, body)
            else:
                self._text(404, "Not Found")
        except SimError as exc:
            self._send(exc.status, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            LOG.debug("maas-sim: client went away during %s %s", method, self.path)
        except Exception:  # an emulator bug must show up as 500 with a log, not a hang
            LOG.exception("maas-sim: error handling %s %s", method, self.path)
            self._text(500, "emulator error")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- MAAS API -----------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict, body: bytes) -> None:
        world = self.server.world
        header = self.headers.get("Authorization")
        credential: Optional[auth.Credential] = None
        if path != "version/" or header:
            try:
                credential = self.server.verifier.verify(header)
            except auth.AuthFailure as exc:
                self._text(401, str(exc))
                return
        if world.unavailable:
            self._text(503, "MAAS region unavailable (emulated)")
            return
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
        op = (query.get("op") or form.get("op") or [""])[0]
        segments = [s for s in path.split("/") if s]
        if segments == ["version"] and method == "GET":
            self._send(200, MAAS_VERSION)
        elif segments == ["users"] and method == "GET" and op == "whoami":
            self._send(200, {"username": credential.username, "email": "",
                             "is_superuser": False, "is_local": True})
        elif segments == ["machines"] and method == "GET" and not op:
            self._list(query)
        elif len(segments) == 2 and segments[0] == "machines":
            self._machine(method, segments[1], op, form, credential)
        else:
            self._text(400 if op else 404, f"Unrecognised signature: method={method} op={op}"
                       if op else "Not Found")

    def _list(self, query: dict) -> None:
        names = {h.split(".", 1)[0].lower() for h in query.get("hostname", [])}
        ids = set(query.get("system_id", []))
        found = [m.api_view() for m in self.server.world.machines()
                 if (not names or m.hostname.lower() in names)
                 and (not ids or m.system_id in ids)]
        self._send(200, found)

    def _machine(self, method: str, system_id: str, op: str, form: dict, credential) -> None:
        world = self.server.world
        machine = world.by_system_id(system_id)
        if machine is None:
            self._text(404, "No Machine matches the given query.")
            return
        first = lambda key, default="": (form.get(key) or [default])[0]  # noqa: E731
        if method == "GET" and not op:
            self._send(200, machine.api_view())
        elif method == "GET" and op == "query_power_state":
            status, answer = world.query_power_state(machine)
            if status == 200:
                self._send(200, answer)
            else:
                self._text(status, answer)
        elif method == "POST" and op in ("power_off", "power_on"):
            if not credential.can_edit:
                self._text(403, f"You do not have permission to {op} this machine.")
                return
            if op == "power_off":
                stop_mode = first("stop_mode", "hard")
                if stop_mode not in ("hard", "soft"):
                    self._text(400, "stop_mode must be 'hard' or 'soft'")
                    return
                status, answer, _ = world.power_off(machine, stop_mode, first("comment"),
                                                    credential.username)
            else:
                status, answer, _ = world.power_on(machine, first("comment"), credential.username)
            if status == 200:
                self._send(200, answer)
            else:
                self._text(status, answer)
        else:
            self._text(400, f"Unrecognised signature: method={method} op={op}")

    # -- control API --------------------------------------------------------------------

    def _json(self, body: bytes) -> dict:
        if not body:
            return {}
        try:
            data = json.loads(body)
        except ValueError:
            raise SimError("body is not JSON") from None
        if not isinstance(data, dict):
            raise SimError("body must be a JSON object")
        return data

    def _control(self, method: str, path: str, query: dict, body: bytes) -> None:
        world = self.server.world
        segments = path.split("/") if path else []
        if segments == ["health"] and method == "GET":
            self._send(200, {"ok": True, "machines": len(world.machines())})
        elif segments == ["machines"] and method == "GET":
            self._send(200, [m.control_view() for m in world.machines()])
        elif segments == ["machines"] and method == "POST":
            data = self._json(body)
            hostname = data.pop("hostname", None)
            if not hostname:
                raise SimError("hostname is required")
            self._send(201, world.add(hostname, **data).control_view())
        elif len(segments) == 2 and segments[0] == "machines":
            hostname = segments[1]
            if method == "GET":
                self._send(200, world.by_hostname(hostname).control_view())
            elif method == "PATCH":
                self._send(200, world.update(hostname, **self._json(body)).control_view())
            elif method == "DELETE":
                world.remove(hostname)
                self._send(200, {"deleted": hostname})
            else:
                raise SimError(f"{method} not allowed here", 405)
        elif segments == ["actions"] and method == "GET":
            self._send(200, world.actions((query.get("hostname") or [None])[0]))
        elif segments == ["actions"] and method == "DELETE":
            world.clear_actions()
            self._send(200, {"cleared": True})
        elif segments == ["credentials"] and method == "PUT":
            data = self._json(body)
            self.server.set_keys(data.get("api_key"), data.get("readonly_api_key"))
            self._send(200, {"credentials": len(self.server.verifier.credentials())})
        elif segments == ["unavailable"] and method == "PUT":
            world.unavailable = bool(self._json(body).get("unavailable"))
            self._send(200, {"unavailable": world.unavailable})
        else:
            raise SimError(f"no control endpoint {method} /_sim/{path}", 404)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, world: MaasWorld, verifier: auth.PlaintextVerifier):
        super().__init__(address, MaasHandler)
        self.world = world
        self.verifier = verifier

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (its timeout) is normal here; anything else is logged."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)):
            LOG.debug("maas-sim: client %s went away", client_address[0])
            return
        LOG.exception("maas-sim: error serving %s", client_address[0])

    def set_keys(self, api_key: Optional[str], readonly_api_key: Optional[str] = None) -> None:
        try:
            creds = [auth.Credential.parse(api_key)] if api_key else []
            if readonly_api_key:
                creds.append(auth.Credential.parse(readonly_api_key, "viewer", can_edit=False))
        except ValueError as exc:
            raise SimError(str(exc)) from None
        if not creds:
            raise SimError("api_key is required")
        self.verifier.set_credentials(creds)
