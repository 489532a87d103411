"""fence_maas's options: one table drives stdin parsing, command-line flags and metadata XML.

Fence-agent conventions (ClusterLabs fence-agents): pacemaker-fenced runs the agent with no
arguments and writes ``key=value`` lines on stdin (``#`` comments and blank lines ignored,
the last duplicate wins, unknown keys ignored); a human runs it with flags
(``-o reboot -n node1 --url ...``). The same option names work both ways: a flag
``--power-timeout`` is the stdin key ``power_timeout``.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Iterable, Optional
from xml.sax.saxutils import quoteattr, escape

ACTIONS = ("off", "on", "reboot", "status", "monitor", "list", "metadata", "validate-all")


@dataclasses.dataclass(frozen=True)
class Option:
    """One agent parameter.

    ``flags``: command-line spellings; ``aliases``: further stdin keys meaning the same;
    ``kind``: string | integer | second | boolean (metadata content type).
    """

    name: str
    flags: tuple
    help: str
    kind: str = "string"
    default: Optional[str] = None
    aliases: tuple = ()
    metavar: str = ""
    deprecated: bool = False
    obsoletes: str = ""
    in_metadata: bool = True


OPTIONS = (
    Option("action", ("-o", "--action"), "Fencing action", default="reboot", metavar="action"),
    Option("plug", ("-n", "--plug"), "Host (MAAS hostname, short or FQDN) to act on",
           metavar="id", obsoletes="port"),
    Option("port", ("--port",), "Host to act on (same as plug)", metavar="id",
           deprecated=True),
    Option("nodename", ("--nodename",), "Cluster node name of the target (used when neither "
           "plug nor port is given)", metavar="name"),
    Option("url", ("--url",), "MAAS URL, e.g. https://maas.example:5240/MAAS",
           metavar="url", aliases=("maas_url",)),
    Option("api_key_file", ("--api-key-file",), "File holding the MAAS API key "
           "consumer_key:token_key:token_secret (recommended)", metavar="path"),
    Option("api_key", ("--api-key",), "MAAS API key consumer_key:token_key:token_secret "
           "(on stdin only: as a flag it is visible in the process list)",
           metavar="key", aliases=("apikey",)),
    Option("hostnames", ("--hostnames",), "Hosts this device may fence, separated by spaces "
           "or commas; 'list' prints them and other hosts are refused",
           metavar="hosts", aliases=("pcmk_host_list",)),
    Option("power_timeout", ("--power-timeout",), "Seconds within which MAAS must report the "
           "new power state after off/on", kind="second", default="90", metavar="seconds"),
    Option("power_wait", ("--power-wait",), "Seconds to wait after sending off/on before "
           "the first power-state query", kind="second", default="0", metavar="seconds"),
    Option("poll_interval", ("--poll-interval",), "Seconds between two live power-state "
           "queries", kind="second", default="2", metavar="seconds"),
    Option("request_timeout", ("--request-timeout", "--timeout"), "Seconds for one HTTP "
           "request to MAAS", kind="second", default="65", metavar="seconds",
           aliases=("timeout",)),
    Option("delay", ("--delay",), "Seconds to wait before fencing", kind="second",
           default="0", metavar="seconds"),
    Option("ssl_insecure", ("--ssl-insecure",), "Do not verify the MAAS TLS certificate",
           kind="boolean", default="0"),
    Option("cafile", ("--cafile",), "CA bundle to verify the MAAS certificate", metavar="path"),
    Option("comment", ("--comment",), "Comment recorded by MAAS with each power action",
           default="fence_maas (pacemaker STONITH)", metavar="text"),
    Option("verbose", ("-v", "--verbose"), "Verbose output on stderr", kind="boolean",
           default="0"),
)

_BY_KEY = {}
for _option in OPTIONS:
    _BY_KEY[_option.name] = _option
    for _alias in _option.aliases:
        _BY_KEY[_alias] = _option
# fence-agents historic spelling of the action key.
_BY_KEY["option"] = _BY_KEY["action"]

TRUE_WORDS = ("1", "yes", "true", "on", "y")


class UsageError(ValueError):
    """Bad options: printed as one line on stderr, exit 1."""


def parse_stdin(lines: Iterable[str]) -> dict:
    """``key=value`` lines -> {canonical name: value}; comments/blank/unknown ignored."""
    values: dict = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        option = _BY_KEY.get(key.strip())
        if option is not None:
            values[option.name] = value.strip()
    return values


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fence_maas",
        description="Fence agent powering machines off through MAAS and confirming they are "
        "off. With no arguments, options are read as key=value lines on stdin.",
    )
    for option in OPTIONS:
        if option.kind == "boolean":
            parser.add_argument(*option.flags, dest=option.name, action="store_const",
                                const="1", help=option.help)
        else:
            parser.add_argument(*option.flags, dest=option.name, metavar=option.metavar.upper() or None,
                                help=option.help)
    return parser


def parse_argv(argv: list) -> dict:
    """Command-line flags -> {canonical name: value} (only those given).

    :raises UsageError: unknown flag or missing value.
    """
    parser = _argument_parser()

    def fail(message: str) -> None:
        raise UsageError(message)

    parser.error = fail  # type: ignore[method-assign]
    namespace = parser.parse_args(argv)
    return {k: v for k, v in vars(namespace).items() if v is not None}


def usage() -> str:
    return _argument_parser().format_help()


@dataclasses.dataclass(frozen=True)
class AgentConfig:
    """Options after defaults and type checks."""

    action: str
    host: str
    url: str
    api_key: str
    api_key_file: str
    hostnames: tuple
    power_timeout: float
    power_wait: float
    poll_interval: float
    request_timeout: float
    delay: float
    verify: object
    comment: str
    verbose: bool
    key_on_command_line: bool = False

    def __repr__(self) -> str:  # never show the key
        return f"AgentConfig(action={self.action!r}, host={self.host!r}, url={self.url!r})"


def _seconds(values: dict, name: str) -> float:
    raw = values.get(name, _BY_KEY[name].default)
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number of seconds, not {raw!r}") from None
    if number < 0:
        raise UsageError(f"{name} must not be negative")
    return number


def build_config(values: dict, key_on_command_line: bool = False) -> AgentConfig:
    """Apply defaults and check types. :raises UsageError: bad value."""
    action = values.get("action", "reboot").strip().lower()
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; valid: {', '.join(ACTIONS)}")
    host = (values.get("plug") or values.get("port") or values.get("nodename") or "").strip()
    hostnames = tuple(h for h in values.get("hostnames", "").replace(",", " ").split() if h)
    insecure = values.get("ssl_insecure", "0").strip().lower() in TRUE_WORDS
    cafile = values.get("cafile", "").strip()
    return AgentConfig(
        action=action,
        host=host,
        url=values.get("url", "").strip(),
        api_key=values.get("api_key", ""),
        api_key_file=values.get("api_key_file", "").strip(),
        hostnames=hostnames,
        power_timeout=_seconds(values, "power_timeout"),
        power_wait=_seconds(values, "power_wait"),
        poll_interval=max(0.05, _seconds(values, "poll_interval")),
        request_timeout=max(0.5, _seconds(values, "request_timeout")),
        delay=_seconds(values, "delay"),
        verify=False if insecure else (cafile or True),
        comment=values.get("comment", _BY_KEY["comment"].default),
        verbose=values.get("verbose", "0").strip().lower() in TRUE_WORDS,
        key_on_command_line=key_on_command_line,
    )


def metadata_xml() -> str:
    """The agent's metadata, valid against fence-agents' metadata.rng."""
    lines = [
        '<?xml version="1.0" ?>',
        '<resource-agent name="fence_maas" shortdesc="Fence agent for MAAS (verified power-off)">',
        "<longdesc>fence_maas powers a machine off through the MAAS 2.0 API (hard stop) and "
        "reports success only after MAAS, asking the BMC live (query_power_state), reports the "
        "machine off within power_timeout. Already off counts as success; a BMC answering "
        "unknown/error, a wrong API key, an unknown host or a timeout are failures. The API key "
        "is read from api_key_file or from api_key on stdin and is never logged.</longdesc>",
        "<vendor-url>https://maas.io</vendor-url>",
        "<parameters>",
    ]
    for option in OPTIONS:
        if not option.in_metadata:
            continue
        attrs = f'name="{option.name}" unique="0" required="0"'
        if option.deprecated:
            attrs += ' deprecated="1"'
        if option.obsoletes:
            attrs += f' obsoletes="{option.obsoletes}"'
        flags = ", ".join(option.flags)
        mixed = flags if option.kind == "boolean" else f"{flags}=[{option.metavar or 'value'}]"
        content = f'type="{option.kind}"'
        if option.default is not None:
            content += f" default={quoteattr(option.default)}"
        lines += [
            f"\t<parameter {attrs}>",
            f"\t\t<getopt mixed={quoteattr(mixed)} />",
            f"\t\t<content {content} />",
            f'\t\t<shortdesc lang="en">{escape(option.help)}</shortdesc>',
            "\t</parameter>",
        ]
    lines += ["</parameters>", "<actions>"]
    for action in ACTIONS:
        extra = ' automatic="0"' if action == "on" else ""
        lines.append(f'\t<action name="{action}"{extra} />')
    lines += ["</actions>", "</resource-agent>", ""]
    return "\n".join(lines)
