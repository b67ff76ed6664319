"""The output folder: what segpack owns in it, and how a build replaces its own files there.

Ownership. segpack owns only the files it wrote. Each build lists them in the output itself, in
`.segpack-files` (a comment line, then one relative path a line). The list lives in the output,
not in the build cache, because it describes those files and must travel with them: the cache
is disposable (deleting it only costs a full rebuild, and must not turn every published file into
a stranger's), while a gh-pages clone or a copy of the output brings the list along. Everything
else in the folder is the user's and is kept as it is: a gh-pages `.git`, `CNAME`, `.nojekyll`,
the rest of a web root. A build that would write a file where the user has one (a web root's own
`index.html` or `feed.xml`, a `media/x.mp3` of theirs) is refused with one line naming it,
unless `--overwrite`; a first build into a folder segpack never wrote deletes nothing. An output
made before the list existed (or whose list was deleted) is segpack's only where its feed.xml
says segpack made it, and then only at the names segpack writes: the files this build writes
and those the last build recorded in the cache (when the folder holds nothing but what segpack
writes; else only that feed.xml). Anything else there, a trailer put in `media/` by hand, is the
user's.

Publishing. A folder holding only segpack's files is replaced whole: the build is written into
a staging folder beside it, synced, and exchanged with it in one atomic step (renameat2 with
RENAME_EXCHANGE; two renames where that is missing). The old output, now beside it, is not
deleted whole: a file the user put in the output while the build ran is in it too. Only the
files its list names are deleted; anything else is moved back into the output (or, when this
build wrote a file of that name, left there with one line saying where). A folder holding
anything else is updated file by file instead, so the user's files are never moved: the list is
first widened to the old and new files (renamed in from the staging folder, so a staging folder
that cannot reach the output fails before anything changes), each new file is renamed into
place (feed.xml last, so it never names a file not yet there), the files of the last build that
this one does not write are deleted, and the list is narrowed to this build's. A crash in
between leaves every file old or new, whole, and listed; the next build finishes the job. From
the swap on, Ctrl-C is ignored: the build completes.

Reaching into the output. Every unlink, rmdir, rename and create in the output (and in an old
output beside it) goes through `feeds.inside.Root`: no symbolic link is followed on the way, so
a `media/` that links to a folder elsewhere is never written or deleted through (its files are
left, with one line). An output that is a mount point (a Docker volume) cannot be renamed: its
staging folder is made inside it (a hidden `.NAME.build-*`, on its own file system) and it is
always updated file by file.

Links and locks. `-o LINK` builds into the link's target, which stays a link; the build cache
and the journal below stay beside the link (the target may be a web root that must not serve
the cache), and so does the cache's lock. The output itself is locked where it is: an flock on
the real folder (on its parent while it does not exist yet), taken again when a swap put another
folder there, so two builds through two links to one folder (or a link and the folder's own
path) never run at once. A build locks its staging folder before it becomes the output.

Leftovers. The folders a build makes beside the output (`.NAME.build-*`, `.NAME.old-*`) are named
in a journal in the cache (`.segpack-cache/NAME.swap`) before they exist. Only folders named
there, in the output's own parent (or, for a mount point, inside it), with segpack's name
pattern, are ever deleted or restored (no glob: `-o 'p*'` touches no other output's folders). The
next build of the output, whatever its outcome, deletes the temp folders and clears the replaced
outputs named there (their listed files; the rest goes back into the output); an `.old-*` folder
is put back as the output only by a build that publishes, when the journal says a swap was cut
short between its two renames and there is no output. So a refused build leaves the output, and
any previous output set aside, as they were. Old output that cannot be deleted (read-only
folders are made writable first) is reported in one line, and tried again by the next build.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from feeds.cache import (
    STATE_FILE,
    cache_dir_for,
    lock_path_for,
    read_marshal,
    read_state_record,
    state_parts,
)
from feeds.inside import NotInside, Root
from segment.clikit import warn
from segment.errors import PublishError, SegpackError, UsageError
from segment.manifest import atomic_write, fsync_dir, sync_file_system
from segment.userfiles import open_fd, read_regular

GENERATOR_MARK = b"<generator>segpack"
RECORD = ".segpack-files"
"""segpack's list of the files it wrote, inside the output."""
RECORD_TEMP = RECORD + ".tmp"
RECORD_LIMIT = 64 << 20
"""Bytes of the list read at most (10,000 episodes list ~2 MB): a bigger one is not segpack's."""
RECORD_HEADER = ("# segpack wrote the files below; a build replaces or deletes only these and "
                 "keeps everything else in this folder\n")
LAST = ("index.html", "feed.xml")
"""Moved in last when updating file by file, feed.xml at the very end."""
MARK_FILE = "published"
"""In the build cache: the list's ctime when the last build ended (`mark_published`)."""
SEGPACK_NAMES = frozenset(("feed.xml", "index.html", "media", "transcripts", "chapters", "images"))
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>build|old)-[0-9a-f]{16}\Z", re.DOTALL)


# -- where and whether to build ----------------------------------------------------------------

def real_folder(output: Path) -> Path:
    """The folder a build of `-o output` writes: absolute, every symbolic link on the way
    resolved (a link's target; `..` and `.` taken out), so that two names for one folder give
    one answer."""
    return Path(os.path.realpath(output))


def check_output(output: Path, show_root: Path, overwrite: bool = False) -> None:
    """UsageError when building into `output` is impossible or would destroy something."""
    if output.is_symlink():
        _check_link(output)
    root = show_root.resolve()
    out = output.resolve()
    if out == root or root.is_relative_to(out):
        raise UsageError(f"-o {output}: the output folder would replace the show folder; "
                         "choose a folder of its own, e.g. public/")
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: exists and is not a folder")
    if output.is_dir() and not overwrite:
        place = real_folder(output)
        for name in reversed(LAST):  # written by every build: refuse before any work
            if os.path.lexists(place / name) and \
                    not owns(place, name, lambda: set(LAST) | recorded_files(output)):
                raise _foreign_error(output, name)


def _check_link(output: Path) -> None:
    try:
        output.resolve(strict=True)
    except FileNotFoundError:
        target = real_folder(output)
        if not target.parent.is_dir():
            raise UsageError(f"-o {output}: a symbolic link to {os.readlink(output)}, which does "
                             "not exist; create that folder or remove the link") from None
    except (RuntimeError, OSError):  # a loop (RuntimeError before Python 3.13)
        raise UsageError(f"-o {output}: a symbolic link that leads round in a loop; point it "
                         "at a folder or remove it") from None


def _foreign_error(output: Path, rel: str) -> UsageError:
    return UsageError(f"-o {output}: {os.path.join(output, rel)} was not written by segpack "
                      f"(it is not in {RECORD}); move it away, or add --overwrite to replace it")


# -- what segpack owns -------------------------------------------------------------------------

def owned_files(folder: Path, known: Callable[[], Iterable[str]] = tuple) -> set[str]:
    """Relative paths of the files segpack wrote in `folder`: its list, or for an output
    without one, the `known` names (see `_unlisted_owned`; asked for only then: the names the
    last build recorded are read from all its shards)."""
    listed = read_record(folder)
    return listed if listed is not None else _unlisted_owned(folder, known())


def owns(folder: Path, rel: str, known: Callable[[], Iterable[str]] = tuple) -> bool:
    """Whether segpack wrote `rel` in `folder` (`owned_files`, without parsing the whole list:
    the up-to-date check of a big show asks this on every build). `known` is asked for the
    known names only when there is no list."""
    data = _record_data(folder)
    if data is None:
        return rel in _unlisted_owned(folder, known())
    return _plain(rel) and f"\n{rel}\n".encode("utf-8", "surrogateescape") in b"\n" + data


def read_record(folder: Path) -> set[str] | None:
    """The paths in `folder`'s `.segpack-files`; None when there is none (or it is not a plain
    readable file of sane size: then it is not segpack's). Lines that are not a plain relative
    path inside the folder are ignored."""
    data = _record_data(folder)
    if data is None:
        return None
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return {line for line in lines if line and not line.startswith("#") and _plain(line)}


def _record_data(folder: Path) -> bytes | None:
    try:  # not a link, never blocking on a FIFO (`segment.userfiles`)
        fd, info = open_fd(folder / RECORD, follow=False)
    except OSError:
        return None
    try:
        if info.st_size > RECORD_LIMIT:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:  # not a 64 MB buffer for a small list
            data = handle.read(min(info.st_size, RECORD_LIMIT) + 1)
            if len(data) > info.st_size:  # grown since: read on to the limit
                data += handle.read(RECORD_LIMIT + 1 - len(data))
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= RECORD_LIMIT else None


def _plain(rel: str) -> bool:
    return not rel.startswith("/") and rel not in (RECORD, RECORD_TEMP) and \
        all(part not in ("", ".", "..") for part in rel.split("/"))


def built_by_segpack(folder: Path) -> bool:
    """Whether `folder`'s feed.xml says segpack made it (read without following a link or
    waiting on a FIFO: a FIFO feed.xml once hung the build)."""
    try:
        fd, _ = open_fd(folder / "feed.xml", follow=False)
    except OSError:
        return False
    try:
        return GENERATOR_MARK in os.read(fd, 8192)
    except OSError:
        return False
    finally:
        os.close(fd)


def recorded_files(output: Path) -> set[str]:
    """What the last build of `output` recorded in the cache as the files it wrote (nothing
    when there is no readable record): an output without a list owns those."""
    cache = cache_dir_for(output)
    state = read_marshal(cache / STATE_FILE)
    files = state.get("files") if isinstance(state, dict) else None
    if not isinstance(files, dict):
        return set()
    found = {rel for rel in files if isinstance(rel, str) and _plain(rel)}
    for _, part in state_parts(cache, state).items():  # shard by shard
        if (record := read_state_record(part)) is not None:
            found.update(rel for rel in record[2] if isinstance(rel, str) and _plain(rel))
    return found


def _unlisted_owned(folder: Path, known: Iterable[str]) -> set[str]:
    """An output without a list (made by a segpack from before lists, or its list deleted):
    segpack's only when its feed.xml says segpack made it, and then only that feed.xml and,
    when the folder holds nothing but the names segpack writes, the files at the `known`
    names (what this build writes, what the cache says the last one wrote). Everything else
    is kept as the user's: a trailer put in `media/` by hand, an `artwork.psd`."""
    if not built_by_segpack(folder):
        return set()
    try:
        names = os.listdir(folder)
    except OSError:
        return set()
    owned = {"feed.xml"}
    if all(name in SEGPACK_NAMES or name.startswith("artwork.") for name in names):
        owned |= {rel for rel in known if _plain(rel) and _is_file(folder, rel)}
    return owned


def _is_file(folder: Path, rel: str) -> bool:
    """Whether `rel` is a file (not a folder) in `folder`, reached without following a link."""
    try:
        with Root(folder) as root:
            st = root.lstat(rel)
    except OSError:
        return False
    return st is not None and not stat.S_ISDIR(st.st_mode)


def files_under(folder: Path | str) -> Iterator[str]:
    """Relative paths ('/'-separated) of everything but folders under `folder`."""
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(folder, rel_dir)) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(rel)
                else:
                    yield rel


def foreign_entries(folder: Path, owned: set[str], skip: Iterable[str] = ()) -> list[str]:
    """What in `folder` segpack did not write, sorted (a folder holding nothing of segpack's is
    one entry: `.git` is not walked). `skip`: names at the top to pass over (this build's
    staging folder, when it is inside the output)."""
    parents = {rel[:i] for rel in owned for i, char in enumerate(rel) if char == "/"}
    skipped = {RECORD, RECORD_TEMP, *skip}
    found, stack = [], [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(folder, rel_dir)) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                is_dir = entry.is_dir(follow_symlinks=False)
                if rel in skipped or (rel in owned and not is_dir):
                    continue
                if is_dir and rel in parents:
                    stack.append(rel)
                else:
                    found.append(rel)
    return sorted(found)


def write_record(folder: Path | Root, files: Iterable[str], *, sync: bool,
                 via: Root | None = None) -> None:
    """Write the list of segpack's files into `folder`: a new temp file (whatever had its
    name goes first: a link, a FIFO), then a rename. With `via`, the temp file is made there
    (the staging folder) and renamed across: when the two cannot be renamed between (another
    file system), that fails here, before the output changes."""
    text = RECORD_HEADER + "".join(f"{rel}\n" for rel in sorted(files))
    root = folder if isinstance(folder, Root) else Root(folder)
    try:
        source = via or root
        source.write_file(RECORD_TEMP, text.encode("utf-8", "surrogateescape"), sync=sync)
        source.move_to(RECORD_TEMP, root, RECORD)
        if sync:
            root.sync()
    finally:
        if root is not folder:
            root.close()


# -- the lock and the journal of folders beside the output -------------------------------------

@contextmanager
def build_lock(output: Path, wait: float) -> Iterator[None]:
    """Hold the output's locks: the cache's (a file beside `output`) and the output folder's
    own (`_FolderLock`); wait up to `wait` seconds in all for another build, then give up."""
    from filelock import FileLock, Timeout

    path = lock_path_for(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    deadline = time.monotonic() + wait
    try:
        lock.acquire(timeout=0)
    except Timeout:
        warn(f"segpack: another build is writing {output}; waiting up to {wait:g} s ...")
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise PublishError(f"another segpack build is still writing {output} (lock "
                               f"{path}); try again when it has finished") from None
    try:
        with _FolderLock(output, deadline):
            settle(output, restore=False)  # what killed builds left (none is running now)
            yield
    finally:
        lock.release()


class _FolderLock:
    """An flock on the output folder itself (its real path: the same folder through any link
    or name), or on its parent while it does not exist yet. A swap puts another folder at the
    output's place: the build locks that folder before it goes there (`hold`), and a build that
    waited on the folder swapped away, or on the parent, looks again once it has the lock.
    Where a file system does not lock folders (some network ones), the cache's lock alone
    serialises builds, as before."""

    held: ClassVar[list[int]] = []
    """Descriptors of folders this process locked (closed, releasing them, on exit)."""

    def __init__(self, output: Path, deadline: float):
        self.output, self.deadline = output, deadline
        self.place = real_folder(output)

    def __enter__(self) -> _FolderLock:
        told = False
        while True:
            try:
                fd, there = os.open(self.place, _DIR_FLAGS), True
            except FileNotFoundError:
                self.place.parent.mkdir(parents=True, exist_ok=True)
                fd, there = os.open(self.place.parent, _DIR_FLAGS), False
            except OSError:  # not a folder (refused later), unreadable: nothing to lock
                return self
            if not self._acquire(fd, told):
                os.close(fd)
                return self
            told = True
            if self._still(fd, there):
                _FolderLock.held.append(fd)
                return self
            os.close(fd)  # swapped, made or removed meanwhile: lock what is there now

    def _acquire(self, fd: int, told: bool) -> bool:
        """Lock `fd`, waiting until the deadline; False where folders cannot be locked."""
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno in (errno.EBADF, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                    return False
                raise
            if not told:
                warn(f"segpack: another build is writing {self.place}; waiting ...")
                told = True
            if time.monotonic() >= self.deadline:
                os.close(fd)
                raise PublishError(f"another segpack build is still writing {self.place} "
                                   f"(through another name for it than -o {self.output}); try "
                                   "again when it has finished")
            time.sleep(0.05)

    def _still(self, fd: int, there: bool) -> bool:
        """Whether what `fd` locked is still the output's place (or, for the parent, that
        there is still no output)."""
        try:
            now = os.stat(self.place, follow_symlinks=False)
        except FileNotFoundError:
            return not there
        except OSError:
            return True
        if not there:
            return False
        held = os.fstat(fd)
        return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)

    def __exit__(self, *exc: object) -> None:
        while _FolderLock.held:
            os.close(_FolderLock.held.pop())

    @staticmethod
    def hold(folder: Path) -> None:
        """Lock `folder` (a staging folder about to become the output) for the rest of the
        build: a build that comes meanwhile waits on it, as on the output it replaces."""
        try:
            fd = os.open(folder, _DIR_FLAGS)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # nobody else can know this folder yet: only "cannot lock" is left
            os.close(fd)
            return
        _FolderLock.held.append(fd)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


class Journal:
    """The folders builds of one output made beside it, named before they are made.

    Lines `build PATH` (a staging folder, segpack's alone: to delete), `swapped PATH` (a staging
    folder about to be exchanged with the output, or after that the old output: its listed
    files to delete, the rest to move back) and `old PATH` (the whole previous output, moved
    aside between the two renames of a swap: to put back if there is no output, else cleared
    as `swapped`). A later line for the same path wins."""

    def __init__(self, output: Path) -> None:
        self.place = real_folder(output)
        self.path = lock_path_for(output).with_name(f"{Path(os.path.abspath(output)).name}.swap")

    def new_folder(self, kind: str, *, sync: bool = False, make: bool = True,
                   inside: bool = False) -> Path:
        """A new name beside the output (`inside` it, for a mount point), written in the
        journal (and made, if `make`)."""
        where = self.place if inside else self.place.parent
        while True:
            path = where / f".{self.place.name}.{kind}-{secrets.token_hex(8)}"
            if os.path.lexists(path):
                continue
            self.add(kind, path, sync=sync)
            if not make:
                return path
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                continue
            return path

    def add(self, kind: str, path: Path, *, sync: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = f"{kind} {path}\n".encode("utf-8", "surrogateescape")
        fd = _open_append(self.path)
        try:
            os.write(fd, line)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> dict[Path, str]:
        """{folder: kind} of the journal's lines that name a folder of ours beside the output
        (anything else in it is ignored: it could name any folder)."""
        try:  # a FIFO here once hung every build
            text = read_regular(self.path, RECORD_LIMIT).decode("utf-8", "surrogateescape")
        except OSError:
            return {}
        found: dict[Path, str] = {}
        for line in text.splitlines():
            kind, _, name = line.partition(" ")
            path = Path(name)
            match = _LEFTOVER.match(path.name)
            if kind in ("build", "old", "swapped") and \
                    path.parent in (self.place.parent, self.place) and match and \
                    match["name"] == self.place.name and kind in ("build", "swapped",
                                                                  match["kind"]):
                found.pop(path, None)
                found[path] = kind
        return found

    def prune(self) -> None:
        """Drop the lines of folders that are gone."""
        entries = self.entries()
        left = {path: kind for path, kind in entries.items() if os.path.lexists(path)}
        if left != entries or not entries:
            self.rewrite(left)

    def rewrite(self, entries: dict[Path, str]) -> None:
        text = "".join(f"{kind} {path}\n" for path, kind in entries.items())
        if not text:
            with suppress(IsADirectoryError):
                self.path.unlink(missing_ok=True)
            return
        atomic_write(self.path, text.encode("utf-8", "surrogateescape"), sync=False)


def _open_append(path: Path) -> int:
    """`path` opened to append to, created if missing; something else under its name (a
    FIFO, a link: not segpack's) is removed first. The journal's lines must land."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | \
        getattr(os, "O_CLOEXEC", 0)
    for _ in range(3):
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENXIO, errno.EISDIR):
                raise
        else:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                return fd
            os.close(fd)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with suppress(FileNotFoundError):
                os.unlink(path)
    raise PublishError("cannot write the build's journal (something keeps taking its name)",
                       path)


def new_staging(output: Path) -> Path:
    """An empty folder beside the (real) output to build into, named in the journal first;
    inside the output when it is a mount point (nothing beside it can be renamed over it)."""
    place = real_folder(output)
    place.parent.mkdir(parents=True, exist_ok=True)
    return Journal(output).new_folder("build", inside=is_mount_point(place))


def is_mount_point(folder: Path) -> bool:
    """Whether `folder` is where a file system is mounted (a Docker volume, a bind mount of
    the same file system included: /proc/self/mountinfo names those)."""
    if not os.path.isdir(folder) or os.path.islink(folder):
        return False
    if os.path.ismount(folder):
        return True
    try:
        with open("/proc/self/mountinfo", "rb") as handle:
            table = handle.read()
    except OSError:
        return False
    wanted = os.fsencode(folder)
    for line in table.splitlines():
        fields = line.split(b" ")
        if len(fields) > 4 and _unescape(fields[4]) == wanted:
            return True
    return False


def _unescape(field_: bytes) -> bytes:
    """A mountinfo path: spaces, tabs, newlines and backslashes are written as \\ooo."""
    return re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), field_)


def remove_staging(staging: Path) -> None:
    """A failed or refused build's staging folder (its journal line goes with the next build)."""
    remove_tree(staging)


def settle(output: Path, keep: Path | None = None, restore: bool = True) -> None:
    """Undo what killed builds left beside `output` (the caller holds the lock): if `restore`
    (a build about to publish), put back the old output a swap left aside when there is no
    output. Then clear the other folders the journal names: temp folders are deleted; old
    outputs already replaced lose the files their list names, the rest (the user's, put in
    during a build) goes back into the output (`clear_old`); an old output not yet replaced
    is kept unless put back. `keep` is this build's staging folder."""
    journal = Journal(output)
    entries = journal.entries()
    place = journal.place
    keep = None if keep is None else Path(os.path.abspath(keep))
    if restore and not os.path.lexists(place):
        olds = [path for path, kind in entries.items() if kind == "old" and path.is_dir()]
        if olds:
            os.rename(olds[-1], place)
            fsync_dir(place.parent)
            entries.pop(olds[-1])
            warn(f"segpack: {output}: put back the previous output (a build was interrupted "
                 "while swapping it)")
    left: dict[Path, str] = {}
    for path, kind in entries.items():
        if path == keep or (kind == "old" and not restore):
            left[path] = kind
        elif not os.path.lexists(path):
            continue
        elif kind == "build":
            if remove_tree(path) is not None:
                left[path] = kind  # reported when this build's own old output fails the same way
        elif clear_old(path, place, output):
            left[path] = kind
    journal.rewrite(left)


# -- publishing --------------------------------------------------------------------------------

@dataclass
class Published:
    """A build swapped in; `finish()` waits for the old files' deletion, reports failures and
    marks the end of the build (`mark_published`). `old` is the folder left to clear: the old
    output after a swap (`swapped`: cleared with `clear_old`), or the emptied staging folder."""

    output: Path
    journal: Journal
    old: Path | None = None
    swapped: bool = False
    failures: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start_deleting(self) -> None:
        if self.old is None:
            return
        self.thread = threading.Thread(target=self._delete, name="segpack-delete-old",
                                       daemon=True)
        self.thread.start()

    def _delete(self) -> None:
        assert self.old is not None
        if self.swapped:
            clear_old(self.old, self.journal.place, self.output, self.failures)
            return
        problem = remove_tree(self.old)
        if problem is not None:
            self.failures.append(f"segpack: could not delete the old output {self.old} "
                                 f"({problem}); the next build tries again")

    def finish(self, cache_error: BaseException | None = None) -> bool:
        """Wait for the old files' deletion, report, and mark the build's end; False (and one
        warning) when the cache could not be saved (`cache_error`: saving its state failed).

        The output is live by now, whatever happens to the cache: a full disk here is a
        warning, not a failed build. The mark is removed then, so the next build trusts
        nothing of this one's and builds in full."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        for line in self.failures:
            warn(line)
        self.failures.clear()
        try:
            self.journal.prune()
            if cache_error is None:
                mark_published(self.output)
        except (OSError, SegpackError) as exc:
            cache_error = exc
        if cache_error is None:
            return True
        with suppress(OSError):
            (cache_dir_for(self.output) / MARK_FILE).unlink(missing_ok=True)
        why = getattr(cache_error, "strerror", None) or getattr(cache_error, "message", None)
        warn(f"segpack: warning: {self.output} is published, but its build cache could not be "
             f"saved ({why or cache_error}); the next build starts from scratch")
        return False


def mark_published(output: Path) -> None:
    """Stamp the end of a build, after its last link and unlink in the output: touch the list of
    files; its inode change time then is the mark, kept in the cache. A published file whose
    ctime is later was changed since (`feeds.writing.still_published`).

    File systems take ctimes from a coarse clock (a few ms; a second or two on some): an edit
    right after the mark could carry the same time. So the list is touched again until its ctime
    moves past the mark (up to ~50 ms; on coarser file systems an edit within that tick of the
    end of a build is missed). The list's final ctime is kept too: if anyone touches the list
    later, nothing is taken as unchanged. The list is touched where it is (a link put in its
    place is not followed)."""
    where = cache_dir_for(output) / MARK_FILE
    where.unlink(missing_ok=True)
    with Root(real_folder(output)) as root:
        mark = last = root.touch(RECORD).st_ctime_ns
        for _ in range(50):
            if last > mark:
                break
            time.sleep(0.001)
            last = root.touch(RECORD).st_ctime_ns
    atomic_write(where, f"{mark} {last}", sync=False)


def published_mark(output: Path) -> int | None:
    """The mark of the build that made `output` as it is, or None when there is none or the
    list was touched (or replaced) since."""
    try:
        mark, last = map(int, read_regular(cache_dir_for(output) / MARK_FILE, 64).split())
        now = os.lstat(real_folder(output) / RECORD).st_ctime_ns
    except (OSError, ValueError):
        return None
    return mark if last == now else None


def publish(staging: Path, output: Path, *, overwrite: bool = False) -> Published:
    """Put the build in `staging` in place of segpack's files in `output` (see the module
    docstring): whole when the output holds nothing else, else file by file. UsageError, with
    the output untouched, when a file to write is the user's (unless `overwrite`) or cannot be
    written there."""
    journal = Journal(output)
    place = journal.place
    staging = Path(os.path.abspath(staging))
    settle(output, keep=staging)
    now = set(files_under(staging))
    inside = staging.parent == place  # a mount point: staged inside it, never swapped
    before: set[str] = set()
    foreign: list[str] = []
    if os.path.lexists(place):
        before = owned_files(place, lambda: now | recorded_files(output))
        foreign = foreign_entries(place, before, [staging.name] if inside else [])
    from segment.parallel import ignoring_interrupts  # not on the no-change path

    published = Published(output, journal)
    if not foreign and not inside:
        write_record(staging, now, sync=False)
        if os.path.lexists(place) and _record_data(place) is None:
            write_record(place, before, sync=False)  # swapped out, it says what is segpack's
        sync_file_system(staging)
        with ignoring_interrupts():  # never stopped half way
            published.old = _swap_whole(staging, place, journal)
        published.swapped = True
    else:
        _check_update(place, output, now, before, overwrite)
        sync_file_system(staging)
        with ignoring_interrupts():  # never stopped half way
            kept = _update(staging, place, before, now)
        if kept:
            published.failures.append(_kept_line(output, kept, "a folder on the way is a "
                                                 "symbolic link, which segpack does not delete "
                                                 "through; no longer segpack's, they stay"))
        published.old = staging  # emptied of files; its folders remain
    published.start_deleting()
    return published


def _kept_line(output: Path, kept: list[str], why: str) -> str:
    shown = ", ".join(os.path.join(output, rel) for rel in kept[:3])
    more = f" and {len(kept) - 3} more" if len(kept) > 3 else ""
    return f"segpack: warning: kept {shown}{more}: {why}"


def _swap_whole(staging: Path, place: Path, journal: Journal) -> Path | None:
    """Replace `place` with `staging`; the folder now holding the old output, to clear."""
    try:
        mode = stat.S_IMODE(os.stat(place).st_mode)
    except OSError:
        mode = 0o755
    os.chmod(staging, mode | 0o700)
    _FolderLock.hold(staging)  # the output from the rename on: a build that comes waits
    if not os.path.lexists(place):
        _rename_in(staging, place)
        return None
    journal.add("swapped", staging, sync=True)  # from the exchange on, the old output
    if _exchange(staging, place):  # one atomic step: there is always an output
        fsync_dir(place.parent)
        return staging  # holds the old output now; the journal names it: cleared if left
    old = journal.new_folder("old", sync=True, make=False)
    os.rename(place, old)  # a crash until the next rename leaves no output: `settle`
    try:
        _rename_in(staging, place)
    except PublishError:
        os.rename(old, place)
        raise
    journal.add("swapped", old)  # the new output is in: from now on only to clear
    return old


def _rename_in(staging: Path, place: Path) -> None:
    try:
        os.rename(staging, place)
    except OSError as exc:
        raise PublishError(f"cannot move the new build into place: {exc.strerror or exc}",
                           place) from None
    fsync_dir(place.parent)


def clear_old(old: Path, place: Path, output: Path, failures: list[str] | None = None) -> bool:
    """Clear an old output swapped out of `place`: move what its list does not name (the
    user's, put in while the build ran: the swap took it along) back into `place` where that
    name is free, then delete the rest, segpack's (read-only folders made writable first).
    True when something stays (said in one line, to `failures` or as a warning): the next
    build tries again."""
    lines: list[str] = [] if failures is None else failures
    _make_writable(str(old))
    owned = owned_files(old)
    stays: list[str] = []
    problem = None
    try:
        with Root(old) as there, Root(place) as out:
            for rel in foreign_entries(old, owned):
                stays += _move_back(there, rel, out)
            if stays:  # delete segpack's files only, around what stays
                for rel in sorted(owned | {RECORD, RECORD_TEMP}):
                    with suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError,
                                  NotInside):
                        there.unlink(rel)
    except OSError as exc:
        problem = exc.strerror or str(exc)
    if not stays and problem is None:
        problem = remove_tree(old)  # all segpack's by now
    if stays:
        lines.append(_kept_line(output, stays, "put in the output while segpack was building "
                                "it, but this build wrote files of those names, so they are "
                                f"in {old}; move them back by hand"))
    elif problem is not None:
        lines.append(f"segpack: could not delete the old output {old} ({problem}); the next "
                     "build tries again")
    if failures is None:
        for line in lines:
            warn(line)
    return bool(stays) or problem is not None


def _move_back(there: Root, rel: str, out: Root) -> list[str]:
    """Move `rel` of an old output back to the same name in the output (a folder whose name
    the output has as a folder too: each of its entries); what stays, because its name is
    taken (or cannot be reached without following a link)."""
    try:
        st = out.lstat(rel)
        if st is None:
            there.move_to(rel, out, rel)
            return []
        mine = there.lstat(rel)
        if not (stat.S_ISDIR(st.st_mode) and mine is not None and stat.S_ISDIR(mine.st_mode)):
            return [rel]
        names = sorted(os.listdir(there.folder(rel)))
    except OSError:
        return [rel]
    return [left for name in names for left in _move_back(there, f"{rel}/{name}", out)]


def _check_update(place: Path, output: Path, now: set[str], before: set[str],
                  overwrite: bool) -> None:
    """Refuse (UsageError) before moving anything when a file of this build cannot go where
    it belongs in a folder that also holds the user's files."""
    checked: set[str] = set()
    for rel in sorted(now):
        parts = rel.split("/")
        for depth in range(len(parts)):
            folder = "/".join(parts[:depth])
            if folder in checked:
                continue
            checked.add(folder)
            where = os.path.join(place, folder)
            st = _lstat(where)
            if st is None:
                continue
            shown = os.path.join(output, folder)
            if not stat.S_ISDIR(st.st_mode):
                kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "a file"
                raise UsageError(f"-o {output}: {shown} is {kind} where segpack writes a "
                                 "folder; move it away")
            if not os.access(where, os.W_OK | os.X_OK):
                raise UsageError(f"-o {output}: cannot write into {shown}: permission denied")
        st = _lstat(os.path.join(place, rel))
        if st is None:
            continue
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"-o {output}: {os.path.join(output, rel)} is a folder where "
                             "segpack writes a file; move it away")
        if rel not in before and not overwrite:
            raise _foreign_error(output, rel)


def _update(staging: Path, place: Path, before: set[str], now: set[str]) -> list[str]:
    """Move this build's files into `place` one by one; delete the last build's others. What
    could not be deleted because a folder on the way is a link (kept), sorted."""
    kept: list[str] = []
    with Root(place) as out, Root(staging) as new:
        write_record(out, before | now, sync=True, via=new)  # from here on all stay listed
        for rel in sorted(now, key=lambda rel: (rel in LAST, rel == "feed.xml", rel)):
            new.move_to(rel, out, rel)
        sync_file_system(place)
        gone = sorted(before - now)
        for rel in gone:
            try:
                out.unlink(rel)
            except NotInside:
                kept.append(rel)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                pass
        for folder in sorted({os.path.dirname(rel) for rel in gone} - {""}, reverse=True):
            while folder:  # folders left empty by the deletions, deepest first
                try:
                    out.rmdir(folder)
                except OSError:
                    break
                folder = os.path.dirname(folder)
        with suppress(OSError):  # a full disk: the wider list stays, naming files that are gone
            write_record(out, now, sync=True, via=new)  # the kept ones are the user's now
    return kept


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def remove_tree(path: Path | str) -> str | None:
    """Delete a folder of segpack's; read-only folders in it are made writable first.
    None when it is gone, else why not."""
    shutil.rmtree(path, ignore_errors=True)
    if not os.path.lexists(path):
        return None
    _make_writable(str(path))
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _make_writable(folder: str) -> None:
    try:
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode):
            return
        if st.st_mode & 0o700 != 0o700:
            os.chmod(folder, st.st_mode | 0o700)
        with os.scandir(folder) as entries:
            inner = [entry.path for entry in entries if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for path in inner:
        _make_writable(path)


# -- generic swaps and syncs -------------------------------------------------------------------

def swap_in(staging: Path, target: Path) -> Path | None:
    """Replace the folder `target` with `staging` whole (for folders of the build cache); the
    old one is restored if the swap fails. Returns the old folder, now out of the way, for the
    caller to delete."""
    os.chmod(staging, 0o755)
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        if _exchange(staging, target):
            os.rename(staging, old)
            fsync_dir(target.parent)
            return old
        os.rename(target, old)
    try:
        os.rename(staging, target)
    except OSError as exc:
        if old is not None:
            os.rename(old, target)
        raise PublishError(f"cannot move the new build into place: {exc.strerror or exc}",
                           target) from None
    fsync_dir(target.parent)
    return old


def _exchange(new: Path, current: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(new), at_fdcwd, os.fsencode(current),
                     rename_exchange) == 0
