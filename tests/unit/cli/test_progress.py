"""The progress line: text, throttling, terminal-only."""

import io

from masakari_ha.progress import Progress, render


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_render_with_total_shows_bar_count_percent_and_time_left():
    line = render("Migrating", 1, 4, 10.0, "migrations", "0002_taskflow")
    assert line.startswith("Migrating [#######.....................] 1/4 migrations  25%")
    assert "~30s left" in line and line.endswith("0002_taskflow")
    assert render("Migrating", 4, 4, 10.0).count("#") == 28


def test_render_without_total_shows_count_and_rate():
    assert render("Purging", 12000, None, 3.0, "rows") == "Purging: 12,000 rows (4,000/s)"
    assert render("Purging", 0, None, 0.0, "rows") == "Purging: 0 rows"


def test_only_drawn_on_a_terminal_and_throttled():
    quiet = io.StringIO()
    with Progress("x", total=3, stream=quiet) as bar:
        bar.advance()
    assert quiet.getvalue() == ""
    tty = Terminal()
    with Progress("x", total=1000, stream=tty, min_interval=3600) as bar:
        for _ in range(1000):
            bar.advance()
    lines = tty.getvalue().split("\r")
    assert len(lines) == 3          # "", first draw, final draw (the 1000 updates throttled)
    assert "1,000/1,000" in lines[-1] and tty.getvalue().endswith("\n")
