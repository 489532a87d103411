"""crm_mon / stonith_admin XML parsing on real output of a pacemaker 2.1.5 cluster with three
pacemaker-remote nodes (tests/unit/monitors/data, captured per real-stack.md §B)."""

import datetime

import pytest

from monitors.host import crmmon

UTC = datetime.timezone.utc


@pytest.mark.parametrize("name", ["crm_mon_healthy.xml", "crm_mon_X_healthy.xml"])
def test_healthy_members_and_remotes_both_formats(xml, name):
    st = crmmon.parse_crm_mon(xml(name))
    assert st.has_quorum and st.dc_present and st.with_quorum
    assert sorted(st.nodes) == ["ctl1", "remote1", "remote2", "remote3"]
    assert st.nodes["ctl1"].type == "member" and not st.nodes["ctl1"].is_remote
    for r in ("remote1", "remote2", "remote3"):
        node = st.nodes[r]
        assert node.is_remote and node.online and not node.unclean
        assert node.connection_role == "Started"
    assert st.nodes["ctl1"].connection_role is None
    assert st.fence_events == ()


def test_unclean_with_fencing_pending_and_an_older_success(xml):
    st = crmmon.parse_crm_mon(xml("crm_mon_remote1_offline_unclean_fencing_pending.xml"))
    r1 = st.nodes["remote1"]
    assert not r1.online and r1.unclean and r1.connection_role == "Stopped"
    assert st.nodes["remote2"].online
    pending, old = st.fence_events
    assert (pending.target, pending.action, pending.status, pending.completed) == \
        ("remote1", "reboot", "pending", None)
    assert not pending.powered_off
    assert old.status == "success" and old.powered_off
    assert old.completed == datetime.datetime(2026, 11, 21, 3, 58, 47, tzinfo=UTC)


def test_killed_then_fenced_offline_clean(xml):
    st = crmmon.parse_crm_mon(xml("crm_mon_remote1_killed_fenced_offline.xml"))
    r1 = st.nodes["remote1"]
    assert not r1.online and not r1.unclean
    assert [e.status for e in st.fence_events] == ["success"]


def test_fenced_history_newest_first(xml):
    st = crmmon.parse_crm_mon(xml("crm_mon_remote1_fenced_offline_clean.xml"))
    times = [e.completed for e in st.fence_events]
    assert times == sorted(times, reverse=True)
    assert times[0] == datetime.datetime(2026, 11, 21, 4, 0, 31, tzinfo=UTC)


def test_no_quorum_and_no_dc(xml):
    text = xml("crm_mon_healthy.xml").replace('with_quorum="true"', 'with_quorum="false"')
    assert not crmmon.parse_crm_mon(text).has_quorum
    text = xml("crm_mon_healthy.xml").replace('present="true"', 'present="false"')
    assert not crmmon.parse_crm_mon(text).has_quorum


def test_phantom_online_remote_keeps_starting_role(xml):
    # The phantom sample (real-stack.md §B) differs from healthy only in remote1's connection
    # resource being role="Starting" while the node says online="true".
    text = xml("crm_mon_healthy.xml")
    start = text.index('<resource id="remote1"')
    end = text.index(">", start)
    text = text[:start] + text[start:end].replace('role="Started"', 'role="Starting"') + text[end:]
    st = crmmon.parse_crm_mon(text)
    assert st.nodes["remote1"].online and st.nodes["remote1"].connection_role == "Starting"


def test_stonith_admin_history(xml):
    events = crmmon.parse_fence_history(xml("stonith_admin_history_remote1.xml"))
    assert len(events) == 1 and events[0].powered_off and events[0].target == "remote1"
    assert crmmon.parse_fence_history(xml("stonith_admin_history_remote2_empty.xml")) == ()


def test_stonith_admin_not_connected_is_an_error(xml):
    with pytest.raises(crmmon.CrmMonError, match="Not connected"):
        crmmon.parse_fence_history(xml("stonith_admin_history_not_connected.xml"))


@pytest.mark.parametrize("bad", ["", "<html/>", "not xml", "<crm_mon><nodes/></crm_mon>"])
def test_unusable_output_is_refused(bad):
    with pytest.raises(crmmon.CrmMonError):
        crmmon.parse_crm_mon(bad)


def test_parse_time_variants():
    assert crmmon.parse_time("2026-11-21 04:00:31Z") == \
        datetime.datetime(2026, 11, 21, 4, 0, 31, tzinfo=UTC)
    assert crmmon.parse_time("2026-11-21T05:00:31+01:00") == \
        datetime.datetime(2026, 11, 21, 4, 0, 31, tzinfo=UTC)
    assert crmmon.parse_time("yesterday") is None and crmmon.parse_time(None) is None
