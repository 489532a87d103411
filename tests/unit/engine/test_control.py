"""Bounded polling that wakes on interruption instead of sleeping a fixed time."""

import threading
import time

import pytest

from masakari_ha.engine.control import RecoveryInterrupted, RunControl, WaitTimeout


def test_wait_returns_the_probe_value_once_true():
    values = iter([None, False, "ok"])
    assert RunControl("n").wait_for(lambda: next(values), 5, 0.001, "x") == "ok"


def test_wait_times_out_naming_the_condition():
    with pytest.raises(WaitTimeout, match="waiting for the moon"):
        RunControl("n").wait_for(lambda: None, 0.01, 0.001, "the moon")


def test_interrupt_wakes_a_waiter_at_once():
    control = RunControl("n-1")
    threading.Timer(0.05, control.interrupt, args=("lease lost",)).start()
    started = time.monotonic()
    with pytest.raises(RecoveryInterrupted, match="n-1 interrupted: lease lost"):
        control.wait_for(lambda: None, 30, 10, "never")
    assert time.monotonic() - started < 5


def test_check_raises_only_after_interrupt():
    control = RunControl("n")
    control.check()
    control.interrupt("stop")
    assert control.interrupted
    with pytest.raises(RecoveryInterrupted):
        control.check()
