"""Entry point for oslo-config-generator (namespace ``masakari_ha.monitors``)."""

import collections

from monitors.conf import option_modules


def list_opts():
    """Every monitor option group, merged across modules, in declaration order."""
    grouped = collections.OrderedDict()
    for module in option_modules():
        for group, opts in module.list_opts():
            grouped.setdefault(group, []).extend(opts)
    return list(grouped.items())
