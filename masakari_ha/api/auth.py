"""Who is calling: keystonemiddleware in front of /v1, or noauth for the embedded default.

``auth_strategy = keystone``: :func:`wrap_keystone` puts keystonemiddleware's
``auth_token`` (options in ``[keystone_authtoken]``) in front of the /v1 application; it
rejects missing/invalid tokens with 401 and passes the identity on as ``X-*`` headers,
from which :func:`context_from_environ` builds the RequestContext.

``auth_strategy = noauth`` / ``noauth2``: every request is an admin. Only for a service
bound to loopback or for tests; the app logs a WARNING when it is built this way.
"""

import logging

from masakari_ha import exception
from masakari_ha.api import policy
from masakari_ha.context import RequestContext, admin_context

LOG = logging.getLogger(__name__)

NOAUTH_STRATEGIES = ("noauth", "noauth2")


def is_noauth(conf) -> bool:
    return conf.auth_strategy in NOAUTH_STRATEGIES


def wrap_keystone(app, conf):
    """``app`` behind keystonemiddleware's auth_token, configured from ``conf``."""
    from keystonemiddleware import auth_token

    return auth_token.AuthProtocol(app, {"oslo_config_config": conf})


def _header(environ, name: str) -> str | None:
    value = environ.get("HTTP_" + name.upper().replace("-", "_"))
    return value if value else None


def context_from_environ(environ, conf, request_id: str, global_request_id: str | None) -> RequestContext:
    """The RequestContext of a request that passed authentication.

    In keystone mode the identity comes from auth_token's headers; a request whose
    ``X-Identity-Status`` is not ``Confirmed`` gets 401.
    """
    if is_noauth(conf):
        context = admin_context()
    else:
        if _header(environ, "X-Identity-Status") != "Confirmed":
            raise exception.Unauthorized()
        roles = [role.strip().lower() for role in (_header(environ, "X-Roles") or "").split(",")
                 if role.strip()]
        context = RequestContext(
            user_id=_header(environ, "X-User-Id"),
            project_id=_header(environ, "X-Project-Id"),
            roles=roles,
            auth_token=_header(environ, "X-Auth-Token"),
            system_scope=_header(environ, "OpenStack-System-Scope") or _header(environ, "X-System-Scope"),
            domain_id=_header(environ, "X-Domain-Id"),
        )
        context.is_admin = policy.check_is_admin(policy.get_enforcer(conf), context.policy_target())
    context.request_id = request_id
    context.global_request_id = global_request_id
    return context
