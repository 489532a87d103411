"""How busy the machine is before a benchmark starts.

The benchmarks run servers, databases and load generators on one small machine, so any other
load (an e2e bed left running: pacemaker, remote nodes and their host monitors, Nova, RabbitMQ)
takes CPU from the systems measured and widens the tails at 8 clients. Measured here in
alternating windows on one API: a single host monitor polling crm_mon every second cost our
intake at 8 clients on PostgreSQL 6 % of its throughput and 8 % on its p99. The benchmark
reports the load it found before starting, so a reader can tell.
"""

from __future__ import annotations

import os
import time

# More than this many CPUs' worth of other work before the start is worth a warning.
BUSY_WARNING_CPUS = 0.15


def _cpu_times() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)   # idle + iowait
    total = sum(fields[:8])                                      # guest time is inside user
    return total - idle, total


def busy_cpus(seconds: float = 2.0) -> float:
    """CPUs' worth of work the machine did over the next ``seconds`` (0.0 when idle)."""
    busy0, total0 = _cpu_times()
    time.sleep(seconds)
    busy1, total1 = _cpu_times()
    if total1 == total0:
        return 0.0
    return (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1)


def background_load_note(busy: float) -> str:
    """One line for the report: the load found, and a warning when it is high."""
    note = f"other load before the start: {busy:.2f} CPUs"
    if busy > BUSY_WARNING_CPUS:
        note += (" -- WARNING: the machine is not idle (an e2e bed still up? tools/*.sh down); "
                 "the 8-client tails and ratios move with it")
    return note
