import pytest

from masakari_ha import exception
from masakari_ha.api import auth
from masakari_ha.api import policy as api_policy
from masakari_ha.conf import CONF
from masakari_ha.context import RequestContext
from masakari_ha.rpc import context_to_dict


@pytest.fixture
def keystone_mode():
    CONF.set_override("auth_strategy", "keystone")
    api_policy.reset()
    yield CONF
    api_policy.reset()


def test_context_from_auth_token_headers(keystone_mode):
    environ = {"HTTP_X_IDENTITY_STATUS": "Confirmed", "HTTP_X_USER_ID": "u1",
               "HTTP_X_PROJECT_ID": "p1", "HTTP_X_ROLES": "Admin, member ,reader",
               "HTTP_X_AUTH_TOKEN": "tok", "HTTP_OPENSTACK_SYSTEM_SCOPE": "all"}
    context = auth.context_from_environ(environ, keystone_mode, "req-1", "req-global")
    assert (context.user_id, context.project_id) == ("u1", "p1")
    assert context.roles == ["admin", "member", "reader"]
    assert context.is_admin is True
    assert context.system_scope == "all"
    assert (context.request_id, context.global_request_id) == ("req-1", "req-global")


def test_non_admin_context(keystone_mode):
    environ = {"HTTP_X_IDENTITY_STATUS": "Confirmed", "HTTP_X_ROLES": "member"}
    assert auth.context_from_environ(environ, keystone_mode, "r", None).is_admin is False


@pytest.mark.parametrize("status", [None, "Invalid", "confirmed "])
def test_unconfirmed_identity_is_401(keystone_mode, status):
    environ = {"HTTP_X_ROLES": "admin"}
    if status:
        environ["HTTP_X_IDENTITY_STATUS"] = status
    with pytest.raises(exception.Unauthorized):
        auth.context_from_environ(environ, keystone_mode, "r", None)


@pytest.mark.parametrize("strategy", ["noauth", "noauth2"])
def test_noauth_is_admin_whatever_the_headers(strategy):
    CONF.set_override("auth_strategy", strategy)
    context = auth.context_from_environ({"HTTP_X_ROLES": "reader"}, CONF, "r", None)
    assert context.is_admin and "admin" in context.roles


def test_cast_context_never_carries_the_token():
    context = RequestContext(user_id="u", project_id="p", roles=["admin"], is_admin=True,
                             auth_token="secret", request_id="req-x", global_request_id="req-g")
    assert context_to_dict(context) == {"request_id": "req-x", "global_request_id": "req-g",
                                        "user_id": "u", "project_id": "p", "roles": ["admin"],
                                        "is_admin": True}
    assert context_to_dict(None) == {}
