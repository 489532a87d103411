"""Parsing pacemaker's fencing history and deciding whether it proves a host is off."""

import pathlib

import pytest

from masakari_ha.fencing import pacemaker_history as ph

DATA = pathlib.Path(__file__).parent / "data"
T = ph.parse_time


def _events(name):
    return ph.parse_history((DATA / name).read_text())


def test_parse_time_forms():
    assert T("2026-11-21 04:00:31Z") == T("2026-11-21T04:00:31Z") == T("2026-11-21 04:00:31+0000")
    assert T("") is None and T("garbage") is None
    assert T("1795233631") == 1795233631.0


def test_stonith_admin_verbose_history():
    events = _events("stonith_admin_history_verbose.xml")
    assert len(events) == 5
    failed = [e for e in events if e.status == "failed"][0]
    assert failed.exit_reason.startswith("Fencing failed") and failed.target == "remote3"
    assert [e.completed for e in events if e.status == "pending"] == [None]


def test_empty_history():
    assert _events("stonith_admin_history_empty.xml") == []


def test_crm_mon_samples():
    clean = _events("crm_mon_remote1_fenced_offline_clean.xml")
    assert {(e.action, e.target, e.status) for e in clean} == {("reboot", "remote1", "success")}
    assert _events("crm_mon_healthy.xml") == []


def test_proof_is_the_newest_recent_success():
    events = _events("crm_mon_remote1_fenced_offline_clean.xml")
    now = T("2026-11-21 04:05:00Z")
    found = ph.proof(events, "remote1", now, max_age=600)
    assert found is not None and found.completed == T("2026-11-21 04:00:31Z")
    assert "reboot of remote1 success by ctl1, 2026-11-21 04:00:31Z" == found.describe()


def test_old_success_is_no_proof():
    events = _events("crm_mon_remote1_fenced_offline_clean.xml")
    assert ph.proof(events, "remote1", T("2026-11-21 05:00:00Z"), max_age=600) is None


def test_pending_and_failed_are_no_proof():
    events = _events("stonith_admin_history_verbose.xml")
    assert ph.proof(events, "remote3", T("2026-11-21 04:11:00Z"), max_age=600) is None
    assert "pending" in ph.summary(events, "remote3")


def test_on_is_no_proof_but_off_is_and_fqdn_matches_short_name():
    events = _events("stonith_admin_history_verbose.xml")
    now = T("2026-11-21 04:06:00Z")
    found = ph.proof(events, "remote2", now, max_age=3600)
    assert found is not None and found.action == "off"
    assert ph.proof(events, "REMOTE2.other.domain", now, max_age=3600) == found
    assert ph.proof(events, "remote2", now, max_age=60) is None  # the 'on' does not count


def test_summary_without_entries():
    assert ph.summary([], "remote9") == "pacemaker's fencing history has no entry for remote9"


def test_bad_xml():
    with pytest.raises(ph.HistoryParseError):
        ph.parse_history("<not-closed")


def test_real_stonith_admin_output_after_fence_maas_fenced_a_node():
    events = _events("stonith_admin_history_real_success.xml")
    assert [(e.action, e.target, e.status, e.delegate) for e in events] == [
        ("reboot", "remote3", "success", "ctl1")]
    now = T("2026-11-21 04:45:00Z")
    assert ph.proof(events, "remote3", now, max_age=300) == events[0]
    assert ph.proof(events, "remote1", now, max_age=300) is None


def test_real_output_while_fencing_keeps_failing_is_no_proof():
    events = _events("stonith_admin_history_real_failed.xml")
    assert sorted(e.status for e in events) == ["failed", "pending"]
    now = T("2026-11-21 04:48:30Z")
    assert ph.proof(events, "remote3", now, max_age=900) is None
    assert ph.summary(events, "remote3").startswith("latest fencing of remote3 in pacemaker's history: reboot")
