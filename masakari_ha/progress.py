"""A one-line progress indicator for long command-line work (db sync, purge, bulk set-up).

Drawn on stderr, and only when stderr is a terminal: scripts, pipes and log files see
nothing but the command's own final message. No dependency beyond the standard library.

    with Progress("Purging old rows", total=None, unit="rows") as bar:
        for batch in batches():
            bar.advance(len(batch))
    # -> "Purging old rows: 12,000 rows (4,100/s)"            (no total)
    # -> "Applying migrations [#######.....]  2/3  67%  0002_taskflow"   (with a total)
"""

from __future__ import annotations

import sys
import time
from typing import IO, Optional

BAR_WIDTH = 28


def render(label: str, done: int, total: Optional[int], elapsed: float, unit: str = "",
           detail: str = "") -> str:
    """The text of one progress line (pure; unit tested)."""
    unit_text = f" {unit}" if unit else ""
    if total:
        fraction = min(1.0, max(0.0, done / total))
        filled = int(round(fraction * BAR_WIDTH))
        text = (f"{label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{total:,}"
                f"{unit_text} {fraction:4.0%}")
        if 0 < done < total and elapsed > 0:
            remaining = elapsed / done * (total - done)
            text += f" ~{_duration(remaining)} left"
    else:
        text = f"{label}: {done:,}{unit_text}"
        if elapsed >= 1 and done:
            text += f" ({done / elapsed:,.0f}/s)"
    return f"{text}  {detail}".rstrip()


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Redraws one line (``\\r``) at most every ``min_interval`` seconds while stderr is a TTY."""

    def __init__(self, label: str, total: Optional[int] = None, unit: str = "",
                 stream: Optional[IO[str]] = None, min_interval: float = 0.1,
                 enabled: Optional[bool] = None):
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.done = 0
        self.detail = ""
        self._min_interval = min_interval
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._width = 0

    def update(self, done: int, detail: str = "", force: bool = False) -> None:
        self.done, self.detail = done, detail
        now = time.monotonic()
        if self.enabled and (force or now - self._last_draw >= self._min_interval):
            self._draw(now)

    def advance(self, count: int = 1, detail: str = "") -> None:
        self.update(self.done + count, detail)

    def _draw(self, now: float) -> None:
        self._last_draw = now
        line = render(self.label, self.done, self.total, now - self._start, self.unit,
                      self.detail)
        padding = " " * max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write(f"\r{line}{padding}")
        self.stream.flush()

    def finish(self) -> None:
        """Draw the final state and end the line (nothing when disabled)."""
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._draw(time.monotonic())
        return self

    def __exit__(self, *exc) -> None:
        self.finish()
