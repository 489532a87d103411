"""Ordering of recovery_workflow_details rows (pure)."""

from masakari_ha.db.recovery_records import progress_positions


def test_named_rows_follow_the_configured_order():
    rows = [("FencingGate", 0), ("EvacuateInstancesTask", 1), ("DisableComputeServiceTask", 2)]
    order = ["DisableComputeServiceTask", "PrepareHAEnabledInstancesTask", "EvacuateInstancesTask"]
    assert progress_positions(rows, order) == ["FencingGate", "DisableComputeServiceTask",
                                               "EvacuateInstancesTask"]


def test_rows_outside_the_order_keep_their_relative_order_ahead():
    rows = [("B", 3), ("FencingGate", 0), ("A", 1), ("X", 2)]
    assert progress_positions(rows, ["X"]) == ["FencingGate", "A", "B", "X"]


def test_without_order_rows_stay_as_they_are():
    rows = [("b", 1), ("a", 0)]
    assert progress_positions(rows, []) == ["a", "b"]
