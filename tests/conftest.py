"""Shared test fixtures: a private state directory and a fresh configuration per test."""

import pytest

from masakari_ha.conf import CONF
from masakari_ha.db import session as db_session


@pytest.fixture(autouse=True)
def _fresh_conf(tmp_path):
    """Each test gets its own state_path (so its own SQLite file) and clean overrides."""
    CONF([], project="masakari_ha", default_config_files=[])
    CONF.set_override("state_path", str(tmp_path / "state"))
    yield
    CONF.reset()
    CONF.clear_override("state_path")
    db_session.dispose_engines()
