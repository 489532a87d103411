"""The notification status table: upstream's transitions and nothing else."""

import pytest

from masakari_ha.engine import status as st

ALL = [s.value for s in st.NotificationStatus]


@pytest.mark.parametrize("old,new", [
    ("new", "running"), ("new", "ignored"), ("new", "failed"),
    ("running", "running"), ("running", "finished"), ("running", "ignored"), ("running", "error"),
    ("running", "failed"), ("error", "running"), ("error", "failed"),
])
def test_allowed(old, new):
    st.check_transition(old, new)


@pytest.mark.parametrize("old", ["finished", "ignored", "failed"])
@pytest.mark.parametrize("new", ALL)
def test_terminal_statuses_never_change(old, new):
    with pytest.raises(st.InvalidTransition):
        st.check_transition(old, new)


@pytest.mark.parametrize("old,new", [("new", "finished"), ("new", "error"), ("error", "finished"),
                                     ("error", "ignored"), ("new", "new"), ("error", "error")])
def test_forbidden(old, new):
    with pytest.raises(st.InvalidTransition, match=f"from '{old}' to '{new}'"):
        st.check_transition(old, new)


def test_unknown_status_is_rejected():
    with pytest.raises(ValueError):
        st.check_transition("new", "done")


def test_sources_of_running_and_failed():
    assert st.sources_of("running") == {"new", "running", "error"}
    assert st.sources_of("failed") == {"new", "running", "error"}
    assert st.sources_of("finished") == {"running"}


def test_table_is_consistent_with_the_sets():
    for old, new in st.ALLOWED_TRANSITIONS:
        assert old not in st.TERMINAL
    assert st.EXPIRABLE == {st.NEW, st.RUNNING, st.ERROR}
