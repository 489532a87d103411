"""``stonith:external/maas``: a cluster-glue external STONITH plugin, verified.

Drop-in for the charm-hacluster plugin of the same name, so existing configurations such as
``primitive st-maas stonith:external/maas params url=... apikey=... hostnames="a b"`` keep
working. cluster-glue runs ``<plugindir>/maas <action> [host]`` with every resource
parameter in the environment (``url``, ``apikey``, ``hostnames``; optionally
``apikey_file``, ``power_timeout``, ``poll_interval``, ``request_timeout``, ``power_wait``).

Unlike the charm's plugin, ``off`` and ``reset`` succeed only after MAAS, asked live, reports
the machine off (``reset``: off verified, then on); ``status`` checks that MAAS accepts the
key, not only that it answers. Exit status 0 = success, 1 = failure.

Installed as an executable wrapper by ``tools/install-fence-maas.sh`` (cluster-glue refuses
plugins that are writable by group or others).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Mapping, Optional

from masakari_ha.fencing import maas, verify
from masakari_ha.fencing.base import FencingError, PowerState

LOG = logging.getLogger("external/maas")

CONFIG_NAMES = ("hostnames", "url", "apikey", "apikey_file", "power_timeout", "poll_interval",
                "request_timeout", "power_wait")

DEVID = "MAAS STONITH device"
DEVNAME = "MAAS STONITH external device (masakari_ha, verified power-off)"
DEVDESCR = ("Powers machines off through the MAAS 2.0 API (hard stop) and reports success only "
            "after MAAS reports them off (live BMC query); reset = verified off, then on.")
DEVURL = "https://maas.io"

_PARAMS = (
    ("hostnames", "1", "Hostnames", "Space-separated hostnames (short or FQDN) this device can fence."),
    ("url", "1", "MAAS URL", "MAAS region URL, e.g. https://maas.example:5240/MAAS."),
    ("apikey", "0", "MAAS API key", "MAAS API key consumer_key:token_key:token_secret "
     "(stored in the CIB; prefer apikey_file)."),
    ("apikey_file", "0", "MAAS API key file", "File holding the MAAS API key (first line)."),
    ("power_timeout", "0", "Power timeout", "Seconds within which MAAS must report the machine "
     "off/on (default 90)."),
    ("poll_interval", "0", "Poll interval", "Seconds between live power-state queries (default 2)."),
    ("request_timeout", "0", "Request timeout", "Seconds for one HTTP request (default 65)."),
    ("power_wait", "0", "Power wait", "Seconds to wait after off/on before the first query (default 0)."),
)

_DEFAULTS = {"power_timeout": 90.0, "poll_interval": 2.0, "request_timeout": 65.0, "power_wait": 0.0}


class PluginError(Exception):
    """Bad configuration or usage: one line on stderr, exit 1."""


def info_xml() -> str:
    """``getinfo-xml``: the parameters block cluster-glue turns into resource metadata."""
    out = ["<parameters>"]
    for name, required, short, long in _PARAMS:
        unique = "1" if name == "hostnames" else "0"
        out += [
            f'<parameter name="{name}" unique="{unique}" required="{required}">',
            '<content type="string" />',
            f'<shortdesc lang="en">{short}</shortdesc>',
            f'<longdesc lang="en">{long}</longdesc>',
            "</parameter>",
        ]
    out.append("</parameters>")
    return "\n".join(out) + "\n"


def hostnames(env: Mapping[str, str]) -> list:
    return [h for h in env.get("hostnames", "").replace(",", " ").split() if h]


def _number(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name, "")
    if not raw:
        return _DEFAULTS[name]
    try:
        value = float(raw)
    except ValueError:
        raise PluginError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise PluginError(f"{name} must not be negative")
    return value


def make_client(env: Mapping[str, str]) -> maas.MaasClient:
    url = env.get("url", "").strip()
    if not url:
        raise PluginError("parameter url is required")
    if env.get("apikey"):
        key = maas.ApiKey.parse(env["apikey"])
    elif env.get("apikey_file"):
        key = maas.ApiKey.from_file(env["apikey_file"])
    else:
        raise PluginError("parameter apikey (or apikey_file) is required")
    return maas.MaasClient(url, key, request_timeout=_number(env, "request_timeout"))


def policy(env: Mapping[str, str]) -> verify.VerifyPolicy:
    return verify.VerifyPolicy(timeout=_number(env, "power_timeout"),
                               poll_interval=max(0.05, _number(env, "poll_interval")),
                               power_wait=_number(env, "power_wait"))


def _target(env: Mapping[str, str], host: Optional[str]) -> str:
    if not host:
        raise PluginError("this action needs the target host as second argument")
    allowed = {h.split(".", 1)[0].lower() for h in hostnames(env)}
    if allowed and host.split(".", 1)[0].lower() not in allowed:
        raise PluginError(f"host {host} is not in hostnames ({env.get('hostnames', '')})")
    return host


def _off(client, env, host: str, action: str) -> bool:
    result = verify.fence(client, host, f"external/maas {action} {host} (pacemaker STONITH)",
                          policy(env))
    if result.fenced:
        LOG.info("%s %s: MAAS reports it off", action, host)
    else:
        LOG.error("%s %s FAILED: %s", action, host, result.reason)
    return result.fenced


def _on(client, env, host: str, action: str) -> bool:
    result = verify.power_on(client, host, f"external/maas {action} {host} (pacemaker STONITH)",
                             policy(env))
    if result.power_state == PowerState.ON:
        LOG.info("%s %s: MAAS reports it on", action, host)
        return True
    LOG.error("%s %s: not confirmed on: %s", action, host, result.reason)
    return False


def run(action: str, host: Optional[str], env: Mapping[str, str]) -> int:
    """Carry out one cluster-glue action; returns the exit status."""
    static = {
        "getconfignames": "\n".join(CONFIG_NAMES),
        "getinfo-devid": DEVID,
        "getinfo-devname": DEVNAME,
        "getinfo-devdescr": DEVDESCR,
        "getinfo-devurl": DEVURL,
    }
    if action in static:
        print(static[action])
        return 0
    if action == "getinfo-xml":
        sys.stdout.write(info_xml())
        return 0
    if action == "gethosts":
        names = hostnames(env)
        if not names:
            raise PluginError("parameter hostnames is empty")
        print("\n".join(names))
        return 0
    if action not in ("on", "off", "reset", "status"):
        raise PluginError(f"unknown action {action!r}")
    client = make_client(env)
    if action == "status":
        client.version()
        who = client.whoami()
        LOG.debug("MAAS at %s accepts the key (user %s)", client.base_url, who.get("username", "?"))
        return 0
    target = _target(env, host)
    if action == "off":
        return 0 if _off(client, env, target, action) else 1
    if action == "on":
        return 0 if _on(client, env, target, action) else 1
    if not _off(client, env, target, action):
        return 1
    if not _on(client, env, target, action):
        LOG.warning("reset %s: fenced (off verified) but it did not come back on", target)
    return 0


def main(argv: Optional[list] = None, env: Optional[Mapping[str, str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("external/maas: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    if not argv:
        print("usage: maas {gethosts|on|off|reset|status|getconfignames|getinfo-devid|"
              "getinfo-devname|getinfo-devdescr|getinfo-devurl|getinfo-xml} [host]",
              file=sys.stderr)
        return 1
    action, host = argv[0], (argv[1] if len(argv) > 1 else None)
    try:
        return run(action, host, env)
    except PluginError as exc:
        LOG.error("%s", exc)
    except FencingError as exc:
        LOG.error("%s %s: %s", action, host or "", exc)
    except Exception as exc:  # answer with an exit status, never a traceback
        LOG.error("%s failed unexpectedly: %s", action, type(exc).__name__)
    return 1


if __name__ == "__main__":
    sys.exit(main())
