"""Crash-safe writes to audio files: in place under a rollback journal, or copy and rename.

In place (the new tags fit the old tag region, so only a few KB change): like SQLite's rollback
journal, first save the exact bytes about to be overwritten to `.<name>.segpack-journal` beside
the file, fsync it and the folder, then overwrite, fsync, and delete the journal. A crash at any
point leaves either a torn journal (the audio was not touched yet) or a complete one, which the
next `segpack tag` of the file replays, restoring the old bytes. The cost depends on the tag size
only, never on the audio size.

A journal is trusted only for the file it was written for. It names the file's device, inode and
size and, for every range it would restore, the old bytes and a digest of each 512-byte piece of
the new ones; it is replayed only when all of these match the file now there and every piece of
every range holds either its old or its new bytes (a crash tears a write at sector or page
boundaries, never inside a piece). Anything else -- a torn or planted journal, one left for a
recording since replaced by another, offsets or lengths past the file -- is never replayed: it
is set aside (renamed `.<name>.segpack-journal.set-aside`, not deleted) with a one-line warning.
Reading commands (`segpack tags`, `validate --media`, `import audio`) never replay or touch a
journal; they say one is pending (`pending`).

Copy and rename (the file must grow): write the new file beside the old one, fsync it, check that
the file at the path is still the one that was read (device, inode, size, mtime, ctime: another
program may have moved a new recording in meanwhile), rename it over and fsync the folder:
readers see the old file or the new one, whole. The in-place path checks the same before it
patches, and also that the bytes it overwrites are still the ones it planned from.

`commit()` does this for many files at once (group commit): all temp files are written, and
one journal per folder holding every in-place file's section, hard-linked under each file's
journal name (so each file finds its own part; one inode to write and flush, none to allocate
per file); they are flushed together (in parallel threads), then every file is patched or
renamed, flushed together, then the journal names go. A thousand files cost a few flush rounds
instead of three fsyncs each.

`open_locked()` serialises segpack processes on one file with flock, so two overlapping
`segpack tag` runs never interleave their writes; when writing, it also replays (or sets aside)
a leftover journal and removes a leftover temp file before anything else touches the file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from media.oserrors import as_media_errors
from segment.clikit import warn
from segment.errors import MediaError
from segment.filecopy import ShortCopy, copy_exact
from segment.manifest import fsync_dir
from segment.userfiles import open_fd, open_regular

MAGIC = b"SEGPACK-JOURNAL 3\n"
"""Versions 1 and 2 named no file identity: such journals are set aside, never replayed."""
_COUNT = struct.Struct(">I")  # number of files
_NAME = struct.Struct(">H")  # length of a file name
_FILE = struct.Struct(">QQQI")  # device, inode, file size, number of ranges
_RANGE = struct.Struct(">QI")  # offset, length
_TRAILER = 32  # SHA-256 of everything before it
PIECE = 512
"""Ranges are checked in pieces aligned to this many bytes of the file: the smallest unit a
crash can leave half old, half new (a sector; a killed process tears at 4 KB pages)."""
_DIGEST = 16  # bytes of BLAKE2b per piece of new bytes
MAX_JOURNAL = 320 << 20
"""A journal bigger than this was not written by segpack: one file's section holds at most its
whole ID3v2 region (256 MB by the format) and a 16-byte digest per 512 bytes of it, and the
writer starts another journal before a folder's would grow past this (`_write_journals`)."""
MAX_RANGES = 64
"""Ranges one file's section may list: segpack writes one or two (the tag, an ID3v1 record)."""
MAX_SECTIONS = 4096
"""Files one journal may list: segpack writes one per file of a batch (256)."""
_CHUNK = 1 << 20

Patch = tuple[int, bytes]
"""(offset, new bytes) to write over the file at offset."""
Identity = tuple[int, int, int, int, int]
"""(device, inode, size, mtime_ns, ctime_ns): the file as it was read."""


def journal_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.segpack-journal")


def identity(info: os.stat_result) -> Identity:
    """What must not change between reading a file and writing its new version."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def check_writable(path: Path) -> None:
    """Refuse files without write permission, even when running as root (which could write)."""
    mode = path.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise MediaError("read-only file; make it writable (chmod u+w) to tag it", path)


def open_locked(path: Path, *, write: bool) -> BinaryIO:
    """Open `path` (r+b when writing) holding an exclusive flock; when writing, replay or set
    aside a leftover journal first. Reading never touches a journal (see `pending`).

    A file renamed over by another process while we waited is reopened, so the lock always
    belongs to the file currently at `path`. Only regular files are opened (a FIFO would
    block). The caller closes the handle (releasing the lock).
    """
    while True:
        denied = "permission denied" + ("; the file is read-only" if write else "")
        with as_media_errors(path, denied=denied):
            handle = open_regular(path, what="an audio file", write=write)
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
                _remove_leftover_temp(path)
                recover_open(path, handle)
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


def pending(path: Path) -> Path | None:
    """The journal name beside `path` when one is there (an interrupted write, or something
    set there by another hand); a look only, for commands that must not write."""
    jpath = journal_path(path)
    return jpath if os.path.lexists(jpath) else None


def pending_problem(path: Path) -> str | None:
    """Why `path` must not be published or checked as it is: an interrupted write's journal
    is pending beside it (None when there is none)."""
    jpath = pending(path)
    if jpath is None:
        return None
    return (f"a rollback journal from an interrupted write is pending ({jpath.name}); run "
            "segpack tag on the file to finish it")


def pending_note(path: Path) -> str | None:
    """One line for a reading command that found a pending journal beside `path`."""
    jpath = pending(path)
    if jpath is None:
        return None
    return (f"{path}: a rollback journal from an interrupted write is pending ({jpath.name}); "
            "what is read now may be half-written: `segpack tag` on this file finishes it")


def recover(path: Path) -> bool:
    """Replay a leftover journal for `path` (under the lock); True when bytes were restored."""
    if pending(path) is None:
        return False
    with open_regular(path, write=True) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return recover_open(path, handle)


def recover_open(path: Path, handle: BinaryIO) -> bool:
    """Replay the journal beside `path` into the open (r+b, locked) file when it belongs to it;
    set it aside with a warning when it does not. True when bytes were restored."""
    jpath = journal_path(path)
    try:
        jfd, jinfo = open_fd(jpath, follow=False)
    except FileNotFoundError:
        return False
    except OSError:  # a symlink, FIFO or folder under our name, or unreadable: not ours
        _set_aside(path, jpath, "its rollback journal is not a regular file segpack wrote")
        return False
    try:
        verdict = _examine(jfd, jinfo.st_size, os.fsencode(path.name), handle.fileno())
    finally:
        os.close(jfd)
    if isinstance(verdict, str):
        _set_aside(path, jpath, verdict)
        return False
    if verdict:
        fd = handle.fileno()
        for offset, old in verdict:
            os.pwrite(fd, old, offset)
        os.fsync(fd)
    # Restored, or the crash came before the audio was touched: the journal guards nothing.
    try:
        jpath.unlink(missing_ok=True)
    except OSError as exc:  # a read-only folder: the next writer replays it again, harmlessly
        raise MediaError(f"its rollback journal {jpath.name} was checked but cannot be removed "
                         f"({exc.strerror}); make the folder writable, then tag again",
                         path) from None
    fsync_dir(path.parent)
    return bool(verdict)


def _set_aside(path: Path, jpath: Path, why: str) -> None:
    """Rename a journal that must not be replayed out of the way (never delete it: it may be
    someone's evidence), and say so in one line."""
    base = jpath.with_name(jpath.name + ".set-aside")
    for attempt in range(1, 1000):
        target = base if attempt == 1 else base.with_name(f"{base.name}-{attempt}")
        if os.path.lexists(target):
            continue
        try:
            os.rename(jpath, target)
        except FileNotFoundError:
            return
        except OSError as exc:  # a read-only folder (or a name too long): say why, in one line
            raise MediaError(f"{why}; it cannot be set aside ({exc.strerror}): move "
                             f"{jpath.name} out of the way or make the folder writable, then "
                             "tag again", path) from None
        warn(f"segpack: warning: {path}: {why}; not replayed: the journal was set aside as "
             f"{target.name}")
        return
    raise MediaError(f"{why}; too many journals set aside already ({base.name}-*)", path)


def _examine(jfd: int, jsize: int, name: bytes, fd: int) -> list[Patch] | str:
    """Read the journal (descriptor `jfd` of `jsize` bytes) for the file `name` open at `fd`:
    the ranges to restore (empty: the file already holds the old bytes), or why it must not be
    replayed. Reads in bounded chunks; every count and length is checked against the journal's
    and the file's sizes before it is used."""
    if jsize < len(MAGIC) + _COUNT.size + _TRAILER or jsize > MAX_JOURNAL:
        return "its rollback journal is torn or not segpack's (an interrupted write that never " \
               "reached the audio leaves such a journal)"
    if os.pread(jfd, len(MAGIC), 0) != MAGIC:
        return "its rollback journal is torn, not segpack's or from an older segpack"
    end = jsize - _TRAILER
    digest = hashlib.sha256()
    for offset in range(0, end, _CHUNK):
        digest.update(os.pread(jfd, min(_CHUNK, end - offset), offset))
    if digest.digest() != os.pread(jfd, _TRAILER, end):
        return "its rollback journal is torn (an interrupted write that never reached the " \
               "audio leaves such a journal) or not segpack's"
    reader = _Reader(jfd, len(MAGIC), end)
    info = os.fstat(fd)
    try:
        (count,) = reader.unpack(_COUNT)
        if count > MAX_SECTIONS:
            return f"its rollback journal lists {count:,} files (segpack lists a batch, " \
                   f"{MAX_SECTIONS:,} at most): not segpack's"
        for _ in range(count):
            (length,) = reader.unpack(_NAME)
            section_name = reader.read(length)
            dev, ino, size, ranges = reader.unpack(_FILE)
            if ranges > MAX_RANGES:
                return f"its rollback journal lists {ranges:,} ranges for one file (segpack " \
                       f"writes {MAX_RANGES} at most): not segpack's"
            if section_name != name:
                for _ in range(ranges):
                    offset, length = reader.unpack(_RANGE)
                    reader.skip(length + _DIGEST * _pieces(offset, length))
                continue
            if (dev, ino) != (info.st_dev, info.st_ino):
                return "its rollback journal was written for another file (device and inode " \
                       "differ: the file was replaced since)"
            if size != info.st_size:
                return (f"its rollback journal was written for a file of {size:,} bytes, not "
                        f"{info.st_size:,} (the file was replaced or edited since)")
            return _ranges_to_restore(reader, ranges, fd, size)
    except _Outside:
        return "its rollback journal is damaged (a length runs past its end)"
    return "its rollback journal holds nothing for this file name"


def _ranges_to_restore(reader: _Reader, count: int, fd: int, size: int) -> list[Patch] | str:
    """The (offset, old bytes) of every range whose bytes are now partly or wholly new; a
    reason when a range lies outside the file or holds bytes neither old nor new."""
    restore: list[Patch] = []
    last = 0
    for _ in range(count):
        offset, length = reader.unpack(_RANGE)
        if length == 0:  # segpack journals only bytes it overwrites: never an empty range
            return "its rollback journal lists an empty range: not segpack's"
        if offset < last or offset + length > size:
            return "its rollback journal names bytes outside the file (or out of order)"
        last = offset + length
        old = reader.read(length)
        digests = reader.read(_DIGEST * _pieces(offset, length))
        now = os.pread(fd, length, offset)
        if now == old:
            continue
        for index, (start, stop) in enumerate(_piece_bounds(offset, length)):
            piece = now[start:stop]
            if piece != old[start:stop] and _digest(piece) != \
                    digests[index * _DIGEST:(index + 1) * _DIGEST]:
                return ("its bytes at the journal's ranges are neither the old nor the new "
                        "tag (the file was replaced or edited since)")
        restore.append((offset, old))
    return restore


class _Outside(Exception):
    """A length in the journal runs past its end."""


class _Reader:
    """Sequential reads from the journal's descriptor within [pos, end)."""

    def __init__(self, fd: int, pos: int, end: int):
        self.fd, self.pos, self.end = fd, pos, end

    def read(self, count: int) -> bytes:
        if count < 0 or self.pos + count > self.end:
            raise _Outside
        data = os.pread(self.fd, count, self.pos) if count else b""
        if len(data) != count:
            raise _Outside
        self.pos += count
        return data

    def skip(self, count: int) -> None:
        if self.pos + count > self.end:
            raise _Outside
        self.pos += count

    def unpack(self, layout: struct.Struct) -> tuple[Any, ...]:
        return layout.unpack(self.read(layout.size))


def _piece_bounds(offset: int, length: int) -> Iterator[tuple[int, int]]:
    """(start, stop) within a range at `offset` of each piece aligned to PIECE in the file."""
    start = 0
    while start < length:
        stop = min(length, (offset + start) // PIECE * PIECE + PIECE - offset)
        yield start, stop
        start = stop


def _pieces(offset: int, length: int) -> int:
    return 0 if length <= 0 else (offset + length - 1) // PIECE - offset // PIECE + 1


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST).digest()


def _render(sections: Sequence[Section]) -> bytes:
    """One journal for many files of a folder: per file its identity and old ranges."""
    parts = [MAGIC, _COUNT.pack(len(sections))]
    for section in sections:
        parts += [_NAME.pack(len(section.name)), section.name,
                  _FILE.pack(section.dev, section.ino, section.size, len(section.ranges))]
        for (offset, old), (_, new) in zip(section.ranges, section.patches, strict=True):
            parts += [_RANGE.pack(offset, len(old)), old,
                      *(_digest(new[a:b]) for a, b in _piece_bounds(offset, len(new)))]
    body = b"".join(parts)
    return body + hashlib.sha256(body).digest()


@dataclass
class Section:
    """One file's part of a journal: its name, identity and the old bytes of each patch."""

    name: bytes
    dev: int
    ino: int
    size: int
    ranges: list[Patch]
    patches: Sequence[Patch]


@dataclass
class Write:
    """One file's new version: `patches` over the open file (same size), or `rewrite` filling
    a new file from scratch (it gets the temp file; the old one stays readable via `handle`)
    and returning the size the new file must have, when it knows it (checked before the
    rename: a short copy never replaces a recording).

    `seen` is the file's identity when it was opened, before anything was read from it
    (`identity`); when the file at `path` no longer matches it, the write is skipped. The old
    bytes of the patched ranges are read when the write is planned (`before`), so a change
    made to them between planning and patching is caught too."""

    path: Path
    handle: BinaryIO
    patches: Sequence[Patch] = ()
    rewrite: Callable[[BinaryIO], int | None] | None = None
    seen: Identity | None = None
    before: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.patches = [patch for patch in self.patches if patch[1]]  # nothing to journal
        fd = self.handle.fileno()
        if self.seen is None:
            self.seen = identity(os.fstat(fd))
        size = self.seen[2]
        for offset, new in self.patches:
            if offset + len(new) > size:
                raise ValueError("in-place patches must not grow the file")
        self.before = [os.pread(fd, len(new), offset) for offset, new in self.patches]

    def changed(self) -> bool:
        """Whether the file at `path` is no longer the one read: replaced (another inode, or
        a symlink now), or edited (size, mtime, ctime, or the bytes about to be patched)."""
        try:
            now = os.stat(self.path, follow_symlinks=False)
        except OSError:
            return True
        if identity(now) != self.seen or identity(os.fstat(self.handle.fileno())) != self.seen:
            return True
        fd = self.handle.fileno()
        return any(os.pread(fd, len(new), offset) != old
                   for (offset, new), old in zip(self.patches, self.before, strict=True))


CHANGED = ("changed while segpack was tagging it (replaced or edited by another program); "
           "left as it is: run segpack tag again")


def commit(writes: Sequence[Write], *, workers: int = 16) -> dict[Path, str]:
    """Make many files' new versions durable with a handful of flush rounds (group commit);
    returns {path: why} for the files left as they are because they changed since they were
    read (`Write.changed`, checked right before each patch and each rename).

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
    skipped: dict[Path, str] = {}
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
        done = []
        for write in patched:
            if write.changed():
                skipped[write.path] = CHANGED
                continue
            _apply(write.handle.fileno(), write.patches)
            done.append(write)
        renamed = {write.path.parent for write, _, _ in temps}
        while temps:
            write, tmp, fd = temps.pop()
            os.close(fd)
            if write.changed():  # a new recording moved in meanwhile: it stays, ours goes
                skipped[write.path] = CHANGED
                tmp.unlink(missing_ok=True)
                continue
            os.replace(tmp, write.path)
        # Same size, same blocks: the bytes are what must be durable, not the mtime.
        _parallel(os.fdatasync, [write.handle.fileno() for write in done], workers)
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
    return skipped


_CREATE = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
"""Journals and temp files are new files: never truncate or follow something under their name."""


def _write_journals(writes: Sequence[Write], names: list[Path], fds: list[int]) -> None:
    """Per folder, one journal (not yet fsynced) with the identity and the old bytes of every
    range about to be overwritten in each file, reachable from every file's journal name (hard
    links; a copy where the filesystem has none). Each is written whole under a staging name
    first (`staging_path`) and only then linked under the journal names, so a killed run never
    leaves half a journal under a journal's name. Appends every name made (journal and
    staging names, all to be removed at the end) and the descriptors to flush."""
    folders: dict[Path, list[Write]] = {}
    for write in writes:
        folders.setdefault(write.path.parent, []).append(write)
    for group in (part for folder in folders.values() for part in _fitting(folder)):
        data = _render([_section(write) for write in group])
        staged: Path | None = None  # written whole, then linked under each journal name
        for write in group:
            jpath = journal_path(write.path)
            if staged is not None and _link(staged, jpath):
                names.append(jpath)
                continue
            own = staging_path(write.path)
            fd = os.open(own, os.O_WRONLY | _CREATE, 0o600)
            fds.append(fd)
            names.append(own)
            _write_all(fd, data)
            if staged is None and _link(own, jpath):
                staged = own
            else:  # no hard links on this filesystem: each file's copy takes its name
                os.rename(own, jpath)
                names.pop()
            names.append(jpath)


def _fitting(writes: list[Write]) -> Iterator[list[Write]]:
    """`writes` in runs whose journal stays within MAX_JOURNAL (what `_examine` accepts)."""
    run: list[Write] = []
    size = len(MAGIC) + _COUNT.size + _TRAILER
    for write in writes:
        own = _NAME.size + len(os.fsencode(write.path.name)) + _FILE.size + sum(
            _RANGE.size + len(new) + _DIGEST * _pieces(offset, len(new))
            for offset, new in write.patches)
        if run and (size + own > MAX_JOURNAL or len(run) >= MAX_SECTIONS):
            yield run
            run, size = [], len(MAGIC) + _COUNT.size + _TRAILER
        run.append(write)
        size += own
    if run:
        yield run


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def staging_path(path: Path) -> Path:
    """Where a journal is written before it gets its name; a crash's leftover is removed by
    the next run that writes the file (like a leftover temp file)."""
    return path.with_name(f".{path.name}.segpack-journal-new")


def _section(write: Write) -> Section:
    assert write.seen is not None, "set when the write is made"
    dev, ino, size = write.seen[:3]
    ranges = [(offset, old) for (offset, _), old in zip(write.patches, write.before,
                                                          strict=True)]
    return Section(os.fsencode(write.path.name), dev, ino, size, ranges, write.patches)


def _link(source: Path, target: Path) -> bool:
    """Hard-link `target` to `source`; False where the filesystem cannot (then copy)."""
    try:
        os.link(source, target)
        return True
    except OSError:
        return False


def temp_path(path: Path) -> Path:
    """Where the new version of `path` is built; one name per file (its writer holds the lock),
    so a leftover from a crash is found and removed by the next run that touches the file."""
    return path.with_name(f".{path.name}.segpack-tmp")


def _remove_leftover_temp(path: Path) -> None:
    """A crash's leftover temp file (or staged journal) never got the name it was made for:
    remove it (a folder under the name is left alone; creating the temp file then fails)."""
    for leftover in (temp_path(path), staging_path(path)):
        with suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            leftover.unlink()


def _temp_copy(write: Write) -> tuple[Path, int]:
    """Create the new version in a temp file beside the original (not yet fsynced)."""
    mode = stat.S_IMODE(os.fstat(write.handle.fileno()).st_mode)
    tmp = temp_path(write.path)
    fd = os.open(tmp, os.O_RDWR | _CREATE, 0o600)
    try:
        temp = os.fdopen(os.dup(fd), "w+b")
        assert write.rewrite is not None, "only rewrites are copied"
        with temp:
            expected = write.rewrite(temp)
            temp.flush()
        made = os.fstat(fd).st_size
        if expected is not None and made != expected:
            raise ShortCopy(f"the tagged copy holds {made:,} bytes, not the {expected:,} it "
                            "should; the file was left as it is")
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


def _apply(fd: int, patches: Sequence[Patch]) -> None:
    """Overwrite the ranges (a seam the crash tests replace with a half-done write)."""
    for offset, new in patches:
        os.pwrite(fd, new, offset)


def copy_range(source: BinaryIO, target: BinaryIO, offset: int, count: int | None = None) -> int:
    """Append `count` bytes (or the rest) of `source` from `offset` to `target`, in the kernel
    where it can (`segment.filecopy.copy_exact`: every byte at its place, or OSError); the
    size `target` has now (what the caller's rewrite promises `_temp_copy`)."""
    src, dst = source.fileno(), target.fileno()
    end = os.fstat(src).st_size if count is None else offset + count
    target.flush()
    out = os.lseek(dst, 0, os.SEEK_END)
    copy_exact(src, dst, offset, end - offset, out)
    return target.seek(0, os.SEEK_END)
