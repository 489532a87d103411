"""Run the whole functional API suite (tests/functional/api: every route, field, status code
and validation rule, the policy matrix, the no-500 fuzzing and its real-socket tests with a
``masakari-ha-api`` process of 4 workers) on a real PostgreSQL and a real MariaDB database.

The suite reads ``MASAKARI_HA_TEST_DB_URL`` (tests/functional/api/conftest.py): set, it
migrates that database once and empties the tables before every test. It runs in a child
pytest so its per-test configuration stays out of this session. Two of its tests never touch
the configured database (the checked-in sample files; ``masakari-ha-all`` on its embedded
SQLite) and are left to the normal functional run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.integration import harness


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_functional_api_suite_on(kind, scratch_db_factory, tmp_path):
    db = scratch_db_factory(kind)
    env = dict(os.environ, MASAKARI_HA_TEST_DB_URL=db.url, MASAKARI_HA_TEST_API_WORKERS="4")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "bt"),
         "-o", "addopts=", "-k", "not test_sample_is_current and not test_masakari_ha_all_embedded_default",
         "tests/functional/api"],
        cwd=harness.REPO, env=env, capture_output=True, text=True, timeout=1500)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "(no output)"
    sys.stderr.write(f"[integration] functional API suite on {kind}: {summary}\n")
    assert proc.returncode == 0, f"functional API suite failed on {kind}:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    assert " passed" in summary and "skipped" not in summary.split(" passed")[0], summary
