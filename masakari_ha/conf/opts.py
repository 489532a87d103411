"""Entry point for oslo-config-generator: every option of the service, by group."""

from masakari_ha import conf


def list_opts():
    """Return ``[(group, [opts])]`` merged across all option modules."""
    merged: dict = {}
    for module in conf.option_modules():
        for group, opts in module.list_opts():
            merged.setdefault(group, []).extend(opts)
    return sorted(merged.items(), key=lambda item: (item[0] != "DEFAULT", item[0]))
