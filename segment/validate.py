"""`segpack validate`: collect findings over files and show folders (no printing here)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segment.loading import (
    SHOW_FILE,
    SegmentFile,
    duplicate_findings,
    is_show_folder,
    load_segment,
    load_segments,
    load_show_file,
    load_show_folder,
    manifests_in,
)
from segment.rules import Finding

MediaHook = Callable[[SegmentFile, Path], Iterable[Finding]]


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0


def validate_paths(paths: Iterable[Path], settings: dict[str, Any] | None = None,
                   media_hook: MediaHook | None = None,
                   progress: Callable[[int], bool] | None = None,
                   jobs: int = 1) -> Report:
    """Validate manifests, show.yaml files and show folders; findings sorted by place.

    `jobs` > 1 reads big folders in that many processes, except with a `media_hook`, which
    needs every segment whole."""
    settings = settings or {}
    report = Report()
    jobs = 1 if media_hook else jobs
    bar = _Bar(progress)

    loose: list[SegmentFile] = []
    try:
        for path in paths:
            if path.is_dir():
                if is_show_folder(path) or not manifests_in(path):
                    folder = load_show_folder(path, settings, jobs=jobs, progress=bar)
                    report.findings.extend(folder.findings)
                    items = folder.segments
                    report.files += len(items) + (folder.show is not None or
                                                  (path / SHOW_FILE).is_file())
                else:
                    items = load_segments(manifests_in(path), settings=settings, jobs=jobs,
                                          progress=bar)
                    loose.extend(items)
                    report.files += len(items)
                bar.stop()
            elif path.name == SHOW_FILE:
                report.findings.extend(load_show_file(path)[1])
                report.files += 1
                continue
            else:
                items = [load_segment(path, settings=settings)]
                loose.extend(items)
                report.files += 1
            for item in items:
                report.findings.extend(item.findings)
                if media_hook and item.segment is not None:
                    report.findings.extend(media_hook(item, path if path.is_dir() else
                                                      item.path.parent))
    finally:
        bar.stop()
    report.findings.extend(duplicate_findings(loose))
    report.findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    return report


class _Bar:
    """A progress bar on standard error for each folder, when `wanted(count)` says so.

    Drawn from this thread, never rich's refresh thread: the loader forks worker processes,
    and a process must not fork while another of its threads may hold a lock."""

    EVERY = 0.1
    """Seconds between redraws."""

    def __init__(self, wanted: Callable[[int], bool] | None):
        self.wanted = wanted
        self.progress: Any = None
        self.task: Any = None
        self.drawn = 0.0

    def start(self, total: int) -> None:
        self.stop()
        if self.wanted is None or not self.wanted(total):
            return
        from rich.progress import Progress

        self.progress = Progress(console=_stderr_console(), transient=True, auto_refresh=False)
        self.progress.start()
        self.task = self.progress.add_task("validating", total=total)

    def advance(self, count: int) -> None:
        if self.progress is None:
            return
        self.progress.advance(self.task, count)
        now = time.monotonic()
        if now - self.drawn >= self.EVERY:
            self.progress.refresh()
            self.drawn = now

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)
