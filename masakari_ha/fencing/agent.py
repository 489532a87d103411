"""``fence_maas``: a pacemaker fence agent that powers nodes off through MAAS, verified.

Pacemaker (``stonith:fence_maas``) runs it without arguments and writes the options on stdin,
e.g. for a dead pacemaker-remote node::

    action=reboot
    port=remote1
    nodename=remote1
    url=http://127.0.0.1:15240/MAAS
    api_key_file=/etc/masakari-ha/maas.key

By hand: ``fence_maas -o status -n remote1 --url http://... --api-key-file /path``.

Exit codes (fence-agents convention): 0 success; 1 failure (including "could not verify");
``status``: 0 on, 2 off, 1 unknown/unreachable. ``reboot`` succeeds once the off half is
verified (a failed power-on afterwards is reported but does not fail the fencing).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Optional, TextIO

from masakari_ha.fencing import agent_options as opts
from masakari_ha.fencing import maas, verify
from masakari_ha.fencing.base import FencingError, PowerState

LOG = logging.getLogger("fence_maas")

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_OFF = 2

KEY_FLAG_WARNING = ("warning: --api-key is visible in the process list; use --api-key-file or "
                    "pass api_key=... on stdin")


def read_options(argv: list, stdin: TextIO) -> tuple:
    """Options from the command line, or from stdin when there are no arguments.

    Returns ``(values, key_on_command_line)``.
    """
    if argv:
        values = opts.parse_argv(argv)
        return values, "api_key" in values
    if stdin is None or stdin.isatty():
        raise opts.UsageError("no options: give flags (see --help) or key=value lines on stdin")
    return opts.parse_stdin(stdin), False


def _api_key(config: opts.AgentConfig) -> maas.ApiKey:
    if config.api_key:
        return maas.ApiKey.parse(config.api_key)
    if config.api_key_file:
        return maas.ApiKey.from_file(config.api_key_file)
    raise maas.MaasKeyError("api_key_file (or api_key on stdin) is required")


def make_client(config: opts.AgentConfig) -> maas.MaasClient:
    """A MAAS client for the agent's options. :raises FencingError subclasses: bad config."""
    if not config.url:
        raise opts.UsageError("url is required (MAAS URL, e.g. http://maas:5240/MAAS)")
    return maas.MaasClient(config.url, _api_key(config),
                           request_timeout=config.request_timeout, verify=config.verify)


def _check_target(config: opts.AgentConfig) -> str:
    if not config.host:
        raise opts.UsageError(f"action {config.action} needs the target host (plug/port/nodename)")
    if config.hostnames:
        allowed = {h.split(".", 1)[0].lower() for h in config.hostnames}
        if config.host.split(".", 1)[0].lower() not in allowed:
            raise opts.UsageError(
                f"host {config.host} is not one of this device's hostnames ({' '.join(config.hostnames)})"
            )
    return config.host


def _policy(config: opts.AgentConfig) -> verify.VerifyPolicy:
    return verify.VerifyPolicy(timeout=config.power_timeout, poll_interval=config.poll_interval,
                               power_wait=config.power_wait)


def do_off(client: maas.MaasClient, config: opts.AgentConfig, host: str) -> int:
    result = verify.fence(client, host, f"{config.comment}: {config.action} {host}", _policy(config))
    if result.fenced:
        LOG.info("Success: %s is powered off", host)
        return EXIT_OK
    LOG.error("Failed: %s NOT confirmed off: %s", host, result.reason)
    return EXIT_FAIL


def do_on(client: maas.MaasClient, config: opts.AgentConfig, host: str) -> int:
    result = verify.power_on(client, host, f"{config.comment}: {config.action} {host}",
                             _policy(config))
    if result.power_state == PowerState.ON:
        LOG.info("Success: %s is powered on", host)
        return EXIT_OK
    LOG.error("Failed: %s NOT confirmed on: %s", host, result.reason)
    return EXIT_FAIL


def do_reboot(client: maas.MaasClient, config: opts.AgentConfig, host: str) -> int:
    if do_off(client, config, host) != EXIT_OK:
        return EXIT_FAIL
    if do_on(client, config, host) != EXIT_OK:
        LOG.warning("%s was fenced (off verified) but did not come back on", host)
    return EXIT_OK


def do_status(client: maas.MaasClient, config: opts.AgentConfig, host: str) -> int:
    state = client.query_power_state(host)
    print(f"Status: {state.value.upper()}")
    if state == PowerState.ON:
        return EXIT_OK
    if state == PowerState.OFF:
        return EXIT_OFF
    LOG.error("MAAS reports power state %s for %s", state.value, host)
    return EXIT_FAIL


def do_monitor(client: maas.MaasClient, config: opts.AgentConfig) -> int:
    client.version()
    who = client.whoami()
    LOG.debug("MAAS at %s answers and accepts the key (user %s)", client.base_url,
             who.get("username", "?"))
    for host in config.hostnames:
        client.system_id(host)
    return EXIT_OK


def do_list(client: Optional[maas.MaasClient], config: opts.AgentConfig) -> int:
    if config.hostnames:
        names = list(config.hostnames)
    else:
        names = sorted(str(m.get("hostname")) for m in client.list_machines())
    for name in names:
        print(name)
    return EXIT_OK


def run(config: opts.AgentConfig) -> int:
    """Carry out one action. Returns the exit code."""
    if config.action == "metadata":
        sys.stdout.write(opts.metadata_xml())
        return EXIT_OK
    if config.action == "list" and config.hostnames and not config.url:
        return do_list(None, config)
    client = make_client(config)
    if config.action == "validate-all":
        if config.host:
            _check_target(config)
        LOG.info("options are valid")
        return EXIT_OK
    if config.action == "monitor":
        return do_monitor(client, config)
    if config.action == "list":
        return do_list(client, config)
    host = _check_target(config)
    if config.action == "status":
        return do_status(client, config, host)
    if config.delay > 0 and config.action in ("off", "reboot"):
        LOG.info("waiting delay=%g s before fencing %s", config.delay, host)
        time.sleep(config.delay)
    if config.action == "off":
        return do_off(client, config, host)
    if config.action == "on":
        return do_on(client, config, host)
    return do_reboot(client, config, host)


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("fence_maas: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("urllib3",):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def main(argv: Optional[list] = None, stdin: Optional[TextIO] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stdin = sys.stdin if stdin is None else stdin
    if argv and argv[0] in ("-h", "--help"):
        print(opts.usage())
        return EXIT_OK
    try:
        values, key_on_cli = read_options(argv, stdin)
        config = opts.build_config(values, key_on_cli)
    except opts.UsageError as exc:
        print(f"fence_maas: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    _setup_logging(config.verbose)
    if config.key_on_command_line:
        print(f"fence_maas: {KEY_FLAG_WARNING}", file=sys.stderr)
    LOG.debug("action=%s host=%s url=%s", config.action, config.host or "-", config.url or "-")
    try:
        return run(config)
    except opts.UsageError as exc:
        LOG.error("%s", exc)
    except FencingError as exc:
        LOG.error("%s: %s", config.action, exc)
    except Exception as exc:  # the agent must answer with an exit code, never a traceback
        LOG.error("%s failed unexpectedly: %s", config.action, type(exc).__name__)
        LOG.debug("details", exc_info=True)
    return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
