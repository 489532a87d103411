"""Run the Keystone and Nova emulators in the foreground (demo, benchmarks, manual testing).

    python -m masakari_ha.simulator --hosts compute-1,compute-2 --servers-per-host 3 \
        --port-base 15100

Keystone listens on port-base, Nova on port-base + 1. Prints the credentials, the URLs and the
control API; stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from masakari_ha.simulator.environment import start_simulators
from masakari_ha.simulator.nova import latency as latency_mod


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m masakari_ha.simulator",
                                     description="Keystone v3 + Nova emulators.")
    parser.add_argument("--hosts", default="compute-1,compute-2,compute-3",
                        help="comma-separated compute host names (default: %(default)s)")
    parser.add_argument("--servers-per-host", type=int, default=3,
                        help="active HA_Enabled guests created on each host (default: 3)")
    parser.add_argument("--port-base", type=int, default=15100,
                        help="Keystone on this port, Nova on the next (default: 15100; 0 = "
                             "ephemeral ports)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--latency", default="realistic", choices=sorted(latency_mod.PROFILES),
                        help="latency profile (default: %(default)s)")
    parser.add_argument("--service-down-time", type=float, default=60.0,
                        help="seconds without report before a compute counts as down (Nova's "
                             "service_down_time; default 60)")
    parser.add_argument("--token-ttl", type=float, default=3600.0,
                        help="seconds a Keystone token stays valid (default 3600)")
    parser.add_argument("--max-limit", type=int, default=1000,
                        help="Nova's [api] max_limit: largest server list page (default 1000)")
    parser.add_argument("--instance-ha-url", default=None,
                        help="catalog URL for service type instance-ha (masakari API)")
    parser.add_argument("--control-token", default=None,
                        help="require this X-Sim-Token on /_sim control calls")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as one line of JSON (for scripts)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    hosts = [h.strip() for h in args.hosts.split(",") if h.strip()]
    if args.servers_per_host < 0:
        print("error: --servers-per-host must not be negative", file=sys.stderr)
        return 2
    if args.token_ttl <= 0 or args.max_limit < 1 or args.service_down_time < 0:
        print("error: --token-ttl and --max-limit must be positive, --service-down-time not "
              "negative", file=sys.stderr)
        return 2
    if not 0 <= args.port_base < 32767:
        print("error: --port-base must be between 0 and 32766", file=sys.stderr)
        return 2
    nova_port = args.port_base + 1 if args.port_base else 0
    try:
        env = start_simulators(hosts=hosts, servers_per_host=args.servers_per_host,
                               keystone_port=args.port_base, nova_port=nova_port,
                               bind=args.bind, latency=args.latency,
                               service_down_time=args.service_down_time,
                               token_ttl=args.token_ttl, max_limit=args.max_limit,
                               instance_ha_url=args.instance_ha_url,
                               control_token=args.control_token)
    except OSError as exc:
        print(f"error: cannot listen on {args.bind}:{args.port_base}/{nova_port}: {exc}",
              file=sys.stderr)
        return 1
    summary = {"keystone": env.keystone_url, "nova": env.nova_url,
               "control": env.nova_base_url + "/_sim", "hosts": hosts,
               "servers": env.cloud.summary()["servers"], "environment": env.environ()}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"keystone  {env.auth_url}")
        print(f"nova      {env.nova_url}")
        print(f"control   {env.nova_base_url}/_sim  (state, hosts/<h>/kill, hosts/<h>/restart, "
              "faults, latency, counters)")
        print(f"hosts     {', '.join(hosts)}  ({summary['servers']} guests)")
        for key, value in env.environ().items():
            print(f"export {key}={value}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    env.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
