"""monitors.loop: the monitors' shared main loop."""

import threading

from monitors import loop


def test_failing_cycle_is_logged_and_the_loop_goes_on(caplog):
    stop = threading.Event()
    calls = []
    pauses = []

    def cycle():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bad sample")
        if len(calls) == 3:
            stop.set()

    def pause(elapsed):
        pauses.append(elapsed)
        return 0.0

    loop.run_loop("test monitor", cycle, stop, pause)
    assert len(calls) == 3 and len(pauses) == 3
    assert "test monitor cycle failed; continuing" in caplog.text
    assert "RuntimeError: bad sample" in caplog.text


def test_stop_before_start_runs_nothing():
    stop = threading.Event()
    stop.set()
    loop.run_loop("x", lambda: (_ for _ in ()).throw(AssertionError("ran")), stop,
                  loop.fixed_delay(1))


def test_pacing():
    assert loop.fixed_rate(10)(3.5) == 6.5        # next cycle 10 s after this one started
    assert loop.fixed_rate(10)(12) == -2          # late: run_loop waits max(0, ...)
    assert loop.fixed_delay(10)(3.5) == 10


def test_stop_interrupts_the_pause():
    stop = threading.Event()
    t = threading.Thread(target=loop.run_loop, args=("x", stop.set, stop, loop.fixed_delay(60)))
    t.start()
    t.join(5)
    assert not t.is_alive()
