"""Upstream masakari-monitors' libvirt event → notification table, as data.

The engine acts only on a few ``(event, vir_domain_event)`` pairs (LIFECYCLE/STOPPED_FAILED,
IO_ERROR/IO_ERROR_REPORT, QEMU_GUEST_AGENT_ERROR/STOPPED_FAILED); the strings must match
upstream exactly, so the whole table is kept verbatim, keyed by libvirt's numeric constants
(the values are part of libvirt's stable ABI; tests check them against libvirt-python).
Pure module: importable without libvirt.
"""

# libvirt event IDs (VIR_DOMAIN_EVENT_ID_*)
ID_LIFECYCLE = 0
ID_REBOOT = 1
ID_RTC_CHANGE = 2
ID_WATCHDOG = 3
ID_IO_ERROR = 4
ID_GRAPHICS = 5
ID_IO_ERROR_REASON = 6
ID_CONTROL_ERROR = 7

# VIR_DOMAIN_EVENT_* lifecycle event types
LC_SUSPENDED = 3
LC_STOPPED = 5
LC_SHUTDOWN = 6

# The event IDs the monitor registers, with the name used in the payload's 'event'.
# (Upstream also registers RTC_CHANGE, GRAPHICS and DISK_CHANGE but has no table entry for
# them, so they can never produce a notification; they are not registered here.)
EVENT_IDS = {
    ID_LIFECYCLE: "LIFECYCLE",
    ID_REBOOT: "REBOOT",
    ID_WATCHDOG: "WATCHDOG",
    ID_IO_ERROR: "IO_ERROR",
    ID_IO_ERROR_REASON: "IO_ERROR_REASON",
    ID_CONTROL_ERROR: "CONTROL_ERROR",
}

_ANY = -1

# (event id, event type / action, detail) -> vir_domain_event
TABLE: dict[tuple[int, int, int], str] = {
    (ID_LIFECYCLE, LC_SUSPENDED, 2): "SUSPENDED_IOERROR",
    (ID_LIFECYCLE, LC_SUSPENDED, 3): "SUSPENDED_WATCHDOG",
    (ID_LIFECYCLE, LC_SUSPENDED, 6): "SUSPENDED_API_ERROR",
    (ID_LIFECYCLE, LC_STOPPED, 0): "STOPPED_SHUTDOWN",
    (ID_LIFECYCLE, LC_STOPPED, 1): "STOPPED_DESTROYED",
    (ID_LIFECYCLE, LC_STOPPED, 5): "STOPPED_FAILED",
    (ID_LIFECYCLE, LC_SHUTDOWN, 0): "SHUTDOWN_FINISHED",
    (ID_REBOOT, _ANY, _ANY): "UNKNOWN",
    (ID_WATCHDOG, 0, _ANY): "WATCHDOG_NONE",
    (ID_WATCHDOG, 1, _ANY): "WATCHDOG_PAUSE",
    (ID_WATCHDOG, 2, _ANY): "WATCHDOG_RESET",
    (ID_WATCHDOG, 3, _ANY): "WATCHDOG_POWEROFF",
    (ID_WATCHDOG, 4, _ANY): "WATCHDOG_SHUTDOWN",
    (ID_WATCHDOG, 5, _ANY): "WATCHDOG_DEBUG",
    (ID_IO_ERROR, 0, _ANY): "IO_ERROR_NONE",
    (ID_IO_ERROR, 1, _ANY): "IO_ERROR_PAUSE",
    (ID_IO_ERROR, 2, _ANY): "IO_ERROR_REPORT",
    (ID_IO_ERROR_REASON, _ANY, _ANY): "UNKNOWN",
    (ID_CONTROL_ERROR, _ANY, _ANY): "UNKNOWN",
}


def lookup(event_id: int, event_type: int = _ANY, detail: int = _ANY) -> tuple[str, str] | None:
    """``(event, vir_domain_event)`` for a libvirt callback, or None when upstream drops it.

    Callers pass what the callback got: LIFECYCLE (event, detail); WATCHDOG and IO_ERROR
    (action, -1); the others (-1, -1).
    """
    name = EVENT_IDS.get(event_id)
    if name is None:
        return None
    vde = TABLE.get((event_id, event_type, detail))
    if vde is None:
        return None
    return name, vde


# Resync after a reconnect: the shut-off reasons (VIR_DOMAIN_SHUTOFF_*) and the CRASHED
# state that mean "the guest died", reported as the LIFECYCLE/STOPPED_FAILED the engine
# recovers. Deliberate stops (SHUTDOWN 1, DESTROYED 2, MIGRATED 4, SAVED 5, FROM_SNAPSHOT 7)
# are not reported.
STATE_SHUTOFF = 5
STATE_CRASHED = 6
SHUTOFF_FAILURE_REASONS = {0: "UNKNOWN", 3: "CRASHED", 6: "FAILED", 8: "DAEMON"}
RESYNC_EVENT = ("LIFECYCLE", "STOPPED_FAILED")


def resync_failure(state: int, reason: int) -> str | None:
    """Why a domain we knew running counts as *failed* now (None: not a failure).

    ``state``/``reason`` are ``virDomain.state()``; running, paused etc. are not failures.
    """
    if state == STATE_CRASHED:
        return "CRASHED"
    if state == STATE_SHUTOFF and reason in SHUTOFF_FAILURE_REASONS:
        return SHUTOFF_FAILURE_REASONS[reason]
    return None
