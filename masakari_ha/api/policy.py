"""oslo.policy enforcement: one Enforcer per configuration, rules from :mod:`policies`.

Every request is authorized against the rules, as upstream. Two things are not done per
request:

* looking at the disk: oslo.policy's ``Enforcer.load_rules`` (called by every
  ``enforce``) looks for the policy file in the config directories, stats it and stats
  every ``policy_dirs`` directory. :class:`Enforcer` does that at most once per
  :data:`RULES_RECHECK_SECONDS`, so an edited policy file takes effect within that time
  instead of at the next request;
* evaluating the same rule for the same credentials and target again: a decision depends
  on nothing else as long as every check in the rules is one oslo.policy evaluates
  locally (roles, generic matches, rule references, and/or/not). :meth:`Enforcer.allowed`
  keeps such decisions until the rules are next looked at. Rules that contain any other
  check (``http:``/``https:`` or a custom registered one) are evaluated on every request.
  oslo.policy inspects the signature of every check it calls, so a cached decision saves
  most of the cost of an authorization.
"""

import threading
import time
from collections.abc import Mapping

from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import policy as oslo_policy

from masakari_ha import exception
from masakari_ha.api import policies
from masakari_ha.context import RequestContext

_lock = threading.Lock()
_enforcers: dict[int, "Enforcer"] = {}

RULES_RECHECK_SECONDS = 1.0
MAX_CACHED_DECISIONS = 4096

# Checks whose result depends only on the rules, the target and the credentials.
_LOCAL_CHECKS = (_checks.TrueCheck, _checks.FalseCheck, _checks.RoleCheck, _checks.GenericCheck,
                 _checks.RuleCheck, _checks.AndCheck, _checks.OrCheck, _checks.NotCheck)


def _only_local_checks(check) -> bool:
    """True when ``check`` and everything below it is evaluated from its inputs alone."""
    if type(check) not in _LOCAL_CHECKS:
        return False
    children = getattr(check, "rules", None) or ([check.rule] if isinstance(check, _checks.NotCheck) else [])
    return all(_only_local_checks(child) for child in children)


def _frozen(values: Mapping) -> tuple:
    """A hashable form of a target or credentials dict (TypeError for unhashable values)."""
    items = tuple(sorted((key, tuple(value) if isinstance(value, list) else value)
                         for key, value in values.items()))
    hash(items)
    return items


class Enforcer(oslo_policy.Enforcer):
    """oslo.policy's Enforcer, looking for policy file changes at most once a second.

    Rules set or registered in process make the next ``enforce`` load the rules in full.
    """

    _checked_at: float | None = None
    # decisions made since the rules were last looked at; None: the rules are not cacheable
    _decisions: dict | None = None

    def load_rules(self, force_reload: bool = False) -> None:
        now = time.monotonic()
        if (not force_reload and self.rules and self._checked_at is not None
                and now - self._checked_at < RULES_RECHECK_SECONDS):
            return
        self._decisions = None
        super().load_rules(force_reload)
        if all(_only_local_checks(check) for check in self.rules.values()):
            self._decisions = {}
        self._checked_at = now

    # Rules changed in process (not on disk) are loaded by the next enforce, as upstream.
    def set_rules(self, *args, **kwargs) -> None:
        self._decisions = None
        super().set_rules(*args, **kwargs)
        self._checked_at = None

    def register_default(self, default) -> None:
        self._decisions = None
        super().register_default(default)
        self._checked_at = None

    def clear(self) -> None:
        self._decisions = None
        super().clear()
        self._checked_at = None

    def allowed(self, action: str, target: Mapping, creds: Mapping) -> bool:
        """Whether ``action`` on ``target`` is allowed for ``creds`` (an invalid scope is not)."""
        self.load_rules()
        decisions = self._decisions
        key = None
        if decisions is not None:
            try:
                key = (action, _frozen(target), _frozen(creds))
            except TypeError:
                key = None
            else:
                decision = decisions.get(key)
                if decision is not None:
                    return decision
        try:
            decision = bool(self.enforce(action, target, creds, do_raise=False))
        except oslo_policy.InvalidScope:
            decision = False
        if key is not None:
            if len(decisions) >= MAX_CACHED_DECISIONS:
                decisions.clear()
            decisions[key] = decision
        return decision


def get_enforcer(conf: cfg.ConfigOpts | None = None) -> "Enforcer":
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


def check_is_admin(enforcer: Enforcer, credentials: dict) -> bool:
    """Whether ``context_is_admin`` passes for these credentials."""
    return enforcer.allowed("context_is_admin", {}, credentials)


def authorize(enforcer: Enforcer, context: RequestContext, action: str,
              target: dict | None = None) -> None:
    """Raise PolicyNotAuthorized (403) unless ``action`` is allowed for ``context``."""
    target = target or {"project_id": context.project_id, "user_id": context.user_id}
    if not enforcer.allowed(action, target, context.policy_target()):
        raise exception.PolicyNotAuthorized(action=action)
