"""Write a build's files into its staging folder: plain system calls, links where possible.

No file is fsynced here: the staging folder is swapped in whole, and the build syncs it once
before the swap (`feeds.build`), which keeps the swap crash-safe for a fraction of the cost of
20,000 fsyncs. A file whose bytes equal the previous build's (content digest recorded in the
state, the old file's mtime and size unchanged since) is hard-linked from the previous output
instead of written: on a slow file system creating 20,000 small files costs seconds, linking
them a tenth of that. Runs in the build process and in its worker processes (`feeds.prepare`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

_MADE: set[tuple[str, str]] = set()
"""(staging folder, sub-folder) already made by this process: workers call `write_files` once
per segment, and a failed mkdir per file costs a system call."""
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


WHOLE_SHOW = frozenset(("feed.xml", "index.html"))
"""Files made from every episode: a rebuild runs because something changed, which nearly always
changes these too, so they are written new (a fresh mtime) rather than digested (tens of MB
for a big show) to find the rare rebuild that leaves them as they were."""


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_files(files: dict[str, Any], staging: str, old_output: str,
                previous: dict[str, list]) -> dict[str, list]:
    """Write `files` ({relative path: text | bytes | Path to link}) under `staging`.

    Returns {relative path: [digest, mtime_ns, size]} of the text and bytes files (what the
    next build compares with to link instead of write)."""
    written: dict[str, list] = {}
    for rel, content in files.items():
        target = _target(staging, rel)
        if isinstance(content, Path):
            _link_or_copy(str(content), target)
            continue
        data = content.encode("utf-8") if isinstance(content, str) else content
        if rel in WHOLE_SHOW:
            _write(target, data)  # changes with any episode: never linked, so not digested
            continue
        key = digest(data)
        before = previous.get(rel)
        if before and before[0] == key and _link_unchanged(os.path.join(old_output, rel),
                                                           target, before[1:]):
            written[rel] = before
            continue
        written[rel] = [key, *_write(target, data)]
    return written


def link_previous(expected: dict[str, str], staging: str, old_output: str,
                  previous: dict[str, list]) -> dict[str, list] | None:
    """Link each file of `expected` ({relative path: digest}) from the previous output into
    `staging` when the last build wrote it with that digest and it is still as written (mtime
    and size, `previous`); their records, or None as soon as one is not (the caller then
    writes them all anew)."""
    written: dict[str, list] = {}
    for rel, digest_wanted in expected.items():
        before = previous.get(rel)
        if not before or before[0] != digest_wanted:
            return None
        if not _link_unchanged(os.path.join(old_output, rel), _target(staging, rel),
                               before[1:]):
            return None
        written[rel] = before
    return written


def _target(staging: str, rel: str) -> str:
    """`rel`'s path under `staging`, its folder made first (once per process)."""
    folder = os.path.dirname(rel)
    if folder and (staging, folder) not in _MADE:
        os.makedirs(os.path.join(staging, folder), exist_ok=True)
        _MADE.add((staging, folder))
    return os.path.join(staging, rel)


def _link_unchanged(old: str, target: str, recorded: list) -> bool:
    """Link `old` to `target` when its (mtime, size) is still what the last build recorded."""
    try:
        st = os.stat(old)
        if [st.st_mtime_ns, st.st_size] != recorded:
            return False
        os.link(old, target)  # neither copy is ever written in place again
    except OSError:
        return False
    return True


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        os.unlink(target)
        _link_or_copy(source, target)
    except OSError:  # another file system: copy (into a new file, never through a link)
        if os.path.lexists(target):
            os.unlink(target)
        shutil.copyfile(source, target)


def _write(target: str, data: bytes) -> tuple[int, int]:
    """Create `target` with `data` (open, write, fstat, close); its (mtime_ns, size).

    Always a new file: one already there (two segments with one id, refused later anyway)
    may be a link into the previous output, which must never be written through."""
    try:
        fd = os.open(target, _FLAGS, 0o666)
    except FileExistsError:
        os.unlink(target)
        fd = os.open(target, _FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return st.st_mtime_ns, st.st_size
