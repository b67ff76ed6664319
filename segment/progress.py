"""How far a long step has got, told to the person running segpack on standard error.

On a terminal: a rich progress bar, drawn from the thread doing the work and never from rich's
refresh thread, because the work forks worker processes and a process must not fork while
another of its threads may hold a lock. Elsewhere (a CI log, a pipe): a plain line now and then
(`label: 120/400`), and none at all for a step that ends within `LINE_EVERY` seconds, so short
runs stay quiet. Off: nothing.

Light on purpose: rich is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Literal

Mode = Literal["bar", "lines", "off"]


def default_mode(quiet: bool = False) -> Mode:
    """A bar for people at a terminal; plain lines in CI logs and pipes; nothing when quiet.

    `CI` set (GitHub Actions, GitLab, Jenkins...) means lines even where the runner gives a
    pseudo-terminal: a bar's redraws fill a log with escape codes."""
    import os

    if quiet:
        return "off"
    stream = sys.stderr
    tty = stream is not None and stream.isatty()
    return "bar" if tty and not os.environ.get("CI") and os.environ.get("TERM") != "dumb" \
        else "lines"


class Steps:
    """Progress of one step at a time: `start(label, total)`, `advance(n)`, `stop()`.

    Safe to call in any mode; `stop()` is idempotent. A bar of fewer than `BAR_FROM` items is
    not drawn (it would flash and vanish)."""

    EVERY = 0.1
    """Seconds between redraws of a bar."""
    LINE_EVERY = 5.0
    """Seconds between plain lines (the first one too: a step shorter than this prints none)."""
    BAR_FROM = 2

    def __init__(self, mode: Mode = "lines", bar_from: int | None = None):
        self.mode = mode
        self.bar_from = self.BAR_FROM if bar_from is None else bar_from
        self.label = ""
        self.total = 0
        self.done = 0
        self.started = 0.0
        self.shown = 0.0
        self.lines = 0
        self.progress: Any = None
        self.task: Any = None

    def start(self, label: str, total: int) -> None:
        self.stop()
        self.label, self.total, self.done, self.lines = label, total, 0, 0
        self.started = self.shown = time.monotonic()
        if self.mode == "bar" and total >= self.bar_from:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(),
                                     TimeRemainingColumn(), console=Console(stderr=True),
                                     transient=True, auto_refresh=False)
            self.progress.start()
            self.task = self.progress.add_task(label, total=total)
            self.progress.refresh()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.mode == "off":
            return
        now = time.monotonic()
        if self.progress is not None:
            self.progress.advance(self.task, count)
            if now - self.shown >= self.EVERY or self.done >= self.total:
                self.progress.refresh()
                self.shown = now
        elif self.mode == "lines" and now - self.shown >= self.LINE_EVERY:
            self._line(f"{self.done}/{self.total}")
            self.shown = now

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        elif self.mode == "lines" and self.lines:
            self._line(f"{self.done}/{self.total} in {time.monotonic() - self.started:.1f} s")
        self.lines = 0

    def _line(self, text: str) -> None:
        self.lines += 1
        if sys.stderr is not None:
            print(f"{self.label}: {text}", file=sys.stderr, flush=True)

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
