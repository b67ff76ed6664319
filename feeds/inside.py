"""Change files inside a folder without ever following a symbolic link out of it.

The output folder is the user's too: a `media/` there may be a link to a folder elsewhere (a
server's media store), a name segpack uses may be a link to another file, a FIFO may sit
where segpack writes its list. Plain path calls (`os.unlink("out/media/x.mp3")`) follow every
link on the way; one through a linked `media/` once deleted the user's files outside the
output. So every unlink, rmdir, rename, mkdir and create `feeds.output` does in the output (and
in the folders beside it that hold an old output) goes through a `Root`: the folder is opened
once, and a path inside it is walked one folder at a time from that descriptor, each step
opened with O_NOFOLLOW | O_DIRECTORY. A step that is a symbolic link, or not a folder, stops the
walk with `NotInside` (an OSError): nothing is done there. The last part of a path is never
followed either: unlinking a link removes the link, and a file is created only where no name
is (O_CREAT | O_EXCL | O_NOFOLLOW, after removing what was there when asked to).
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import suppress
from pathlib import Path
from types import TracebackType

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class NotInside(OSError):
    """A folder on the way to a path is a symbolic link (or not a folder at all): segpack
    does not reach through it. `strerror` says so in words, naming the folder."""

    def __init__(self, where: str):
        super().__init__(errno.ELOOP, f"{where} is a symbolic link or not a folder; segpack "
                         "does not write or delete through it", where)


class Root:
    """A folder opened once; paths inside it ('/'-separated, relative) reached without
    following links. Descriptors of the folders walked are kept until `close`."""

    def __init__(self, path: Path | str):
        self.path = os.fspath(path)
        self.fd = os.open(self.path, _DIR)
        self._folders: dict[str, int] = {"": self.fd}

    def __enter__(self) -> Root:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._folders.values():
            os.close(fd)
        self._folders.clear()

    def shown(self, rel: str) -> str:
        return os.path.join(self.path, rel) if rel else self.path

    def folder(self, rel_dir: str, *, make: bool = False) -> int:
        """The descriptor of the folder `rel_dir` ('' is the root); made (with its parents,
        mode 0o777 less the umask) when missing and `make`. NotInside when a step is a link
        or not a folder; FileNotFoundError when missing and not `make`."""
        found = self._folders.get(rel_dir)
        if found is not None:
            return found
        parent, _, name = rel_dir.rpartition("/")
        parent_fd = self.folder(parent, make=make)
        try:
            fd = os.open(name, _DIR, dir_fd=parent_fd)
        except FileNotFoundError:
            if not make:
                raise
            with suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=parent_fd)
            try:
                fd = os.open(name, _DIR, dir_fd=parent_fd)
            except OSError as exc:
                raise self._refused(rel_dir, exc) from None
        except OSError as exc:
            raise self._refused(rel_dir, exc) from None
        self._folders[rel_dir] = fd
        return fd

    def _refused(self, rel_dir: str, exc: OSError) -> OSError:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            return NotInside(self.shown(rel_dir))
        return exc

    def _split(self, rel: str, *, make: bool = False) -> tuple[int, str]:
        parent, _, name = rel.rpartition("/")
        return self.folder(parent, make=make), name

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry at `rel` itself (a link is not followed); None when there is none (or a
        folder on the way is missing); NotInside when a folder on the way is a link."""
        try:
            fd, name = self._split(rel)
            return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def unlink(self, rel: str) -> bool:
        """Remove the file (or link, FIFO, ...) at `rel`; False when there was none."""
        try:
            fd, name = self._split(rel)
            os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            return False
        return True

    def rmdir(self, rel_dir: str) -> None:
        """Remove the empty folder `rel_dir` (OSError when not empty, NotInside when a link)."""
        fd, name = self._split(rel_dir)
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if not stat.S_ISDIR(st.st_mode):
            raise NotInside(self.shown(rel_dir))
        for key in [key for key in self._folders if key == rel_dir or
                    key.startswith(rel_dir + "/")]:
            os.close(self._folders.pop(key))
        os.rmdir(name, dir_fd=fd)

    def move_to(self, rel: str, target: Root, target_rel: str, *, make: bool = True) -> None:
        """Rename `rel` here to `target_rel` in `target` (replacing a file there), its folders
        made first when `make`."""
        fd, name = self._split(rel)
        target_fd, target_name = target._split(target_rel, make=make)
        os.replace(name, target_name, src_dir_fd=fd, dst_dir_fd=target_fd)

    def create(self, rel: str, *, replace: bool = False, mode: int = 0o666) -> int:
        """A new, empty file at `rel`, open for writing (the caller closes it). With `replace`,
        whatever is at the name first goes (a leftover temp file, a link, a FIFO): the file is
        always a new one, never something reached through the name."""
        fd, name = self._split(rel, make=True)
        if replace:
            with suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)
        return os.open(name, _NEW, mode, dir_fd=fd)

    def write_file(self, rel: str, data: bytes, *, sync: bool = False) -> None:
        """`data` into a new file at `rel` (see `create`, with `replace`)."""
        fd = self.create(rel, replace=True)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def touch(self, rel: str) -> os.stat_result:
        """Set the mtime of `rel` (not following a link) to now; its stat after."""
        fd, name = self._split(rel)
        os.utime(name, dir_fd=fd, follow_symlinks=False)
        return os.stat(name, dir_fd=fd, follow_symlinks=False)

    def sync(self) -> None:
        """Make the renames in the root folder durable."""
        with suppress(OSError):
            os.fsync(self.fd)
