"""The Flask application factory: routes, microversions, auth context, faults.

::

    [CORS] ─► [HTTPProxyToWSGI] ─► RequestId ─► DrainOversizeBody ─► AuthDispatcher ─┐
       ┌─────────────────────────────────────────────────────────────────────────────┘
       ├─ /v1/...  ─► keystonemiddleware auth_token ─► Flask
       └─ /, /healthcheck, /metrics, anything else ───► Flask

oslo.middleware's CORS (``[cors]``) and HTTPProxyToWSGI (``[oslo_middleware]
enable_proxy_headers_parsing``) sit outermost, as in upstream's paste pipeline, so a CORS
preflight needs no token and every answer (a 401 included) carries the CORS headers. Each
is only put in front when configured: unconfigured, both pass requests through unchanged,
so leaving them out saves their per-request cost.

Inside Flask every /v1 request gets ``g.api_version`` (negotiated) and ``g.context``
(from auth_token's headers, or admin under noauth) before its view runs. Every error is a
fault body (:mod:`faults`); an unexpected exception is logged with its traceback and
answered with a 500 fault, never an HTML page. Fault messages are translated when the fault
is rendered, into the request's ``Accept-Language`` (:mod:`i18n`).
"""

import logging

from flask import Flask, g, request
from oslo_middleware import cors as cors_middleware
from oslo_middleware import http_proxy_to_wsgi
from werkzeug import exceptions as http_exceptions

from masakari_ha import exception
from masakari_ha.conf import middleware as middleware_opts
from masakari_ha.api import (
    auth,
    cast_sender,
    common,
    extensions,
    faults,
    healthcheck,
    hosts,
    i18n,
    metrics,
    microversion,
    middleware,
    notifications,
    policy,
    segments,
    versions,
    vmoves,
)

LOG = logging.getLogger(__name__)
_ = i18n._

BLUEPRINTS = (versions.bp, segments.bp, hosts.bp, notifications.bp, vmoves.bp, extensions.bp,
              healthcheck.bp, metrics.bp)


def _is_v1(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def create_app(conf, *, engine_client=None, auth_wrapper=None):
    """Build the API's WSGI application from ``conf``.

    :param conf: oslo.config ConfigOpts with masakari_ha's options registered.
    :param engine_client: object with ``cast_process_notification(context, uuid)``;
        default a :class:`masakari_ha.rpc.EngineClient` created on first use, behind a
        :class:`cast_sender.CastSender` (casts leave from a background thread).
    :param auth_wrapper: TESTS ONLY. In keystone mode, a ``wsgi_app -> wsgi_app``
        function used instead of keystonemiddleware's auth_token (e.g. one that sets the
        same ``X-Identity-Status``/``X-Roles`` headers auth_token would), so the policy
        matrix runs without a Keystone. Ignored under noauth.
    :returns: a WSGI callable.
    """
    flask_app = Flask("masakari_ha.api")
    flask_app.config["MAX_CONTENT_LENGTH"] = conf.max_request_body_size
    flask_app.json.sort_keys = False

    def _engine_client_factory():
        if engine_client is not None:
            return engine_client
        from masakari_ha import rpc

        return cast_sender.CastSender(rpc.EngineClient(conf))

    flask_app.extensions[common.STATE_KEY] = common.AppState(
        conf=conf,
        enforcer=policy.get_enforcer(conf),
        engine_client_factory=_engine_client_factory,
    )
    # Tolerate a trailing slash on every route (set before the rules are added).
    flask_app.url_map.strict_slashes = False
    for blueprint in BLUEPRINTS:
        flask_app.register_blueprint(blueprint)
    _install_hooks(flask_app, conf)

    if auth.is_noauth(conf):
        LOG.warning("auth_strategy = %s: the API does NO authentication; every request is "
                    "served as an administrator. Use this only on a loopback address or in "
                    "tests; set auth_strategy = keystone anywhere else.", conf.auth_strategy)
        protected = flask_app.wsgi_app
    elif auth_wrapper is not None:
        protected = auth_wrapper(flask_app.wsgi_app)
    else:
        protected = auth.wrap_keystone(flask_app.wsgi_app, conf)
    dispatcher = middleware.AuthDispatcher(flask_app.wsgi_app, protected)
    application = middleware.RequestId(
        middleware.DrainOversizeBody(dispatcher, conf.max_request_body_size))
    application = wrap_oslo_middleware(application, conf)
    application.flask_app = flask_app
    return application


def wrap_oslo_middleware(application, conf):
    """``application`` behind oslo.middleware's HTTPProxyToWSGI and CORS, when configured.

    HTTPProxyToWSGI (``[oslo_middleware] enable_proxy_headers_parsing``) takes scheme,
    host and prefix from ``Forwarded`` / ``X-Forwarded-*`` headers, so links in version
    documents name the proxy. CORS (``[cors] allowed_origin``) answers preflights and
    decorates responses for the allowed origins.
    """
    middleware_opts.register_opts(conf)   # idempotent; any ConfigOpts given to create_app
    if conf.oslo_middleware.enable_proxy_headers_parsing:
        application = http_proxy_to_wsgi.HTTPProxyToWSGI(application, conf)
        LOG.info("Proxy headers (Forwarded, X-Forwarded-*) are parsed "
                 "([oslo_middleware] enable_proxy_headers_parsing)")
    if conf.cors.allowed_origin:
        application = cors_middleware.CORS(application, conf)
        LOG.info("CORS allowed for origins %s ([cors] allowed_origin)",
                 ", ".join(conf.cors.allowed_origin))
    return application


def _reject_nul_characters() -> None:
    """400 for a NUL character in the path or query: no identifier or filter value can
    contain one, and PostgreSQL refuses it in any string parameter (would be a 500)."""
    if "\x00" in request.path:
        raise exception.Invalid(message="The URL path contains a NUL character.")
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise exception.Invalid(message=f"Query parameter {name!r} contains a NUL character.")


def _install_hooks(app: Flask, conf) -> None:
    @app.before_request
    def _before():
        g.request_id = request.environ.get(middleware.ENVIRON_REQUEST_ID)
        g.api_version = None
        if not _is_v1(request.path):
            return None
        g.api_version = microversion.negotiate(request.headers)
        _reject_nul_characters()
        g.context = auth.context_from_environ(
            request.environ, conf, g.request_id,
            request.environ.get(middleware.ENVIRON_GLOBAL_REQUEST_ID),
        )
        return None

    @app.after_request
    def _after(response):
        version = getattr(g, "api_version", None)
        if version is not None and response.status_code < 400:
            response.headers["OpenStack-API-Version"] = f"masakari {version}"
            response.headers["Vary"] = "OpenStack-API-Version"
        return response

    def _in_callers_language(message) -> str:
        return i18n.translate(message, i18n.best_language(request.accept_languages))

    @app.errorhandler(exception.MasakariHAError)
    def _masakari_error(error: exception.MasakariHAError):
        if error.code >= 500:
            LOG.warning("%s %s failed: %s", request.method, request.path, error.message)
        return faults.fault_response(error.code, _in_callers_language(i18n.lazy_message(error)),
                                     getattr(g, "api_version", None))

    @app.errorhandler(http_exceptions.HTTPException)
    def _http_error(error: http_exceptions.HTTPException):
        code = error.code or 500
        if code == 404 and not _is_v1(request.path) and request.method in ("GET", "HEAD"):
            return versions.choices(request.path)
        if code == 404:
            message = _("The resource could not be found.")
        elif code == 405:
            message = _("Method %(method)s is not allowed for %(path)s.") % {
                "method": request.method, "path": request.path}
        elif code == 413:
            message = _("Request is too large: the body exceeds %(limit)d bytes "
                        "(max_request_body_size).") % {"limit": conf.max_request_body_size}
        else:
            message = error.description or error.name
        return faults.fault_response(code, _in_callers_language(message),
                                     getattr(g, "api_version", None))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        LOG.exception("Unexpected error serving %s %s (request %s)", request.method,
                      request.path, getattr(g, "request_id", None))
        message = faults.UNEXPECTED_MESSAGE.format(error=type(error).__name__)
        return faults.fault_response(500, message, getattr(g, "api_version", None))
