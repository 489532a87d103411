"""The whole product in simulation: what ``masakari-ha-all`` runs when no ``[nova]`` is set.

``cloud``    starts the Keystone, Nova and MAAS emulators, points the service's ``[nova]``,
             ``[keystone_authtoken]``, ``[fencing]`` and ``[maas]`` at them, prints the banner.
``nodes``    simulated compute nodes: a pacemaker cluster watched by the real host-monitor
             decision code and libvirt guests whose crashes go through the real instance
             monitor's event table; both deliver through the monitors' spool and sender.
``control``  the control API ``masakari-ha-sim`` talks to (status, crash, kill, revive).
``cli``      ``masakari-ha-sim``.
"""
