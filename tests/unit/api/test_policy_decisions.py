"""Enforcer.allowed: a decision is evaluated once per look at the rules, and only when every
check in the rules is evaluated locally."""

import pytest
from oslo_policy import policy as oslo_policy

from masakari_ha.api import policy as api_policy
from masakari_ha.conf import CONF

CREATE = "os_masakari_api:notifications:create"
TARGET = {"project_id": "p1", "user_id": "u1"}


def creds(*roles: str) -> dict:
    return {"user_id": "u1", "project_id": "p1", "roles": list(roles), "is_admin": False,
            "system_scope": None, "domain_id": None}


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(api_policy.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def enforcer(clock):
    api_policy.reset()
    yield api_policy.get_enforcer(CONF)
    api_policy.reset()


@pytest.fixture
def evaluations(monkeypatch):
    """The rules oslo.policy evaluated, in order."""
    calls = []
    real = oslo_policy.Enforcer.enforce

    def counting(self, rule, target, creds, *args, **kwargs):
        calls.append(rule)
        return real(self, rule, target, creds, *args, **kwargs)

    monkeypatch.setattr(oslo_policy.Enforcer, "enforce", counting)
    return calls


def test_the_same_question_is_evaluated_once(enforcer, evaluations):
    assert enforcer.allowed(CREATE, TARGET, creds("service")) is True
    assert enforcer.allowed(CREATE, TARGET, creds("service")) is True
    assert evaluations == [CREATE]
    # other credentials, other target: their own evaluation
    assert enforcer.allowed(CREATE, TARGET, creds("member")) is False
    assert enforcer.allowed(CREATE, {"project_id": "p2", "user_id": "u1"}, creds("service")) is True
    assert enforcer.allowed(CREATE, TARGET, creds("member")) is False
    assert evaluations == [CREATE, CREATE, CREATE]


def test_decisions_are_made_again_when_the_rules_are_next_looked_at(enforcer, evaluations, clock):
    enforcer.allowed(CREATE, TARGET, creds("service"))
    clock[0] += api_policy.RULES_RECHECK_SECONDS / 2
    enforcer.allowed(CREATE, TARGET, creds("service"))
    assert len(evaluations) == 1
    clock[0] += api_policy.RULES_RECHECK_SECONDS
    enforcer.allowed(CREATE, TARGET, creds("service"))
    assert len(evaluations) == 2


def test_rules_set_in_process_replace_the_decisions(enforcer):
    assert enforcer.allowed(CREATE, TARGET, creds("service")) is True
    enforcer.set_rules(oslo_policy.Rules.from_dict({CREATE: "!"}), overwrite=False)
    assert enforcer.allowed(CREATE, TARGET, creds("service")) is False


def test_rules_with_a_remote_check_are_evaluated_every_time(enforcer, evaluations):
    enforcer.load_rules()
    # a rule nobody asks about: its http check is never called, but it makes the rule set
    # depend on something other than its inputs
    enforcer.set_rules(oslo_policy.Rules.from_dict({"os_masakari_api:remote": "http://127.0.0.1:9/check"}),
                       overwrite=False)
    assert enforcer.allowed(CREATE, TARGET, creds("service")) is True
    assert enforcer.allowed(CREATE, TARGET, creds("service")) is True
    assert evaluations == [CREATE, CREATE]


def test_unhashable_credentials_are_evaluated_without_the_cache(enforcer, evaluations):
    odd = dict(creds("service"), extra={"nested": "dict"})
    assert enforcer.allowed(CREATE, TARGET, odd) is True
    assert enforcer.allowed(CREATE, TARGET, odd) is True
    assert evaluations == [CREATE, CREATE]


def test_an_invalid_scope_is_not_allowed(enforcer, monkeypatch):
    def invalid_scope(*_args, **_kwargs):
        raise oslo_policy.InvalidScope(CREATE, ["system"], "project")

    monkeypatch.setattr(oslo_policy.Enforcer, "enforce", invalid_scope)
    assert enforcer.allowed(CREATE, TARGET, creds("service")) is False
