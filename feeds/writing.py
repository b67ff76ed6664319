"""Write a build's files into its staging folder: plain system calls, links where safe.

No file is fsynced here: the staging folder is swapped in whole, and the build syncs it once
before the swap (`feeds.output`), which keeps the swap crash-safe for a fraction of the cost of
20,000 fsyncs. Runs in the build process and in its worker processes (`feeds.compile_all`).

No published file shares its inode with a file anyone else keeps. A file the build made from
another file (`Path` contents: a tagged copy in the build cache, artwork from the show folder)
is published as a copy of it: a reflink where the file system shares blocks (btrfs, XFS), else
copy_file_range. A hard link would let an in-place edit of the published file (`segpack tag
public/media/x.mp3`, an image editor) change the cache entry or the show's own file, and every
later build would publish the edited bytes.

What a rebuild may take from the previous output instead: a file whose record (`previous`, the
last build's state: [digest or source identity, mtime_ns, size]) matches what this build would
write is hard-linked from there, when it is still as published: the same mtime and size, and an
inode change time (ctime, which no one can set back) not later than the mark taken when the
last build ended (`feeds.output.mark_published`, stored in `previous[PUBLISHED_AT]`). An in-place
edit since, even one that restores the mtime, moves the ctime past the mark: the file is then
written or copied anew. Both names of such a link are published files, and the old one goes
with the old output. A refused build removes its links again and, when only they moved ctimes
past the mark (`only_relinked`), marks anew: else the build after it would copy every file. Not
caught: an edit made to the old output while a build runs, in the
moment between that build linking the file and its mark. Measured on a 200-file show
(`python bench/run.py publish`): copying every build costs ~0.6 s, hashing every copy before
reuse ~0.9 s; the stat check costs nothing measurable; the first publication of each copy pays
the copy.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from segment.filecopy import ShortCopy, copy_exact

_MADE: set[tuple[str, str]] = set()
"""(staging folder, sub-folder) already made by this process: workers call `write_files` once
per segment, and a failed mkdir per file costs a system call."""
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


WHOLE_SHOW = frozenset(("feed.xml", "index.html"))
"""Files made from every episode: a rebuild runs because something changed, which nearly always
changes these too, so they are written new (a fresh mtime) rather than digested (tens of MB
for a big show) to find the rare rebuild that leaves them as they were. Their records carry an
empty digest (what the no-change check stats, never matched for a link)."""
PUBLISHED_AT = ""
"""The key of `previous` holding [mark] (no file is named ""): see the module docstring."""
FICLONE = 0x40049409
"""Linux ioctl: make the target share the source's blocks (btrfs, XFS, bcachefs)."""


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_files(files: dict[str, Any], staging: str, old_output: str,
                previous: dict[str, list]) -> dict[str, list]:
    """Write `files` ({relative path: text | bytes | Path to copy}) under `staging`.

    Returns {relative path: [digest or source identity, mtime_ns, size]} of every file (what
    the next build compares with to link instead of write, and stats to find nothing changed)."""
    written: dict[str, list] = {}
    mark = _mark(previous)
    for rel, content in files.items():
        target = _target(staging, rel)
        if isinstance(content, Path):
            written[rel] = _publish_copy(str(content), rel, target, old_output, previous, mark)
            continue
        data = content.encode("utf-8") if isinstance(content, str) else content
        if rel in WHOLE_SHOW:
            written[rel] = ["", *_write(target, data)]  # changes with any episode: not digested
            continue
        key = digest(data)
        before = previous.get(rel)
        if before and before[0] == key and _link_unchanged(os.path.join(old_output, rel),
                                                           target, before, mark):
            written[rel] = before
            continue
        written[rel] = [key, *_write(target, data)]
    return written


def link_previous(expected: dict[str, str], staging: str, old_output: str,
                  previous: dict[str, list]) -> dict[str, list] | None:
    """Link each file of `expected` ({relative path: digest}) from the previous output into
    `staging` when the last build wrote it with that digest and it is still as published
    (see the module docstring); their records, or None as soon as one is not (the caller then
    writes them all anew)."""
    written: dict[str, list] = {}
    mark = _mark(previous)
    for rel, digest_wanted in expected.items():
        before = previous.get(rel)
        if not before or before[0] != digest_wanted:
            return None
        if not _link_unchanged(os.path.join(old_output, rel), _target(staging, rel), before,
                               mark):
            return None
        written[rel] = before
    return written


def still_published(path: str, record: list, mark: int | None) -> bool:
    """Whether the file at `path` is still the one a build published with `record`: a regular
    file of the recorded mtime and size, its inode unchanged since `mark` (ctime)."""
    if mark is None:
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_mtime_ns == record[1] and \
        st.st_size == record[2] and st.st_ctime_ns <= mark


def only_relinked(old_output: str, previous: dict[str, list], linked: dict[str, list]) -> bool:
    """After a refused build, whether the last output's files are still as published but for
    this build's own links: each either unchanged since the mark by its ctime, or shown only by
    its ctime to have changed (mtime and size as recorded) and linked by this build (`linked`
    holds its record: it was checked by `still_published` right before the link). A refused
    build's links into its staging folder, removed with it, move those ctimes past the mark:
    unless the build marks again, the next one copies every such file anew."""
    mark = _mark(previous)
    if mark is None:
        return False
    for rel, record in previous.items():
        if rel == PUBLISHED_AT or linked.get(rel) == record:
            continue
        try:
            st = os.lstat(os.path.join(old_output, rel))
        except OSError:
            continue  # gone: never reused
        if st.st_ctime_ns > mark and st.st_mtime_ns == record[1] and st.st_size == record[2]:
            return False  # an edit that kept the mtime, not ours: the old mark must stand
    return True


def _mark(previous: dict[str, list]) -> int | None:
    found = previous.get(PUBLISHED_AT)
    return found[0] if found else None


def _target(staging: str, rel: str) -> str:
    """`rel`'s path under `staging`, its folder made first (once per process)."""
    folder = os.path.dirname(rel)
    if folder and (staging, folder) not in _MADE:
        os.makedirs(os.path.join(staging, folder), exist_ok=True)
        _MADE.add((staging, folder))
    return os.path.join(staging, rel)


def _link_unchanged(old: str, target: str, recorded: list, mark: int | None) -> bool:
    """Link `old` to `target` when it is still what the last build published (`recorded`)."""
    if not still_published(old, recorded, mark):
        return False
    try:
        try:
            os.link(old, target)  # neither name is ever written in place by segpack
        except FileExistsError:
            os.unlink(target)
            os.link(old, target)
    except OSError:
        return False
    return True


def _publish_copy(source: str, rel: str, target: str, old_output: str,
                  previous: dict[str, list], mark: int | None) -> list:
    """Publish `source` at `target` as a file of its own (or the last build's copy, linked,
    when made from the same source file and unchanged since); its record."""
    st = os.stat(source)
    identity = digest(f"{source}\0{st.st_dev}\0{st.st_ino}\0{st.st_mtime_ns}\0"
                      f"{st.st_size}".encode("utf-8", "surrogateescape"))
    before = previous.get(rel)
    if before and before[0] == identity and _link_unchanged(os.path.join(old_output, rel),
                                                            target, before, mark):
        return before
    return [identity, *copy_file(source, target)]


def copy_file(source: str, target: str) -> tuple[int, int]:
    """Create `target` as a copy of `source`: a reflink where the file system can share blocks,
    else `segment.filecopy.copy_exact` (the kernel copies, or user space; every byte or an
    OSError, never a short copy). Its (mtime_ns, size)."""
    with open(source, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        fd = _create(target)
        try:
            if not _reflink(src.fileno(), fd):
                copy_exact(src.fileno(), fd, 0, size, 0)
            st = os.fstat(fd)
        finally:
            os.close(fd)
    if st.st_size != size:
        raise ShortCopy(f"the copy of {source} holds {st.st_size:,} bytes, not {size:,}")
    return st.st_mtime_ns, st.st_size


def _reflink(src: int, dst: int) -> bool:
    try:
        import fcntl

        fcntl.ioctl(dst, FICLONE, src)
    except (ImportError, OSError):  # ext4, tmpfs, another file system, not Linux
        return False
    return True


def _create(target: str) -> int:
    """A new file at `target`, open for writing. Always a new file: one already there (two
    segments with one id, refused later anyway) may be a link into the previous output, which
    must never be written through."""
    try:
        return os.open(target, _FLAGS, 0o666)
    except FileExistsError:
        os.unlink(target)
        return os.open(target, _FLAGS, 0o666)


def write_parts(staging: str, rel: str, parts: Iterable[str]) -> dict[str, list]:
    """Write a `WHOLE_SHOW` file under `staging` from its text in `parts` (the file is never
    held whole: index.html of a 100,000-episode show is ~75 MB); its record, as `write_files`
    makes it."""
    fd = _create(_target(staging, rel))
    with os.fdopen(fd, "wb", buffering=1 << 20) as out:  # closes fd
        for part in parts:
            out.write(part.encode("utf-8"))
        out.flush()
        st = os.fstat(fd)
    return {rel: ["", st.st_mtime_ns, st.st_size]}


def _write(target: str, data: bytes) -> tuple[int, int]:
    """Create `target` with `data` (open, write, fstat, close); its (mtime_ns, size)."""
    fd = _create(target)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return st.st_mtime_ns, st.st_size
