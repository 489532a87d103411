"""oslo.policy enforcement: one Enforcer per configuration, rules from :mod:`policies`.

Every request is checked against the rules (per request, as upstream). What is not done
per request is looking at the disk: oslo.policy's ``Enforcer.load_rules`` (called by every
``enforce``) looks for the policy file in the config directories, stats it and stats every
``policy_dirs`` directory. :class:`Enforcer` does that at most once per
:data:`RULES_RECHECK_SECONDS`, so an edited policy file takes effect within that time
instead of at the next request.
"""

import threading
import time

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from masakari_ha import exception
from masakari_ha.api import policies
from masakari_ha.context import RequestContext

_lock = threading.Lock()
_enforcers: dict[int, oslo_policy.Enforcer] = {}

RULES_RECHECK_SECONDS = 1.0


class Enforcer(oslo_policy.Enforcer):
    """oslo.policy's Enforcer, looking for policy file changes at most once a second.

    Rules set or registered in process make the next ``enforce`` load the rules in full.
    """

    _checked_at: float | None = None

    def load_rules(self, force_reload: bool = False) -> None:
        now = time.monotonic()
        if (not force_reload and self.rules and self._checked_at is not None
                and now - self._checked_at < RULES_RECHECK_SECONDS):
            return
        super().load_rules(force_reload)
        self._checked_at = now

    # Rules changed in process (not on disk) are loaded by the next enforce, as upstream.
    def set_rules(self, *args, **kwargs) -> None:
        super().set_rules(*args, **kwargs)
        self._checked_at = None

    def register_default(self, default) -> None:
        super().register_default(default)
        self._checked_at = None


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
            enforcer = Enforcer(conf)
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
