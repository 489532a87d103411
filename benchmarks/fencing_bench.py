"""Fencing overhead against the MAAS emulator: how long verified fencing takes beyond the BMC.

Measures, with machines whose BMC reports "off" ``--off-delay`` seconds after the request:

* engine path: ``MaasFencingDriver.power_off`` for one host, and for ``--hosts`` hosts at once
  (threads sharing one driver, as the engine's workers do);
* pacemaker path: one ``fence_maas`` process (stdin protocol, action=off), as pacemaker-fenced
  runs it, including interpreter start-up.

The interesting number is the overhead: elapsed time minus the BMC's off delay. It is bounded
by one poll interval plus request latency; the charm's plugin has no such number because it
does not wait at all.

usage: python benchmarks/fencing_bench.py [--hosts 20] [--off-delay 1.0] [--poll-interval 0.5]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import subprocess
import sys
import tempfile
import time

from masakari_ha.conf import CONF
from masakari_ha.fencing.maas_driver import MaasFencingDriver
from masakari_ha.simulator.maas import MaasEmulator

KEY = "benchConsumer:benchToken:benchSecret"


def _driver(url: str, poll: float) -> MaasFencingDriver:
    CONF([], project="masakari_ha", default_config_files=[])
    CONF.set_override("url", url, "maas")
    CONF.set_override("api_key", KEY, "maas")
    CONF.set_override("poll_interval", poll, "maas")
    CONF.set_override("power_off_timeout", 60, "maas")
    return MaasFencingDriver(CONF)


def _timed(fn) -> float:
    start = time.monotonic()
    result = fn()
    assert getattr(result, "fenced", result == 0), result
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--off-delay", type=float, default=1.0)
    parser.add_argument("--poll-interval", type=float, default=0.5)
    parser.add_argument("--query-latency", type=float, default=0.05)
    args = parser.parse_args()
    names = [f"compute{i}" for i in range(args.hosts + 2)]
    defaults = {"off_delay": args.off_delay, "query_latency": args.query_latency}
    with MaasEmulator(names, KEY, defaults=defaults) as sim:
        driver = _driver(sim.url, args.poll_interval)
        one = _timed(lambda: driver.power_off(names[0], "bench"))
        batch = names[2:]
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(len(batch)) as pool:
            times = list(pool.map(lambda h: _timed(lambda: driver.power_off(h, "bench")), batch))
        wall = time.monotonic() - start
        with tempfile.NamedTemporaryFile("w", suffix=".key") as key_file:
            key_file.write(KEY + "\n")
            key_file.flush()
            stdin = (f"action=off\nport={names[1]}\nurl={sim.url}\napi_key_file={key_file.name}\n"
                     f"poll_interval={args.poll_interval}\n")
            agent = _timed(lambda: subprocess.run(
                [sys.executable, "-m", "masakari_ha.fencing.agent"], input=stdin, text=True,
                capture_output=True).returncode)
    print(f"BMC off delay {args.off_delay:.2f} s, poll interval {args.poll_interval:.2f} s, "
          f"query latency {args.query_latency:.2f} s")
    print(f"engine driver, 1 host:        {one:.2f} s (overhead {one - args.off_delay:.2f} s)")
    print(f"engine driver, {len(batch)} hosts at once: wall {wall:.2f} s, per host median "
          f"{statistics.median(times):.2f} s, max {max(times):.2f} s")
    print(f"fence_maas process, 1 host:   {agent:.2f} s (overhead {agent - args.off_delay:.2f} s, "
          "incl. interpreter start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
