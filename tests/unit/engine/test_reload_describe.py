"""How a configuration reload reports its changes (pure)."""

from masakari_ha.engine.reload import describe


def test_changes_are_sorted_and_name_their_group():
    assert describe({("engine", "max_concurrent_evacuations"): ("384", "64"),
                     (None, "verify_interval"): (None, "0.5")}) == [
        "[DEFAULT] verify_interval: (default) -> 0.5",
        "[engine] max_concurrent_evacuations: 384 -> 64"]
