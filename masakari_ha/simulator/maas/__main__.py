"""``python -m masakari_ha.simulator.maas``: run the MAAS emulator in the foreground.

Prints one line ``maas-sim listening on http://HOST:PORT/MAAS`` once it accepts requests,
then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from masakari_ha.simulator.maas import DEFAULT_API_KEY, MaasEmulator, SimError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m masakari_ha.simulator.maas",
        description="MAAS 2.0 power API emulator (OAuth1 PLAINTEXT, failure injection).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=15240, help="port (default 15240; 0 = any)")
    parser.add_argument("--machines", default="",
                        help="comma-separated hostnames to create, powered on")
    parser.add_argument("--api-key-file",
                        help="file holding the accepted key ck:tk:ts (first line)")
    parser.add_argument("--api-key",
                        help="accepted key ck:tk:ts (visible in ps; prefer --api-key-file). "
                        f"Default: {DEFAULT_API_KEY}")
    parser.add_argument("--readonly-api-key-file",
                        help="file with a second key whose user may not power machines (403)")
    parser.add_argument("--off-delay", type=float, default=2.0,
                        help="seconds from power_off to the BMC reporting off (default 2)")
    parser.add_argument("--on-delay", type=float, default=2.0,
                        help="seconds from power_on to the BMC reporting on (default 2)")
    parser.add_argument("--query-latency", type=float, default=0.2,
                        help="seconds a live query_power_state takes (default 0.2)")
    parser.add_argument("--actions-log", help="append every power action here as a JSON line")
    parser.add_argument("--debug", action="store_true", help="log every request")
    return parser


def _read_key(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                return line.strip()
    raise SystemExit(f"error: key file {path} is empty")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        api_key = _read_key(args.api_key_file) if args.api_key_file else (args.api_key or DEFAULT_API_KEY)
        readonly = _read_key(args.readonly_api_key_file) if args.readonly_api_key_file else None
        defaults = {"off_delay": args.off_delay, "on_delay": args.on_delay,
                    "query_latency": args.query_latency}
        names = [n.strip() for n in args.machines.split(",") if n.strip()]
        sim = MaasEmulator(names, api_key, host=args.host, port=args.port,
                           readonly_api_key=readonly, actions_log=args.actions_log,
                           defaults=defaults)
    except (OSError, SimError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def _stop(*_):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sim.start()
    print(f"maas-sim listening on {sim.url}", flush=True)
    stop.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
