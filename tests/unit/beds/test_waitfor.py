"""tools/lib.sh's waitfor: its limit is seconds of wall-clock time, however long the condition
itself takes (it once counted 0.2 s polls, so a condition taking a second stretched a 240 s limit
to half an hour, which is how a CI run sat on a bed that could never come up)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

LIB = Path(__file__).resolve().parents[3] / "tools" / "lib.sh"


def _waitfor(cond: str, limit: int) -> tuple[int, float]:
    t0 = time.monotonic()
    rc = subprocess.run(["bash", "-c", f'. "{LIB}"; waitfor "{cond}" {limit}'], timeout=60).returncode
    return rc, time.monotonic() - t0


def test_a_slow_false_condition_gives_up_after_the_limit_not_after_limit_times_five_polls():
    rc, took = _waitfor("sleep 1; false", 2)
    assert rc == 1
    assert took < 8          # polls counted: 10 polls of 1.2 s = 12 s


def test_a_condition_that_becomes_true_returns_at_once(tmp_path):
    flag = tmp_path / "flag"
    subprocess.Popen(["bash", "-c", f"sleep 0.5; touch {flag}"])
    rc, took = _waitfor(f"[ -e {flag} ]", 30)
    assert rc == 0
    assert took < 10
