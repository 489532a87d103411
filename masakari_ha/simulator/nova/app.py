"""The Nova emulator's WSGI app: auth, microversions, latency, fault injection, errors.

Routes live in :mod:`.routes_servers`, :mod:`.routes_admin` (os-services, os-hypervisors,
os-migrations, os-aggregates) and :mod:`.control` (``/_sim/...``, the emulator's own control API,
never part of Nova). Every Nova route goes through :func:`nova_call`, which counts the call, applies
the configured latency and any injected fault, and turns :class:`NovaError` into Nova's JSON fault.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid as uuidlib
from typing import Any, Callable

import flask

from masakari_ha.simulator.identity import Identity
from masakari_ha.simulator.nova import microversion as mv
from masakari_ha.simulator.nova import views
from masakari_ha.simulator.nova.cloud import SimulatedCloud
from masakari_ha.simulator.nova.model import NovaError

LOG = logging.getLogger(__name__)
_TRUE = ("", "1", "t", "true", "on", "y", "yes")


def cloud() -> SimulatedCloud:
    return flask.current_app.config["SIM_CLOUD"]


def base_url() -> str:
    return flask.request.host_url.rstrip("/") + "/v2.1"


def version() -> tuple[int, int]:
    return flask.g.version


def is_admin() -> bool:
    return bool(flask.g.token and flask.g.token.is_admin)


def require_admin(policy: str) -> None:
    if not is_admin():
        raise NovaError(403, f"Policy doesn't allow {policy} to be performed.")


def body() -> dict[str, Any]:
    data = flask.request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise NovaError(400, "Malformed request body")
    return data


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUE


def apply_faults(call: str, instance: str | None = None) -> None:
    """Count the call, sleep its latency, and raise/sleep as an injected fault says."""
    sim = cloud()
    sim.record_call(call)
    delay = sim.latency.call_delay(call)
    fault = sim.faults.http_fault(call, instance)
    if fault is not None:
        delay += fault.delay
    if delay:
        time.sleep(delay)
    if fault is not None and fault.status is not None:
        raise NovaError(fault.status, fault.message)


def nova_call(call: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a Nova route named ``call`` (used for counters and fault matching)."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            apply_faults(call, kwargs.get("server_id"))
            return view(*args, **kwargs)

        return inner

    return wrap


def create_app(sim: SimulatedCloud, identity: Identity | None,
               control_token: str | None = None) -> flask.Flask:
    """The Nova emulator app. ``identity=None`` disables authentication (any token is admin).

    ``control_token``, when set, must be sent as ``X-Sim-Token`` to use ``/_sim`` routes.
    """
    from masakari_ha.simulator.nova import control, placement, routes_admin, routes_servers

    app = flask.Flask("masakari_ha.simulator.nova")
    app.config["SIM_CLOUD"] = sim
    app.config["SIM_IDENTITY"] = identity
    app.config["SIM_CONTROL_TOKEN"] = control_token
    app.register_blueprint(routes_servers.bp, url_prefix="/v2.1")
    app.register_blueprint(routes_admin.bp, url_prefix="/v2.1")
    app.register_blueprint(control.bp, url_prefix="/_sim")
    app.register_blueprint(placement.bp, url_prefix="/placement")

    @app.before_request
    def authenticate() -> Any:
        flask.g.version = mv.MIN_VERSION
        flask.g.token = None
        path = flask.request.path
        if path.startswith("/_sim"):
            return None
        if path.startswith("/placement"):
            if path.rstrip("/") == "/placement":
                return None
        else:
            flask.g.version = mv.negotiate(flask.request.headers)
            if path.rstrip("/") in ("", "/v2.1"):
                return None
        if identity is None:
            flask.g.token = _AnonymousAdmin()
            return None
        token = identity.validate(flask.request.headers.get("X-Auth-Token"))
        if token is None:
            raise NovaError(401, "The request you have made requires authentication.")
        flask.g.token = token
        return None

    @app.after_request
    def headers(response: flask.Response) -> flask.Response:
        if not flask.request.path.startswith(("/_sim", "/placement")):
            ver = mv.fmt(getattr(flask.g, "version", mv.MIN_VERSION))
            response.headers["OpenStack-API-Version"] = f"compute {ver}"
            response.headers["X-OpenStack-Nova-API-Version"] = ver
            response.headers["Vary"] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
            request_id = f"req-{uuidlib.uuid4()}"
            response.headers["x-openstack-request-id"] = request_id
            response.headers["x-compute-request-id"] = request_id
        return response

    @app.errorhandler(NovaError)
    def nova_error(exc: NovaError) -> flask.Response:
        response = flask.jsonify(exc.body())
        response.status_code = exc.code
        return response

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> flask.Response:
        return nova_error(NovaError(404, "The resource could not be found."))

    @app.errorhandler(405)
    def bad_method(_exc: Exception) -> flask.Response:
        return nova_error(NovaError(405, "The method specified is not allowed for this resource."))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> flask.Response:
        if isinstance(exc, NovaError):
            return nova_error(exc)
        code = getattr(exc, "code", None)
        if isinstance(code, int) and 400 <= code < 500:
            return nova_error(NovaError(code, str(exc)))
        LOG.exception("nova emulator: unexpected error on %s %s", flask.request.method,
                      flask.request.path)
        return nova_error(NovaError(500, f"Unexpected API Error: {exc.__class__.__name__}"))

    @app.get("/")
    def versions() -> flask.Response:
        root = flask.request.host_url.rstrip("/")
        response = flask.jsonify({"versions": [views.version_doc(root)]})
        return response

    @app.get("/v2.1")
    @app.get("/v2.1/")
    def version_v21() -> flask.Response:
        root = flask.request.host_url.rstrip("/")
        return flask.jsonify({"version": views.version_doc(root)})

    return app


class _AnonymousAdmin:
    """The caller when authentication is disabled."""

    is_admin = True
    project = None

    class user:  # noqa: N801 - mimics Token.user
        name = "admin"
        id = "admin"
