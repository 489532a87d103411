"""oslo.middleware's options for the API: ``[cors]`` and ``[oslo_middleware]``.

The API wraps itself in oslo.middleware's ``CORS`` and ``HTTPProxyToWSGI`` middleware (see
:mod:`masakari_ha.api.app`), like the other OpenStack APIs, so operators configure them with
the option names they already know. The options belong to oslo.middleware; this module
registers them on our ConfigOpts up front (so they can be read and overridden before the
middleware exists) and lists them for the sample configuration and the docs.

The CORS defaults are set to this API's headers: a browser client sends
``X-Auth-Token``, ``X-OpenStack-Request-ID`` and ``OpenStack-API-Version`` and may read the
request id and the negotiated version from responses.
"""

from oslo_config import cfg
from oslo_middleware import cors, http_proxy_to_wsgi

CORS_GROUP = "cors"
MIDDLEWARE_GROUP = "oslo_middleware"

CORS_ALLOW_HEADERS = [
    "Content-Type",
    "X-Auth-Token",
    "X-OpenStack-Request-ID",
    "OpenStack-API-Version",
]
CORS_EXPOSE_HEADERS = [
    "X-OpenStack-Request-ID",
    "OpenStack-API-Version",
]
CORS_ALLOW_METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def set_defaults() -> None:
    """This API's defaults for oslo.middleware's ``[cors]`` options."""
    cors.set_defaults(
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        allow_methods=CORS_ALLOW_METHODS,
    )


def register_opts(conf: cfg.ConfigOpts) -> None:
    # The library's own Opt objects: registering them again from the middleware is a no-op.
    set_defaults()
    conf.register_opts(cors.OPTS, group=CORS_GROUP)
    conf.register_opts(http_proxy_to_wsgi.OPTS, group=MIDDLEWARE_GROUP)


def list_opts():
    set_defaults()
    return [(CORS_GROUP, cors.OPTS), (MIDDLEWARE_GROUP, http_proxy_to_wsgi.OPTS)]
