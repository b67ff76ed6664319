"""Crash-safe writes to audio files: in place under a rollback journal, or copy and rename.

In place (the new tags fit the old tag region, so only a few KB change): like SQLite's rollback
journal, first save the exact bytes about to be overwritten to `.<name>.segpack-journal` beside
the file, fsync it and the folder, then overwrite, fsync, and delete the journal. A crash at any
point leaves either a torn journal (the audio was not touched yet: ignored) or a complete one,
which the next segpack run that touches the file replays, restoring the old bytes. The cost
depends on the tag size only, never on the audio size.

Copy and rename (the file must grow): write the new file beside the old one, fsync it, rename
it over the original and fsync the folder: readers see the old file or the new one, whole.

`commit()` does this for many files at once (group commit): all temp files are written, and
one journal per folder holding every in-place file's old bytes, hard-linked under each file's
journal name (so each file finds its own part; one inode to write and flush, none to allocate
per file); they are flushed together (in parallel threads), then every file is patched or
renamed, flushed together, then the journal names go. A thousand files cost a few flush rounds
instead of three fsyncs each.

`open_locked()` serialises segpack processes on one file with flock, so two overlapping
`segpack tag` runs never interleave their writes; it also replays a leftover journal and
removes a leftover temp file before anything else touches the file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from media.oserrors import as_media_errors
from segment.errors import MediaError
from segment.manifest import fsync_dir

MAGIC = b"SEGPACK-JOURNAL 2\n"
MAGIC_V1 = b"SEGPACK-JOURNAL 1\n"  # one file per journal; still replayed
_COUNT = struct.Struct(">I")  # number of files
_NAME = struct.Struct(">H")  # length of a file name
_HEAD = struct.Struct(">QI")  # original file size, number of ranges
_RANGE = struct.Struct(">QI")  # offset, length

Patch = tuple[int, bytes]
"""(offset, new bytes) to write over the file at offset."""


def journal_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.segpack-journal")


def check_writable(path: Path) -> None:
    """Refuse files without write permission, even when running as root (which could write)."""
    mode = path.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise MediaError("read-only file; make it writable (chmod u+w) to tag it", path)


def open_locked(path: Path, *, write: bool) -> BinaryIO:
    """Open `path` (r+b when writing) holding an exclusive flock; replay a leftover journal.

    A file renamed over by another process while we waited is reopened, so the lock always
    belongs to the file currently at `path`. The caller closes the handle (releasing the lock).
    """
    while True:
        denied = "permission denied" + ("; the file is read-only" if write else "")
        with as_media_errors(path, denied=denied):
            handle = open(path, "r+b" if write else "rb")  # noqa: SIM115 - the caller closes it
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                same = os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                handle.close()
                continue
            if write:
                temp_path(path).unlink(missing_ok=True)  # a crash's leftover: never renamed
            if journal_path(path).exists():
                if write:
                    recover_open(path, handle)
                else:
                    try:
                        with open(path, "r+b") as writable:
                            recover_open(path, writable)
                    except PermissionError:
                        raise MediaError("an interrupted write left a rollback journal; make the "
                                         "file writable so segpack can restore it", path) from None
        except BaseException:
            handle.close()
            raise
        return handle


@contextmanager
def locked(path: Path, *, write: bool) -> Iterator[BinaryIO]:
    """`open_locked` as a context manager."""
    handle = open_locked(path, write=write)
    try:
        yield handle
    finally:
        handle.close()


def recover(path: Path) -> bool:
    """Replay a leftover journal for `path` (under the lock); True when bytes were restored."""
    if not journal_path(path).exists():
        return False
    with open(path, "r+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return recover_open(path, handle)


def recover_open(path: Path, handle: BinaryIO) -> bool:
    jpath = journal_path(path)
    try:
        data = jpath.read_bytes()
    except FileNotFoundError:
        return False
    entry = _parse(data).get(os.fsencode(path.name)) if data else None
    if entry is not None:
        size, ranges = entry
        for offset, old in ranges:
            os.pwrite(handle.fileno(), old, offset)
        os.ftruncate(handle.fileno(), size)
        os.fsync(handle.fileno())
    # A torn journal means the crash came before the audio was touched: nothing to undo.
    jpath.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return entry is not None


def _parse(data: bytes) -> dict[bytes | None, tuple[int, list[Patch]]]:
    """File name -> (original size, old ranges); empty when the journal is torn. A version 1
    journal (one file, no names) answers to any name (key None)."""
    magic = MAGIC if data.startswith(MAGIC) else MAGIC_V1 if data.startswith(MAGIC_V1) else None
    if magic is None or len(data) < len(magic) + 32:
        return {}
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        return {}
    pos = len(magic)
    if magic == MAGIC_V1:
        size, ranges, _ = _parse_ranges(body, pos)
        return {None: (size, ranges)}
    (count,) = _COUNT.unpack_from(body, pos)
    pos += _COUNT.size
    found: dict[bytes | None, tuple[int, list[Patch]]] = {}
    for _ in range(count):
        (length,) = _NAME.unpack_from(body, pos)
        name = body[pos + _NAME.size:pos + _NAME.size + length]
        size, ranges, pos = _parse_ranges(body, pos + _NAME.size + length)
        found[name] = (size, ranges)
    return found


def _parse_ranges(body: bytes, pos: int) -> tuple[int, list[Patch], int]:
    size, count = _HEAD.unpack_from(body, pos)
    pos += _HEAD.size
    ranges = []
    for _ in range(count):
        offset, length = _RANGE.unpack_from(body, pos)
        pos += _RANGE.size
        ranges.append((offset, body[pos:pos + length]))
        pos += length
    return size, ranges, pos


def _render(sections: Sequence[tuple[bytes, int, Sequence[Patch]]]) -> bytes:
    """One journal for many files of a folder: per file its name, size and old ranges."""
    parts = [MAGIC, _COUNT.pack(len(sections))]
    for name, size, ranges in sections:
        parts += [_NAME.pack(len(name)), name, _HEAD.pack(size, len(ranges))]
        for offset, old in ranges:
            parts += [_RANGE.pack(offset, len(old)), old]
    body = b"".join(parts)
    return body + hashlib.sha256(body).digest()


@dataclass
class Write:
    """One file's new version: `patches` over the open file (same size), or `rewrite` filling
    a new file from scratch (it gets the temp file; the old one stays readable via `handle`)."""

    path: Path
    handle: BinaryIO
    patches: Sequence[Patch] = ()
    rewrite: Callable[[BinaryIO], None] | None = None


def commit(writes: Sequence[Write], *, workers: int = 16) -> None:
    """Make many files' new versions durable with a handful of flush rounds (group commit).

    1. write every temp file (rewrites) and, per folder, one journal holding the old bytes of
       every in-place file, linked under each file's journal name (one inode: one fsync, and
       no per-file inode allocation); 2. fsync the temps and journals in parallel threads, and
       the folders holding journals; 3. patch in place / rename over; 4. fsync the patched
       files, and the folders that had renames; 5. delete the journals. A crash anywhere leaves
       each file old or new (replay).
    """
    temps: list[tuple[Write, Path, int]] = []
    names: list[Path] = []
    fds: list[int] = []
    applied = False
    try:
        rewrites = [write for write in writes if write.rewrite is not None]
        for write, made in zip(rewrites, _parallel(_temp_copy, rewrites, workers), strict=True):
            temps.append((write, *made))
        patched = [write for write in writes if write.rewrite is None and write.patches]
        _write_journals(patched, names, fds)
        _parallel(os.fsync, [fd for _, _, fd in temps] + fds, workers)
        for folder in {write.path.parent for write in patched}:
            fsync_dir(folder)  # the journals' names are durable before any audio changes
        applied = True
        for write in patched:
            _apply(write.handle.fileno(), write.patches)
        renamed = {write.path.parent for write, _, _ in temps}
        while temps:
            write, tmp, fd = temps.pop()
            os.close(fd)
            os.replace(tmp, write.path)
        # Same size, same blocks: the bytes are what must be durable, not the mtime.
        _parallel(os.fdatasync, [write.handle.fileno() for write in patched], workers)
        for folder in renamed:
            fsync_dir(folder)  # the renames are durable
        for jpath in names:
            jpath.unlink()
    finally:
        for fd in fds:
            os.close(fd)
        if not applied:  # no audio file changed yet: the journals guard nothing
            for jpath in names:
                jpath.unlink(missing_ok=True)
        for _, tmp, fd in temps:  # only left when something failed before the renames
            os.close(fd)
            tmp.unlink(missing_ok=True)


def _write_journals(writes: Sequence[Write], names: list[Path], fds: list[int]) -> None:
    """Per folder, one journal (not yet fsynced) with the old bytes of every range about to be
    overwritten in each file, reachable from every file's journal name (hard links; a copy
    where the filesystem has none). Appends the names made and the descriptors to flush."""
    folders: dict[Path, list[Write]] = {}
    for write in writes:
        folders.setdefault(write.path.parent, []).append(write)
    for group in folders.values():
        data = _render([_section(write) for write in group])
        first: Path | None = None
        for write in group:
            jpath = journal_path(write.path)
            if first is not None and _link(first, jpath):
                names.append(jpath)
                continue
            fd = os.open(jpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            fds.append(fd)
            names.append(jpath)
            os.write(fd, data)
            first = first or jpath


def _section(write: Write) -> tuple[bytes, int, list[Patch]]:
    fd = write.handle.fileno()
    size = os.fstat(fd).st_size
    old = []
    for offset, new in write.patches:
        if offset + len(new) > size:
            raise ValueError("in-place patches must not grow the file")
        old.append((offset, os.pread(fd, len(new), offset)))
    return os.fsencode(write.path.name), size, old


def _link(source: Path, target: Path) -> bool:
    """Hard-link `target` to `source`; False where the filesystem cannot (then copy)."""
    for _ in range(2):
        try:
            os.link(source, target)
            return True
        except FileExistsError:
            target.unlink(missing_ok=True)  # a stale name; its file was replayed under the lock
        except OSError:
            return False
    return False


def temp_path(path: Path) -> Path:
    """Where the new version of `path` is built; one name per file (its writer holds the lock),
    so a leftover from a crash is found and removed by the next run that touches the file."""
    return path.with_name(f".{path.name}.segpack-tmp")


def _temp_copy(write: Write) -> tuple[Path, int]:
    """Create the new version in a temp file beside the original (not yet fsynced)."""
    mode = stat.S_IMODE(os.fstat(write.handle.fileno()).st_mode)
    tmp = temp_path(write.path)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        temp = os.fdopen(os.dup(fd), "w+b")
        assert write.rewrite is not None, "only rewrites are copied"
        with temp:
            write.rewrite(temp)
            temp.flush()
        os.fchmod(fd, mode)
        _start_writeback(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return tmp, fd


_POOL: list[Any] = []


def _parallel(func: Callable[[Any], Any], items: list[Any], workers: int = 16) -> list[Any]:
    """Run blocking I/O side by side (copies, flushes, closes that free blocks): the kernel
    works while Python waits, and concurrent fsyncs share the filesystem's journal commits."""
    if len(items) <= 1:
        return [func(item) for item in items]
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.append(ThreadPoolExecutor(workers, thread_name_prefix="segpack-io"))
    return list(_POOL[0].map(func, items))


def _start_writeback(fd: int) -> None:
    """Start writing the new file to disk now, while the next files are copied: on Linux,
    POSIX_FADV_DONTNEED queues the dirty pages for writeback (and drops the clean ones), so
    the group fsync finds little left to do instead of writing a batch's megabytes at once."""
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def close_all(handles: Sequence[BinaryIO]) -> None:
    """Close many files at once (closing a replaced file frees its blocks, which can be slow)."""
    _parallel(lambda handle: handle.close(), list(handles))


_CLOSER: list[Any] = []


def close_all_later(handles: Sequence[BinaryIO]) -> Any:
    """`close_all` in the background (a Future): freeing the blocks of replaced files (slow
    with online discard) overlaps the next batch's work. Locks are released when it is done."""
    if not _CLOSER:
        from concurrent.futures import ThreadPoolExecutor

        _CLOSER.append(ThreadPoolExecutor(1, thread_name_prefix="segpack-close"))
    return _CLOSER[0].submit(close_all, list(handles))


def patch_in_place(path: Path, handle: BinaryIO, patches: Sequence[Patch]) -> None:
    """Overwrite byte ranges of an open (r+b, locked) file, guarded by a rollback journal."""
    commit([Write(path, handle, patches=patches)])


def _apply(fd: int, patches: Sequence[Patch]) -> None:
    """Overwrite the ranges (a seam the crash tests replace with a half-done write)."""
    for offset, new in patches:
        os.pwrite(fd, new, offset)


def replace_file(path: Path, handle: BinaryIO, rewrite: Callable[[BinaryIO], None]) -> None:
    """Write a new version of `path` via `rewrite(temp)` beside it, fsync, rename over it."""
    commit([Write(path, handle, rewrite=rewrite)])


def copy_range(source: BinaryIO, target: BinaryIO, offset: int, count: int | None = None) -> None:
    """Copy `count` bytes (or the rest) of `source` from `offset` to `target`, in the kernel."""
    src, dst = source.fileno(), target.fileno()
    end = os.fstat(src).st_size if count is None else offset + count
    target.flush()
    out = os.lseek(dst, 0, os.SEEK_END)
    while offset < end:
        try:
            done = os.copy_file_range(src, dst, end - offset, offset, out)
        except OSError:
            done = os.sendfile(dst, src, offset, end - offset)
        if done == 0:
            break
        offset += done
        out += done
    target.seek(0, os.SEEK_END)
