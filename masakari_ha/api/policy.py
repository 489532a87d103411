"""oslo.policy enforcement: one Enforcer per configuration, rules from :mod:`policies`."""

import threading

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from masakari_ha import exception
from masakari_ha.api import policies
from masakari_ha.context import RequestContext

_lock = threading.Lock()
_enforcers: dict[int, oslo_policy.Enforcer] = {}


def get_enforcer(conf: cfg.ConfigOpts | None = None) -> oslo_policy.Enforcer:
    """The Enforcer for ``conf`` (the global CONF by default).

    Also the ``oslo.policy.enforcer`` entry point that oslopolicy-* tools call without
    arguments.
    """
    if conf is None:
        from masakari_ha.conf import CONF

        conf = CONF
    with _lock:
        enforcer = _enforcers.get(id(conf))
        if enforcer is None:
            enforcer = oslo_policy.Enforcer(conf)
            enforcer.register_defaults(policies.list_rules())
            _enforcers[id(conf)] = enforcer
        return enforcer


def reset() -> None:
    """Forget cached enforcers (tests that change policy options)."""
    with _lock:
        for enforcer in _enforcers.values():
            enforcer.clear()
        _enforcers.clear()


def check_is_admin(enforcer: oslo_policy.Enforcer, credentials: dict) -> bool:
    """Whether ``context_is_admin`` passes for these credentials."""
    return bool(enforcer.enforce("context_is_admin", {}, credentials))


def authorize(enforcer: oslo_policy.Enforcer, context: RequestContext, action: str,
              target: dict | None = None) -> None:
    """Raise PolicyNotAuthorized (403) unless ``action`` is allowed for ``context``."""
    target = target or {"project_id": context.project_id, "user_id": context.user_id}
    try:
        allowed = enforcer.enforce(action, target, context.policy_target(), do_raise=False)
    except oslo_policy.InvalidScope:
        allowed = False
    if not allowed:
        raise exception.PolicyNotAuthorized(action=action)
