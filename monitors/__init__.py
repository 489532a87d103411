"""Compute-node monitors of masakari_ha: host (pacemaker), instance (libvirt), process.

Every monitor detects a failure, writes the notification to an on-disk spool and lets the
shared sender thread (``monitors.notifier``) deliver it to the API, so detection never waits
for the network and nothing is lost when the API or the monitor itself restarts.
"""
