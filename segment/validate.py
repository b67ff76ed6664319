"""`segpack validate`: collect findings over files and show folders (no printing here)."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
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
    show_dir_for,
)
from segment.manifest import MAX_MANIFEST_BYTES
from segment.models import Segment, Show
from segment.progress import Steps
from segment.published import published_in, settle
from segment.rules import MEDIA_CHECKS, Finding
from segment.userfiles import read_regular

REFERENCED = frozenset((".mp3", ".m4a", ".mp4", ".m4b", ".aac", ".ogg", ".oga", ".opus",
                        ".flac", ".wav", ".wave", ".jpg", ".jpeg", ".png", ".vtt", ".srt"))
"""Suffixes of the files manifests point at (audio, artwork, captions). Given such a file,
validate checks the manifests that use it: a pre-commit hook passes the changed audio, and the
manifests describing it are what may have gone wrong."""


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    """The files checked (manifests, show.yaml), as their findings name them."""

    @property
    def files(self) -> int:
        return len(self.checked)


def validate_paths(paths: Iterable[Path], settings: dict[str, Any] | None = None,
                   media: bool = False, progress: Steps | None = None,
                   jobs: int = 1, output: Path | None = None) -> Report:
    """Validate manifests, show.yaml files, show folders, and the manifests that use the
    audio, artwork or captions files given; findings sorted by place.

    `media` also opens the files they name (the checks `media.checks` registers, as every
    build runs them); `output`, a build's output folder, is where segments' guids are
    compared with the published feed (SEG416), as `segpack build -o` compares them; `jobs` > 1
    reads big folders in that many processes."""
    if media and not MEDIA_CHECKS:
        raise RuntimeError("validate_paths(media=True): import media.checks first")
    settings = settings or {}
    report = Report()
    bar = _Bar(progress)
    published = None if output is None else published_in(output)

    loose: list[SegmentFile] = []
    guids: set[str] = set()  # of every segment read: SEG416 never offers one (`settle`)
    referenced: list[Path] = []
    try:
        for path in paths:
            if path.is_dir():
                if is_show_folder(path) or not manifests_in(path):
                    folder = load_show_folder(path, settings, jobs=jobs, progress=bar,
                                              media=media, published=published)
                    report.findings.extend(folder.findings)
                    items = folder.segments
                    guids.update(_guids(items))
                    if (path / SHOW_FILE).is_file():
                        report.checked.append(str(path / SHOW_FILE))
                else:
                    items = load_segments(manifests_in(path), settings=settings, jobs=jobs,
                                          progress=bar, media=media, published=published)
                    loose.extend(items)
                bar.stop()
            elif path.name == SHOW_FILE:
                _, found = load_show_file(path, checks=True, settings=settings, media=media)
                report.findings.extend(found)
                report.checked.append(str(path))
                continue
            elif path.suffix.lower() in REFERENCED:
                referenced.append(path)
                continue
            else:
                items = [load_segment(path, _show_of(path) if media else None,
                                      settings=settings, media=media, published=published)]
                loose.extend(items)
            _checked(report, items)
        if referenced:
            known = {item.path.resolve() for item in loose}
            users = [p for p in manifests_using(referenced) if p.resolve() not in known]
            items = [load_segment(p, _show_of(p) if media else None, settings=settings,
                                  media=media, published=published) for p in users]
            loose.extend(items)
            _checked(report, items)
    finally:
        bar.stop()
    report.findings.extend(duplicate_findings(loose))
    if published is not None:
        guids |= _guids(loose)
        offered = {Path(f.path) for f in report.findings if f.code == "SEG416"}
        for item in loose:  # given alone: the rest of its show may still have the guid
            if item.path in offered:
                guids |= _show_guids(show_dir_for(item.path))
        report.findings = settle(report.findings, guids)
    report.findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    return report


def _guids(items: list[SegmentFile]) -> set[str]:
    return {item.segment.item_guid for item in items if item.segment is not None}


@functools.lru_cache(maxsize=16)
def _show_guids(root: Path) -> frozenset[str]:
    """The guids of every manifest of a show folder: read only when a manifest given alone
    is offered a published guid (SEG416), which another of the show may still have."""
    return frozenset(_guids([load_segment(path) for path in manifests_in(root)]))


def _show_of(manifest: Path) -> Show | None:
    """The show a manifest given on its own belongs to, when its show.yaml is valid: the media
    checks ask whether the build edits the audio (stings, encoding), as they do in a build."""
    path = show_dir_for(manifest) / SHOW_FILE
    return _show_file(path) if path.is_file() else None


@functools.lru_cache(maxsize=16)
def _show_file(path: Path) -> Show | None:
    return load_show_file(path)[0]


def _checked(report: Report, items: list[SegmentFile]) -> None:
    """Each item's findings (with `media`, those of the files it names too: paths in a
    manifest are relative to its show folder, whichever way the manifest was given)."""
    for item in items:
        report.checked.append(str(item.path))
        report.findings.extend(item.findings)


def manifests_using(files: list[Path]) -> list[Path]:
    """The manifests whose audio.file, image.file or captions is one of `files`, found in the
    show folder above each file (the nearest folder with show.yaml or segments/).

    A manifest is parsed only when the file's name appears in its text, so a changed audio
    file in a 10,000-episode show costs a read of the manifests, not a parse."""
    by_show: dict[Path, set[Path]] = {}
    for path in files:
        root = show_folder_above(path)
        if root is not None:
            by_show.setdefault(root, set()).add(path.resolve())
    found: list[Path] = []
    for root, wanted in by_show.items():
        names = {p.name.encode() for p in wanted}
        for manifest in manifests_in(root):
            try:
                text = read_regular(manifest, MAX_MANIFEST_BYTES)  # a FIFO must not block
            except OSError:
                continue
            if any(name in text for name in names) and _uses(manifest, root, wanted):
                found.append(manifest)
    return found


def _uses(manifest: Path, root: Path, wanted: set[Path]) -> bool:
    item = load_segment(manifest)
    seg = item.segment
    if not isinstance(seg, Segment):
        return True  # cannot tell: check it, its findings say what is wrong
    return any(Path(os.path.realpath(root / rel)) in wanted  # resolve() raises on a loop
               for rel in (seg.audio.file, seg.image.file, seg.captions) if rel)


def show_folder_above(path: Path) -> Path | None:
    """The nearest folder at or above `path`'s folder that is a show folder, named as `path`
    is (relative to the working folder when `path` is relative), so the manifests found
    through it are named like every other input in findings and annotations."""
    for folder in Path(os.path.abspath(path)).parents:
        if is_show_folder(folder):
            return folder if path.is_absolute() else Path(os.path.relpath(folder))
    return None


class _Bar:
    """Adapts `Steps` to what the loader reports (`segment.loading.Progress`): one bar per
    folder. The loader forks worker processes; `Steps` draws from this thread only."""

    def __init__(self, steps: Steps | None):
        self.steps = steps

    def start(self, total: int) -> None:
        if self.steps is not None:
            self.steps.start("validating", total)

    def advance(self, count: int) -> None:
        if self.steps is not None:
            self.steps.advance(count)

    def stop(self) -> None:
        if self.steps is not None:
            self.steps.stop()


def settings_folder(path: Path) -> Path:
    """Where a path's settings are looked up from (`segment.config`): its show folder."""
    if path.is_dir():
        return path
    if path.name == SHOW_FILE:
        return path.parent
    if path.suffix.lower() in REFERENCED:
        return show_folder_above(path) or path.parent
    return show_dir_for(path)
