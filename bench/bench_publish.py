"""Publishing tagged audio without sharing an inode with the build cache (issue 18, item 4).

A 200-episode show of 3-minute 128 kb/s MP3s (~2.9 MB each). Every way of putting the 200
copies into a new output folder is timed the same way: into a fresh folder, then the one
syncfs a build does before its swap; best of 3. The floor is what builds did before: a hard
link to each cache entry (free, and unsafe: an in-place edit of the published file edits the
cache). The candidates:

* copy every build (copy_file_range; a reflink where the file system shares blocks),
* link to the cache but hash each entry (SHA-256) before reuse, to notice an edit,
* what segpack does: copy once; a rebuild links the previous output's copy when a stat shows it
  unchanged since the last build's mark (`feeds.writing.still_published`), else copies.

Then `segpack build` itself on that show: cold, and after editing 1 of the 200 manifests.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_build import AUDIO_COUNT as COUNT
from bench_build import audio_show
from common import ROOT, Row

FLOOR = "hard links into the cache (unsafe)"
SECONDS = 180


def build(show: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "segment", "build", str(show), "-o", str(out), "-q",
                    "--jobs", "1"], check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def timed(work: Path, name: str, place: Callable[[Path], object],
          before: Callable[[], object] | None = None) -> float:
    """Best of 3: `place(folder)` into a new folder, then syncfs, as a build does (`before`
    each, untimed)."""
    from segment.manifest import sync_file_system

    best = float("inf")
    for n in range(3):
        folder = work / f"{name}-{n}"
        folder.mkdir()
        if before is not None:
            before()
        os.sync()
        start = time.perf_counter()
        place(folder)
        sync_file_system(folder)
        best = min(best, time.perf_counter() - start)
    return best


def rows(work: Path) -> list[Row]:
    from feeds.output import mark_published, published_mark
    from feeds.writing import copy_file, still_published

    show = audio_show(work, "show", "", seconds=SECONDS, bitrate="128k")
    out = work / "public"
    cold = build(show, out)
    edited = show / "segments" / "audio-007.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("segment 7", "segment 7 (ed.)"),
                      encoding="utf-8")
    one_edit = build(show, out)
    newest: dict[str, Path] = {}  # the edited episode has an old entry too
    for entry in sorted((work / ".segpack-cache" / "public" / "media").glob("*/*.mp3"),
                        key=lambda p: p.stat().st_mtime_ns):
        newest[entry.name] = entry
    entries = sorted(newest.values())
    assert len(entries) == COUNT, len(entries)
    published = [out / "media" / entry.name for entry in entries]
    size = sum(p.stat().st_size for p in entries)
    records = {p: [None, p.stat().st_mtime_ns, p.stat().st_size] for p in published}

    def hard_link(folder: Path) -> None:
        for entry in entries:
            os.link(entry, folder / entry.name)

    def copy(folder: Path) -> None:
        for entry in entries:
            copy_file(str(entry), str(folder / entry.name))

    def link_and_hash(folder: Path) -> None:
        for entry in entries:
            digest = hashlib.sha256()
            with open(entry, "rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
            os.link(entry, folder / entry.name)

    marks: list[int | None] = []

    def new_mark() -> None:
        """As at the end of a build: the links the last run made are gone, then the mark."""
        for folder in work.glob("checked-*"):
            for linked in folder.glob("*.mp3"):
                linked.unlink()
        mark_published(out)
        marks[:] = [published_mark(out)]

    def checked_link(folder: Path) -> None:
        mark = marks[0]
        for old in published:
            if still_published(str(old), records[old], mark):
                os.link(old, folder / old.name)
            else:
                raise AssertionError(f"{old} not taken as unchanged")

    floor = timed(work, "link", hard_link)
    reflinks = _reflink_works(entries[0], work / "probe.mp3")
    notes = {"show": f"{COUNT} files, {size / 1e6:.0f} MB",
             "machine": "2 cores shared with other work: timings are noisy"}
    return [
        Row(f"copy {COUNT} tagged MP3s every build ({'reflink' if reflinks else 'copy'})",
            timed(work, "copy", copy), floor, FLOOR,
            notes={**notes, "reflink here": "yes" if reflinks else
                   "no (this file system cannot share blocks): copy_file_range"}),
        Row(f"link {COUNT} cache entries, SHA-256 of each before reuse",
            timed(work, "hash", link_and_hash), floor, FLOOR),
        Row(f"link {COUNT} copies from the last output after a stat (chosen)",
            timed(work, "checked", checked_link, new_mark), floor, FLOOR,
            notes={"first publication": "a copy (the first row)",
                   "segpack build, cold": f"{cold:.2f} s",
                   "segpack build, 1 of 200 edited": f"{one_edit:.2f} s"}),
    ]


def _reflink_works(source: Path, probe: Path) -> bool:
    import fcntl

    from feeds.writing import FICLONE

    with open(source, "rb") as src, open(probe, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
        except OSError:
            return False
    return True
