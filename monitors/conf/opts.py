"""Entry point for oslo-config-generator (namespace ``masakari_ha.monitors``)."""

import collections

from monitors.conf import option_modules


def list_opts():
    """Every monitor option group, merged across modules, in declaration order."""
    groups: dict[str, object] = {}
    grouped: dict[str, list] = collections.OrderedDict()
    for module in option_modules():
        for group, opts in module.list_opts():
            name = getattr(group, "name", group)
            groups.setdefault(name, group)
            grouped.setdefault(name, []).extend(opts)
    return [(groups[name], opts) for name, opts in grouped.items()]
