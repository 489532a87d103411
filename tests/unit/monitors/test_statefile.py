"""monitors.statefile: atomic JSON state files and the rate-limited saver."""

import json
import os
import time

from monitors import statefile


def test_write_json_replaces_atomically_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / "state.json")
    statefile.write_json(path, {"a": [1, 2]})
    statefile.write_json(path, {"a": [3]})
    assert json.loads(open(path).read()) == {"a": [3]}
    assert os.listdir(tmp_path) == ["state.json"]
    statefile.write_json(path, ["x"], durable=False)
    assert statefile.read_json(path, None) == ["x"]


def test_read_json_missing_and_torn(tmp_path, caplog):
    assert statefile.read_json(str(tmp_path / "none.json"), {"d": 1}) == {"d": 1}
    torn = tmp_path / "torn.json"
    torn.write_text('{"fail')
    assert statefile.read_json(str(torn), []) == []
    assert "ignoring unreadable monitor state" in caplog.text


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_first_change_is_written_at_once_a_burst_once_later(tmp_path):
    path = str(tmp_path / "running.json")
    data = {"v": 0}
    clock = Clock()
    saver = statefile.RateLimitedSaver(path, lambda: dict(data), min_interval=0.2, clock=clock)
    saver.changed()
    assert saver.writes == 1 and statefile.read_json(path, None) == {"v": 0}
    for value in range(1, 50):             # a burst inside the interval: no write yet
        data["v"] = value
        saver.changed()
    assert saver.writes == 1 and statefile.read_json(path, None) == {"v": 0}
    clock.now += 0.2
    deadline = time.monotonic() + 5
    while saver.writes < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert saver.writes == 2 and statefile.read_json(path, None) == {"v": 49}
    clock.now += 1.0                       # interval over: the next change is written at once
    data["v"] = 50
    saver.changed()
    assert saver.writes == 3 and statefile.read_json(path, None) == {"v": 50}


def test_flush_writes_pending_change_and_cancels_timer(tmp_path):
    path = str(tmp_path / "s.json")
    data = {"v": 1}
    saver = statefile.RateLimitedSaver(path, lambda: dict(data), min_interval=30)
    saver.changed()
    data["v"] = 2
    saver.changed()                        # scheduled 30 s out
    saver.flush()
    assert statefile.read_json(path, None) == {"v": 2} and saver.writes == 2
    saver.flush()                          # nothing pending: no write
    assert saver.writes == 2
    saver.flush(force=True)
    assert saver.writes == 3
    assert saver._timer is None


def test_write_failure_is_logged_not_raised(tmp_path, caplog):
    saver = statefile.RateLimitedSaver(str(tmp_path / "missing-dir" / "s.json"), lambda: [1])
    saver.changed()
    assert saver.writes == 0 and "cannot save monitor state" in caplog.text
