"""``masakari-ha-manage``: purge in batches (many short transactions) with a progress line,
``db sync`` one migration at a time with a progress line, both only on a terminal."""

import io

import sqlalchemy as sa

from masakari_ha import progress
from masakari_ha.cmd import manage
from masakari_ha.db import migration
from tests.functional.api.conftest import api, api_conf, app, db_url  # noqa: F401
from tests.functional.api.conftest import set_notification_status


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _config(tmp_path, url: str) -> str:
    path = tmp_path / "manage.conf"
    path.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n[database]\nconnection = {url}\n")
    return str(path)


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()
    engine.dispose()
    return value


def test_purge_in_batches_until_nothing_is_left(api, db_url, tmp_path, capsys, monkeypatch):
    segment = api.segment()
    api.host(segment["uuid"], name="cmp")
    for day in range(1, 24):
        row = api.notify("cmp", generated_time=f"2026-01-{day:02d}T00:00:00")
        set_notification_status(row["notification_uuid"], "finished")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE notifications SET updated_at = '2020-01-01 00:00:00', "
                             "created_at = '2020-01-01 00:00:00'"))
    engine.dispose()
    batches = []
    real_purge = manage.purge.purge
    monkeypatch.setattr(manage.purge, "purge",
                        lambda age, rows: batches.append(rows) or real_purge(age, rows))
    terminal = Terminal()
    monkeypatch.setattr(progress.sys, "stderr", terminal)
    assert manage.main(["--config-file", _config(tmp_path, db_url), "db", "purge",
                        "--age-in-days", "30", "--batch-size", "5"]) == 0
    assert "notifications: 23" in capsys.readouterr().out
    assert _count(db_url, "notifications") == 0
    assert batches == [5] * 6          # 5+5+5+5+3, then one batch that finds nothing
    drawn = terminal.getvalue()
    assert "\rPurging: 23 rows" in drawn and "notifications 23" in drawn and drawn.endswith("\n")


def test_sync_shows_each_migration(tmp_path, capsys, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(progress.sys, "stderr", terminal)
    url = "sqlite:///" + str(tmp_path / "fresh.sqlite")
    assert manage.main(["--config-file", _config(tmp_path, url), "db", "sync"]) == 0
    captured = capsys.readouterr()
    assert migration.head_revision() in captured.out
    drawn = terminal.getvalue()   # stderr (a terminal here)
    assert "Applying 2 migration(s)" in drawn
    assert "0001_initial" in drawn and "2/2 migrations 100%" in drawn


def test_no_progress_line_when_stderr_is_not_a_terminal(tmp_path, capsys):
    url = "sqlite:///" + str(tmp_path / "fresh.sqlite")
    assert manage.main(["--config-file", _config(tmp_path, url), "db", "sync"]) == 0
    assert "\r" not in capsys.readouterr().err
