"""``masakari-ha-manage db sync | version | purge`` on the test database."""

import datetime
import subprocess
import sys

import pytest
import sqlalchemy as sa

from masakari_ha.cmd import manage
from masakari_ha.db import migration
from tests.functional.api.conftest import set_notification_status


def _config(tmp_path, url: str) -> str:
    path = tmp_path / "manage.conf"
    path.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n[database]\nconnection = {url}\n")
    return str(path)


def test_sync_and_version_on_an_empty_sqlite(tmp_path, capsys):
    url = "sqlite:///" + str(tmp_path / "fresh.sqlite")
    config = _config(tmp_path, url)
    assert manage.main(["--config-file", config, "db", "version"]) == 0
    assert "empty database" in capsys.readouterr().out
    assert manage.main(["--config-file", config, "db", "sync"]) == 0
    assert migration.head_revision() in capsys.readouterr().out
    assert manage.main(["--config-file", config, "db", "version"]) == 0
    assert capsys.readouterr().out.strip() == migration.head_revision()
    # Idempotent.
    assert manage.main(["--config-file", config, "db", "sync"]) == 0


def test_errors_have_clear_messages_and_exit_codes(tmp_path, capsys):
    config = _config(tmp_path, "postgresql+psycopg2://user:secret@127.0.0.1:9/nothing")
    assert manage.main(["--config-file", config, "db", "version"]) == 1
    err = capsys.readouterr().err
    assert "database postgresql+psycopg2://user:***@127.0.0.1:9/nothing failed" in err
    assert "secret" not in err
    good = _config(tmp_path, "sqlite:///" + str(tmp_path / "x.sqlite"))
    assert manage.main(["--config-file", good, "db", "sync", "no-such-revision"]) == 1
    assert "no-such-revision" in capsys.readouterr().err
    assert manage.main(["--config-file", good, "db", "purge", "--age-in-days", "-1"]) == 2
    assert manage.main(["--config-file", good, "db", "purge", "--max-rows", "0"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        manage.main(["--config-file", good, "db", "explode"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        manage.main(["--config-file", good, "db", "purge", "--age-in-days", "ten"])
    assert exit_info.value.code == 2


def test_console_script_runs(tmp_path):
    config = _config(tmp_path, "sqlite:///" + str(tmp_path / "cli.sqlite"))
    result = subprocess.run([sys.executable, "-m", "masakari_ha.cmd.manage", "--config-file",
                             config, "db", "sync"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Eventlet" not in result.stderr


def _age(url, table, column, days):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - \
            datetime.timedelta(days=days)
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :old WHERE {column} IS NOT NULL"),
                     {"old": old})
    engine.dispose()


def _count(url, table):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()
    engine.dispose()
    return count


def test_purge(api, db_url, tmp_path, capsys):
    keep = api.segment()
    keep_host = api.host(keep["uuid"], name="keep")
    gone = api.segment()
    api.host(gone["uuid"], name="gone-1")
    api.host(gone["uuid"], name="gone-2")
    finished = api.notify("keep", generated_time="2026-01-01T00:00:00")
    running = api.notify("keep", generated_time="2026-01-02T00:00:00")
    set_notification_status(finished["notification_uuid"], "finished")
    set_notification_status(running["notification_uuid"], "running")
    assert api.delete(f"/v1/segments/{gone['uuid']}").status_code == 204
    _age(db_url, "failover_segments", "deleted_at", 40)
    _age(db_url, "hosts", "deleted_at", 40)
    _age(db_url, "notifications", "updated_at", 40)
    _age(db_url, "notifications", "created_at", 40)
    config = _config(tmp_path, db_url)

    # Nothing is older than 50 days.
    assert manage.main(["--config-file", config, "db", "purge", "--age-in-days", "50"]) == 0
    assert _count(db_url, "hosts") == 3 and _count(db_url, "notifications") == 2

    # --max-rows bounds each table: one of the two deleted hosts goes, the segment stays
    # because a host row still refers to it.
    assert manage.main(["--config-file", config, "db", "purge", "--age_in_days", "30",
                        "--max_rows", "1"]) == 0
    assert _count(db_url, "hosts") == 2
    assert _count(db_url, "failover_segments") == 2

    assert manage.main(["--config-file", config, "db", "purge", "--age-in-days", "30"]) == 0
    out = capsys.readouterr().out
    assert "rows purged" in out
    assert _count(db_url, "hosts") == 1            # the live host stays
    assert _count(db_url, "failover_segments") == 1
    assert _count(db_url, "notifications") == 1    # running is not purged, finished is
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT uuid FROM hosts")).scalar() == keep_host["uuid"]
        assert conn.execute(sa.text("SELECT notification_uuid FROM notifications")).scalar() == \
            running["notification_uuid"]
    engine.dispose()
