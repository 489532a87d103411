"""The libvirt event → (event, vir_domain_event) table must equal upstream's exactly."""

import pytest

from monitors.instance import eventtable as et

UPSTREAM = [
    # (event id, type/action, detail) -> (event, vir_domain_event)
    ((0, 3, 2), ("LIFECYCLE", "SUSPENDED_IOERROR")),
    ((0, 3, 3), ("LIFECYCLE", "SUSPENDED_WATCHDOG")),
    ((0, 3, 6), ("LIFECYCLE", "SUSPENDED_API_ERROR")),
    ((0, 5, 0), ("LIFECYCLE", "STOPPED_SHUTDOWN")),
    ((0, 5, 1), ("LIFECYCLE", "STOPPED_DESTROYED")),
    ((0, 5, 5), ("LIFECYCLE", "STOPPED_FAILED")),
    ((0, 6, 0), ("LIFECYCLE", "SHUTDOWN_FINISHED")),
    ((1, -1, -1), ("REBOOT", "UNKNOWN")),
    ((3, 0, -1), ("WATCHDOG", "WATCHDOG_NONE")),
    ((3, 1, -1), ("WATCHDOG", "WATCHDOG_PAUSE")),
    ((3, 2, -1), ("WATCHDOG", "WATCHDOG_RESET")),
    ((3, 3, -1), ("WATCHDOG", "WATCHDOG_POWEROFF")),
    ((3, 4, -1), ("WATCHDOG", "WATCHDOG_SHUTDOWN")),
    ((3, 5, -1), ("WATCHDOG", "WATCHDOG_DEBUG")),
    ((4, 0, -1), ("IO_ERROR", "IO_ERROR_NONE")),
    ((4, 1, -1), ("IO_ERROR", "IO_ERROR_PAUSE")),
    ((4, 2, -1), ("IO_ERROR", "IO_ERROR_REPORT")),
    ((6, -1, -1), ("IO_ERROR_REASON", "UNKNOWN")),
    ((7, -1, -1), ("CONTROL_ERROR", "UNKNOWN")),
]


@pytest.mark.parametrize("key,expected", UPSTREAM)
def test_upstream_rows(key, expected):
    assert et.lookup(*key) == expected


def test_table_has_exactly_upstreams_rows():
    assert len(et.TABLE) == len(UPSTREAM)


@pytest.mark.parametrize("key", [
    (0, 0, 0), (0, 1, 0), (0, 2, 0), (0, 4, 0), (0, 7, 0), (0, 8, 0),       # DEFINED..CRASHED
    (0, 3, 0), (0, 3, 1), (0, 3, 4),                                         # SUSPENDED_PAUSED..
    (0, 5, 2), (0, 5, 3), (0, 5, 4), (0, 5, 6),                             # STOPPED_CRASHED..
    (3, 6, -1),                                                              # WATCHDOG INJECTNMI
    (2, -1, -1), (5, -1, 0), (8, -1, -1),                                    # RTC, GRAPHICS, DISK
])
def test_dropped_like_upstream(key):
    assert et.lookup(*key) is None


def test_engine_whitelist_pairs_present():
    values = {et.lookup(*k) for k, _ in UPSTREAM}
    assert ("LIFECYCLE", "STOPPED_FAILED") in values
    assert ("IO_ERROR", "IO_ERROR_REPORT") in values


def test_constants_match_libvirt_python():
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python not installed (tools/venv.sh "
                                  "installs it); constant cross-check skipped")
    assert et.ID_LIFECYCLE == libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE
    assert et.ID_REBOOT == libvirt.VIR_DOMAIN_EVENT_ID_REBOOT
    assert et.ID_WATCHDOG == libvirt.VIR_DOMAIN_EVENT_ID_WATCHDOG
    assert et.ID_IO_ERROR == libvirt.VIR_DOMAIN_EVENT_ID_IO_ERROR
    assert et.ID_IO_ERROR_REASON == libvirt.VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON
    assert et.ID_CONTROL_ERROR == libvirt.VIR_DOMAIN_EVENT_ID_CONTROL_ERROR
    assert et.LC_STOPPED == libvirt.VIR_DOMAIN_EVENT_STOPPED
    assert et.LC_SUSPENDED == libvirt.VIR_DOMAIN_EVENT_SUSPENDED
    assert et.LC_SHUTDOWN == libvirt.VIR_DOMAIN_EVENT_SHUTDOWN
    assert libvirt.VIR_DOMAIN_EVENT_STOPPED_FAILED == 5
    assert libvirt.VIR_DOMAIN_EVENT_SUSPENDED_API_ERROR == 6
    assert libvirt.VIR_DOMAIN_EVENT_WATCHDOG_DEBUG == 5
    assert libvirt.VIR_DOMAIN_EVENT_IO_ERROR_REPORT == 2
    assert et.STATE_SHUTOFF == libvirt.VIR_DOMAIN_SHUTOFF
    assert et.STATE_CRASHED == libvirt.VIR_DOMAIN_CRASHED
    assert libvirt.VIR_DOMAIN_SHUTOFF_FAILED == 6 and libvirt.VIR_DOMAIN_SHUTOFF_CRASHED == 3
    assert libvirt.VIR_DOMAIN_SHUTOFF_DAEMON == 8


@pytest.mark.parametrize("state,reason,expected", [
    (5, 6, "FAILED"), (5, 3, "CRASHED"), (5, 8, "DAEMON"), (5, 0, "UNKNOWN"), (6, 0, "CRASHED"),
    (5, 1, None), (5, 2, None), (5, 4, None), (5, 5, None), (5, 7, None), (1, 1, None),
    (3, 1, None),
])
def test_resync_failure_reasons(state, reason, expected):
    assert et.resync_failure(state, reason) == expected
