"""The shared connection counts behind BalancedThreadWorker: slots, live workers only."""

import os
import subprocess
import sys

import pytest

from masakari_ha.api import balanced_worker as bw


@pytest.fixture
def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(autouse=True)
def empty_slots():
    for slot in range(bw.SLOTS):
        bw._pids[slot] = 0
        bw._conns[slot] = 0
    yield
    for slot in range(bw.SLOTS):
        bw._pids[slot] = 0
        bw._conns[slot] = 0


def test_a_worker_ahead_of_a_live_worker_defers(dead_pid):
    mine = bw.claim_slot(os.getpid())
    other = bw.claim_slot(os.getppid())
    bw._conns[mine], bw._conns[other] = 3, 2
    assert bw.another_worker_has_fewer(mine)
    assert not bw.another_worker_has_fewer(other)
    bw._conns[other] = 3
    assert not bw.another_worker_has_fewer(mine)   # equal: both may accept


def test_dead_workers_neither_hold_back_nor_keep_their_slot(dead_pid):
    gone, mine = 0, 1
    bw._pids[gone], bw._conns[gone] = dead_pid, 0
    bw._pids[mine], bw._conns[mine] = os.getpid(), 5
    assert not bw.another_worker_has_fewer(mine)
    assert bw.claim_slot(os.getppid()) == gone   # the dead worker's slot is reused
    assert bw._conns[gone] == 0


def test_release_frees_the_slot():
    slot = bw.claim_slot(os.getpid())
    bw._conns[slot] = 4
    bw.release(os.getpid())
    assert (bw._pids[slot], bw._conns[slot]) == (0, 0)
