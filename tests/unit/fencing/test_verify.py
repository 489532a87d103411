"""verify.fence / verify.power_on: every outcome decided from scripted MAAS answers."""

from masakari_ha.fencing import maas, verify
from masakari_ha.fencing.base import PowerState
from tests.unit.fencing.fakes import BMC_DOWN, ERROR, OFF, ON, UNKNOWN, ManualClock, ScriptedClient

POLICY = verify.VerifyPolicy(timeout=30, poll_interval=2)


def _fence(client, clock, policy=POLICY, progress=None):
    return verify.fence(client, "node1.maas", "masakari_ha fencing: n-1", policy, progress,
                        clock=clock, sleep=clock.sleep)


def test_off_after_a_few_polls_is_fenced_with_evidence():
    clock = ManualClock()
    client = ScriptedClient([ON, ON, OFF], clock=clock)
    seen = []
    result = _fence(client, clock, progress=seen.append)
    assert result.fenced is True
    assert result.power_state is PowerState.OFF
    assert result.reason == ""
    assert ("power_off", "node1.maas", "masakari_ha fencing: n-1", "hard") in client.calls
    assert [c[0] for c in client.calls].count("query") == 3
    assert clock.sleeps == [2, 2]
    assert seen == list(result.steps)
    assert "abc123" in result.detail and "'off' after 4.0 s (3 live queries)" in result.detail


def test_already_off_is_fenced_at_the_first_query():
    clock = ManualClock()
    client = ScriptedClient([OFF], power_off_answer={}, clock=clock)  # MAAS answered null
    result = _fence(client, clock)
    assert result.fenced is True
    assert any("no action was needed" in s for s in result.steps)
    assert clock.sleeps == []


def test_power_off_refused_but_host_off_counts_as_already_off():
    clock = ManualClock()
    client = ScriptedClient([OFF], power_off_error=maas.MaasConflict("refused (409)", 409), clock=clock)
    result = _fence(client, clock)
    assert result.fenced is True
    assert "already off" in result.detail


def test_power_off_refused_and_host_on_is_not_fenced():
    clock = ManualClock()
    client = ScriptedClient([ON], power_off_error=BMC_DOWN, clock=clock)
    result = _fence(client, clock)
    assert result.fenced is False
    assert "'on'" in result.reason and "503" in result.reason


def test_slow_power_off_within_the_bound_is_fenced():
    clock = ManualClock()
    client = ScriptedClient([ON] * 14 + [OFF], clock=clock)
    result = _fence(client, clock)
    assert result.fenced is True
    assert clock.now - 1000.0 == 28


def test_never_off_within_the_bound_is_a_failure_not_a_success():
    clock = ManualClock()
    client = ScriptedClient([ON], clock=clock)
    result = _fence(client, clock)
    assert result.fenced is False
    assert result.power_state is PowerState.ON
    assert "not reported off within 30 s" in result.reason
    assert "last reported state 'on'" in result.reason
    assert clock.now - 1000.0 <= 30


def test_query_latency_counts_against_the_bound():
    clock = ManualClock()
    client = ScriptedClient([ON], clock=clock, query_cost=10)
    result = _fence(client, clock)
    assert result.fenced is False
    assert clock.now - 1000.0 <= 30 + 10  # the last query may start just before the bound


def test_unknown_fails_at_once():
    clock = ManualClock()
    client = ScriptedClient([ON, UNKNOWN, OFF], clock=clock)
    result = _fence(client, clock)
    assert result.fenced is False
    assert result.power_state is PowerState.UNKNOWN
    assert "'unknown'" in result.reason and "cannot confirm" in result.reason


def test_error_fails_at_once():
    clock = ManualClock()
    result = _fence(ScriptedClient([ERROR], clock=clock), clock)
    assert result.fenced is False
    assert result.power_state is PowerState.ERROR


def test_bmc_unreachable_during_polls_is_retried_until_off():
    clock = ManualClock()
    client = ScriptedClient([BMC_DOWN, BMC_DOWN, OFF], clock=clock)
    assert _fence(client, clock).fenced is True


def test_bmc_unreachable_until_the_bound_fails_with_that_reason():
    clock = ManualClock()
    result = _fence(ScriptedClient([BMC_DOWN], clock=clock), clock)
    assert result.fenced is False
    assert "503" in result.reason


def test_wrong_key_fails_closed_without_power_action():
    clock = ManualClock()
    client = ScriptedClient([OFF], lookup_error=maas.MaasAuthError("MAAS rejected the API key (401)", 401),
                            clock=clock)
    result = _fence(client, clock)
    assert result.fenced is False
    assert "401" in result.reason
    assert not [c for c in client.calls if c[0] == "power_off"]


def test_unknown_host_fails():
    clock = ManualClock()
    client = ScriptedClient([OFF], lookup_error=maas.MaasNotFound("MAAS has no machine with hostname x"),
                            clock=clock)
    assert "no machine" in _fence(client, clock).reason


def test_power_wait_delays_the_first_query():
    clock = ManualClock()
    client = ScriptedClient([OFF], clock=clock)
    policy = verify.VerifyPolicy(timeout=30, poll_interval=2, power_wait=5)
    assert _fence(client, clock, policy).fenced is True
    assert clock.sleeps == [5]


def test_a_broken_progress_callback_does_not_change_the_outcome():
    clock = ManualClock()

    def boom(_):
        raise RuntimeError("sink down")

    assert _fence(ScriptedClient([OFF], clock=clock), clock, progress=boom).fenced is True


def test_power_on_reaches_on():
    clock = ManualClock()
    client = ScriptedClient([OFF, ON], clock=clock)
    result = verify.power_on(client, "node1", "c", POLICY, clock=clock, sleep=clock.sleep)
    assert result.power_state is PowerState.ON and result.reason == ""
    assert result.fenced is False


def test_power_on_not_reached_has_reason():
    clock = ManualClock()
    client = ScriptedClient([OFF], clock=clock)
    result = verify.power_on(client, "node1", "c", POLICY, clock=clock, sleep=clock.sleep)
    assert result.power_state is PowerState.OFF and "not reported on" in result.reason


def test_unanswered_power_off_is_settled_by_the_power_state():
    clock = ManualClock()
    client = ScriptedClient([ON, OFF], power_off_error=maas.MaasTimeout("no answer within 5 s"), clock=clock)
    result = _fence(client, clock)
    assert result.fenced is True
    assert "unanswered" in result.detail
    clock = ManualClock()
    client = ScriptedClient([ON], power_off_error=maas.MaasConnectionError("refused"), clock=clock)
    result = _fence(client, clock)
    assert result.fenced is False and "not reported off within 30 s" in result.reason
