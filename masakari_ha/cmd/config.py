"""Shared start-up for the console scripts: options, config files, logging."""

from collections.abc import Callable, Sequence

from oslo_config import cfg
from oslo_log import log

from masakari_ha import rpc, version
from masakari_ha.conf import CONF


def _register_cli(register: Callable[[], None]) -> None:
    try:
        register()
    except cfg.ArgsAlreadyParsedError:
        # Already parsed in this process (tests calling main() twice): start over.
        CONF.clear()
        register()


def parse_args(argv: Sequence[str] | None, *, prog: str, cli_opts: Sequence[cfg.Opt] = (),
               defaults: dict | None = None) -> cfg.ConfigOpts:
    """Register logging/messaging options, apply ``defaults`` ({(group, name): value}),
    parse ``argv`` (command line without the program name) and set up logging."""
    _register_cli(lambda: log.register_options(CONF))
    for opt in cli_opts:
        _register_cli(lambda opt=opt: CONF.register_cli_opt(opt))
    rpc.register_opts(CONF)
    for (group, name), value in (defaults or {}).items():
        CONF.set_default(name, value, group=group)
    CONF(list(argv or []), project="masakari_ha", prog=prog, version=version.__version__)
    log.setup(CONF, "masakari_ha")
    return CONF


def forget_cli_opts(cli_opts: Sequence[cfg.Opt]) -> None:
    """Unregister command-specific CLI options again (so tests can reuse CONF)."""
    CONF.clear()
    for opt in cli_opts:
        try:
            CONF.unregister_opt(opt)
        except cfg.NoSuchOptError:
            pass
