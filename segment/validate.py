"""`segpack validate`: collect findings over files and show folders (no printing here)."""

from __future__ import annotations

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
                   progress: Callable[[int], bool] | None = None) -> Report:
    """Validate manifests, show.yaml files and show folders; findings sorted by place."""
    settings = settings or {}
    report = Report()

    def iterate(items: list[Path]) -> Iterable[Path]:
        if progress is None or not progress(len(items)):
            return items
        from rich.progress import track

        return track(items, description="validating", transient=True,
                     console=_stderr_console())

    loose: list[SegmentFile] = []
    for path in paths:
        if path.is_dir():
            if is_show_folder(path) or not manifests_in(path):
                folder = load_show_folder(path, settings, iterate)
                report.findings.extend(folder.findings)
                items = folder.segments
                report.files += len(items) + (folder.show is not None or
                                              (path / SHOW_FILE).is_file())
            else:
                items = [load_segment(p, settings=settings) for p in iterate(manifests_in(path))]
                loose.extend(items)
                report.files += len(items)
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
    report.findings.extend(duplicate_findings(loose))
    report.findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    return report


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)
