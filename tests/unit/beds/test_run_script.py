"""tests/e2e's bed-script runner: a daemon left holding the script's output must not block it,
and a timeout must say what was still running."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.e2e.conftest import run_script


def test_returns_when_the_script_exits_although_its_daemon_keeps_the_output_open():
    t0 = time.monotonic()
    proc = run_script(["bash", "-c", "sleep 8 & echo started; echo progress >&2"], timeout=20)
    assert time.monotonic() - t0 < 5
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "started\n", "progress\n")


def test_timeout_kills_the_whole_group_and_names_what_ran():
    with pytest.raises(subprocess.TimeoutExpired) as caught:
        run_script(["bash", "-c", "echo 'bed: phase one done' >&2; sleep 77"], timeout=1)
    assert "sleep 77" in caught.value.output
    assert "bed: phase one done" in caught.value.output
    assert subprocess.run(["pgrep", "-f", "sleep 77"], capture_output=True).returncode == 1
