"""Copy bytes between open files exactly, or fail: never a short or a misplaced copy.

Every copy of audio segpack makes (a tagged copy's audio after its new tag, a published copy of
a cached file) goes through `copy_exact`. The kernel copies (copy_file_range: no trip through
user space, and some file systems share the blocks); where it does not offer that between the
two files, the bytes go through user space with pread/pwrite at explicit offsets. Both write at
the offset asked for, never at the descriptor's file position (a fallback that wrote at the file
position once put the rest of a recording over its beginning on a nearly full disk).

Only "not offered here" errors fall back (`NOT_OFFERED`); a full disk (ENOSPC), a file size
limit (EFBIG) or an I/O error raises as it is, and a source that ends early raises `ShortCopy`:
the caller's temp file is then deleted, never renamed over anything.
"""

from __future__ import annotations

import errno
import os

NOT_OFFERED = frozenset(filter(None, (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP,
                                      getattr(errno, "ENOTSUP", 0), errno.EINVAL)))
"""copy_file_range's answers for "not between these files / on this system": copy in user
space instead. Any other error is the copy's failure."""
_CHUNK = 1 << 20
_KERNEL_MAX = 1 << 30  # bytes asked of one copy_file_range call


class ShortCopy(OSError):
    """A copy came out shorter than asked (the source shrank, or its size was misread): an
    OSError (EIO), so callers word it like any other failed write."""

    def __init__(self, message: str):
        super().__init__(errno.EIO, message)


def copy_exact(src: int, dst: int, offset: int, count: int, out: int) -> None:
    """Copy `count` bytes of descriptor `src` from `offset` into descriptor `dst` at `out`.

    Returns only when every byte is in place and `dst` is at least `out + count` bytes long;
    raises OSError otherwise (ENOSPC, EFBIG, EIO as they come; `ShortCopy` when `src` ends
    early). The descriptors' file positions are neither used nor moved."""
    wanted, end = count, offset + count
    kernel = hasattr(os, "copy_file_range")
    while offset < end:
        done = 0
        if kernel:
            try:
                done = os.copy_file_range(src, dst, min(end - offset, _KERNEL_MAX), offset, out)
            except OSError as exc:
                if exc.errno not in NOT_OFFERED:
                    raise
            if done == 0:  # not offered, or 0 (EOF, or a file system that copies nothing):
                kernel = False  # user space tells which
                continue
        else:
            data = os.pread(src, min(end - offset, _CHUNK), offset)
            if not data:
                raise ShortCopy(f"the source ended after {wanted - (end - offset):,} of the "
                                f"{wanted:,} bytes to copy (it changed meanwhile)")
            _pwrite_all(dst, data, out)
            done = len(data)
        offset += done
        out += done
    if os.fstat(dst).st_size < out:
        raise ShortCopy(f"the copy holds {os.fstat(dst).st_size:,} bytes, not {out:,}")


def _pwrite_all(fd: int, data: bytes, at: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, at)
        view = view[written:]
        at += written
