"""Fixtures for monitor functional tests: a real API process on SQLite with noauth."""

import pytest

from tests.functional.monitors.apiproc import ApiProcess, ApiUnavailable


@pytest.fixture
def api(tmp_path):
    try:
        proc = ApiProcess(str(tmp_path / "api"))
        proc.start()
    except ApiUnavailable as exc:
        pytest.skip(f"LOUD SKIP: the real masakari_ha API cannot start here: {exc}")
    yield proc
    proc.stop()
