"""Open a user's file only when it is a regular file, and say in one line what it is otherwise.

Every reader of a file a user names (a manifest, show.yaml, audio, artwork, an intro, captions)
goes through here, because the usual ways of opening hang or crash on what git and a careless
`ln -s` can put in a show folder:

* a named pipe (FIFO) blocks `open()` until some other process writes to it: forever. Opening
  with O_NONBLOCK returns at once (regular files ignore the flag), and `fstat` on the open
  descriptor then tells what was opened, with no window for a swap between a check and the open;
* a folder opens fine for reading and fails later with a confusing error; a socket refuses the
  open (ENXIO); a device may be opened but is never audio;
* a symlink loop gives ELOOP ("Too many levels of symbolic links"), and `Path.resolve()` turns
  it into a RuntimeError on Python 3.10-3.12.

`file_problem` answers the same question without opening, for checks that only report.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from segment.errors import SegpackError

_FLAGS = os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
LOOP = "is a symlink loop (a link that leads back to itself); point it at a real file"


class NotAFileError(SegpackError, OSError):
    """A path that names something other than a regular file (a FIFO, folder, device, socket
    or symlink loop): reading it would hang or fail, so it is refused before any read.
    `strerror` is the message, so code that words OSErrors as `exc.strerror` words it right."""

    def __init__(self, message: str, path: str | Path | None = None):
        super().__init__(message, path)
        self.strerror = message


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words: 'a directory', 'a named pipe (FIFO)', ..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refusal(kind: str, what: str) -> str:
    return f"is {kind}, not {what}: segpack reads only regular files; put a file there"


def open_fd(path: str | Path, *, what: str = "a regular file", write: bool = False,
            follow: bool = True) -> tuple[int, os.stat_result]:
    """A descriptor of `path` opened for reading (read and write with `write`) and its stat,
    when it is a regular file; NotAFileError otherwise. Other OSErrors (not found, permission
    denied) are the caller's to word. `follow=False` refuses a symlink (O_NOFOLLOW: ELOOP)."""
    flags = (os.O_RDWR if write else os.O_RDONLY) | _FLAGS | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotAFileError(LOOP if follow else "is a symlink; segpack does not follow it "
                                "here", path) from None
        if exc.errno in (errno.ENXIO, errno.EISDIR, errno.EOPNOTSUPP):
            try:
                mode = os.stat(path).st_mode
            except OSError:
                raise exc from None
            if not stat.S_ISREG(mode):
                raise NotAFileError(_refusal(kind_of(mode), what), path) from None
        raise
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotAFileError(_refusal(kind_of(info.st_mode), what), path)
    return fd, info


def open_regular(path: str | Path, *, what: str = "a regular file", write: bool = False,
                 follow: bool = True) -> BinaryIO:
    """`open_fd` as a buffered binary file object ("rb", or "r+b" with `write`)."""
    fd, _ = open_fd(path, what=what, write=write, follow=follow)
    return os.fdopen(fd, "r+b" if write else "rb")


def read_regular(path: str | Path, limit: int, *, what: str = "a regular file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes (NotAFileError for anything else,
    `TooLarge` when bigger): never blocks on a FIFO, never reads a huge file to find out."""
    fd, info = open_fd(path, what=what)
    try:
        size = info.st_size
        if size > limit:
            raise TooLarge(size, limit, path)
        chunks = []
        total = 0
        while chunk := os.read(fd, max(size + 1 - total, 1 << 16)):
            total += len(chunk)
            if total > limit:
                raise TooLarge(total, limit, path)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class TooLarge(SegpackError, OSError):
    """A file bigger than its reader accepts (`size` and `limit` in bytes)."""

    def __init__(self, size: int, limit: int, path: str | Path):
        super().__init__(f"is {size:,} bytes; the limit here is {limit:,}", path)
        self.size, self.limit = size, limit
        self.strerror = self.message


def file_problem(path: str | Path, what: str = "a regular file", *,
                 missing: str = "not found") -> str | None:
    """Why `path` cannot be read as a regular file (`missing`, 'is a symlink loop ...', 'is a
    named pipe (FIFO) ...'), or None when it is one. A stat, no open: for checks that report,
    and for commands that refuse an input before any work, saying what it really is (a FIFO
    or a symlink loop is not "missing")."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return missing
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LOOP
        if exc.errno == errno.ENOTDIR:
            return missing
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    return _refusal(kind_of(mode), what)



def folder_problem(path: str | Path, what: str = "a folder") -> str | None:
    """Why `path` cannot be used as a folder, or made one with its parents (a symlink loop, a
    file or FIFO in the way), or None: a stat of `path` and its parents, no open, so that a
    command refuses such an output or show folder in one line before any work."""
    path = Path(path)
    looped = None  # the loop is where the last ELOOP is met, going up
    for there in (path, *path.parents):
        try:
            mode = os.stat(there).st_mode
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                looped = there
                continue
            if looped is None and exc.errno in (errno.ENOENT, errno.ENOTDIR):
                continue  # to be made, or a parent is in the way (found going up)
            if looped is None:
                return f"cannot be read ({exc.strerror or exc})"
            break
        if looped is None and not stat.S_ISDIR(mode):
            kind = "a file" if stat.S_ISREG(mode) else kind_of(mode)
            return f"is {kind}, not {what}" if there == path else \
                f"cannot be made: {there} is {kind}, not a folder"
        break
    if looped is None:
        return None
    loop = "is a symlink loop (a link that leads back to itself); point it at a folder"
    return loop if looped == path else f"cannot be made: {looped} {loop}"
