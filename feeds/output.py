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
made before the list existed counts as segpack's when its feed.xml says segpack made it and it
holds nothing but what segpack writes; otherwise only that feed.xml is segpack's.

Publishing. A folder holding only segpack's files is replaced whole: the build is written into
a staging folder beside it, synced, and exchanged with it in one atomic step (renameat2 with
RENAME_EXCHANGE; two renames where that is missing). A folder holding anything else is updated
file by file instead, so the user's files are never moved: the list is first widened to the old
and new files, each new file is renamed into place (feed.xml last, so it never names a file not
yet there), the files of the last build that this one does not write are deleted, and the list
is narrowed to this build's. A crash in between leaves every file old or new, whole, and listed;
the next build finishes the job. From the swap on, Ctrl-C is ignored: the build completes.

Links. `-o LINK` builds into the link's target, which stays a link; the build cache, lock and
journal stay beside the link (the target may be a web root that must not serve the cache).

Leftovers. The folders a build makes beside the output (`.NAME.build-*`, `.NAME.old-*`) are named
in a journal in the cache (`.segpack-cache/NAME.swap`) before they exist. Only folders named
there, in the output's own parent, with segpack's name pattern, are ever deleted or restored (no
glob: `-o 'p*'` touches no other output's folders). The next build of the output, whatever its
outcome, deletes the temp folders and replaced outputs named there; an `.old-*` folder is put
back as the output only by a build that publishes, when the journal says a swap was cut short
between its two renames and there is no output. So a refused build leaves the output, and any
previous output set aside, as they were. Old output that cannot be deleted (read-only folders
are made writable first) is reported in one line, and tried again by the next build.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from feeds.cache import cache_dir_for, lock_path_for
from segment.clikit import warn
from segment.errors import PublishError, SegpackError, UsageError
from segment.manifest import atomic_write, fsync_dir, sync_file_system

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
    """The folder a build of `-o output` writes: a symbolic link's target, else `output`."""
    if not output.is_symlink():
        return output
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
            if os.path.lexists(place / name) and not owns(place, name):
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

def owned_files(folder: Path) -> set[str]:
    """Relative paths of the files segpack wrote in `folder` (its list, or a pre-list output)."""
    listed = read_record(folder)
    return listed if listed is not None else _unlisted_owned(folder)


def owns(folder: Path, rel: str) -> bool:
    """Whether segpack wrote `rel` in `folder` (`owned_files`, without parsing the whole list:
    the up-to-date check of a big show asks this on every build)."""
    data = _record_data(folder)
    if data is None:
        return rel in _unlisted_owned(folder)
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
    try:
        fd = os.open(folder / RECORD, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > RECORD_LIMIT:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(RECORD_LIMIT + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= RECORD_LIMIT else None


def _plain(rel: str) -> bool:
    return not rel.startswith("/") and rel not in (RECORD, RECORD_TEMP) and \
        all(part not in ("", ".", "..") for part in rel.split("/"))


def built_by_segpack(folder: Path) -> bool:
    try:
        with open(folder / "feed.xml", "rb") as handle:
            return GENERATOR_MARK in handle.read(8192)
    except OSError:
        return False


def _unlisted_owned(folder: Path) -> set[str]:
    """An output without a list: made by a segpack from before lists, which replaced the folder
    whole, so it is all segpack's when it holds only what segpack writes. If it holds anything
    else, only the feed.xml that says segpack made it is; the rest is kept."""
    if not built_by_segpack(folder):
        return set()
    try:
        names = os.listdir(folder)
    except OSError:
        return set()
    if all(name in SEGPACK_NAMES or name.startswith("artwork.") for name in names):
        return set(files_under(folder))
    return {"feed.xml"}


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


def foreign_entries(folder: Path, owned: set[str]) -> list[str]:
    """What in `folder` segpack did not write, sorted (a folder holding nothing of segpack's is
    one entry: `.git` is not walked)."""
    parents = {rel[:i] for rel in owned for i, char in enumerate(rel) if char == "/"}
    found, stack = [], [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(folder, rel_dir)) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                is_dir = entry.is_dir(follow_symlinks=False)
                if rel in (RECORD, RECORD_TEMP) or (rel in owned and not is_dir):
                    continue
                if is_dir and rel in parents:
                    stack.append(rel)
                else:
                    found.append(rel)
    return sorted(found)


def write_record(folder: Path, files: Iterable[str], *, sync: bool) -> None:
    """Write the list of segpack's files into `folder` (a fixed temp name, then a rename)."""
    text = RECORD_HEADER + "".join(f"{rel}\n" for rel in sorted(files))
    temp = folder / RECORD_TEMP
    with open(temp, "wb") as handle:
        handle.write(text.encode("utf-8", "surrogateescape"))
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
    os.replace(temp, folder / RECORD)
    if sync:
        fsync_dir(folder)


# -- the lock and the journal of folders beside the output -------------------------------------

@contextmanager
def build_lock(output: Path, wait: float) -> Iterator[None]:
    """Hold the output's lock; wait up to `wait` seconds for another build, then give up."""
    from filelock import FileLock, Timeout

    path = lock_path_for(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
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
        settle(output, restore=False)  # what killed builds left (none is running now)
        yield
    finally:
        lock.release()


class Journal:
    """The folders builds of one output made beside it, named before they are made.

    Lines `build PATH` (a staging folder, or after an exchange the old output: to delete) and
    `old PATH` (the whole previous output, moved aside between the two renames of a swap: to
    put back if there is no output). A later line for the same path wins."""

    def __init__(self, output: Path) -> None:
        self.path = lock_path_for(output).with_name(f"{output.name}.swap")
        self.place = Path(os.path.abspath(real_folder(output)))

    def new_folder(self, kind: str, *, sync: bool = False, make: bool = True) -> Path:
        """A new name beside the output, written in the journal (and made, if `make`)."""
        while True:
            path = self.place.parent / f".{self.place.name}.{kind}-{secrets.token_hex(8)}"
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
        with open(self.path, "a", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(f"{kind} {path}\n")
            handle.flush()
            if sync:
                os.fsync(handle.fileno())

    def entries(self) -> dict[Path, str]:
        """{folder: kind} of the journal's lines that name a folder of ours beside the output
        (anything else in it is ignored: it could name any folder)."""
        try:
            text = self.path.read_text("utf-8", errors="surrogateescape")
        except OSError:
            return {}
        found: dict[Path, str] = {}
        for line in text.splitlines():
            kind, _, name = line.partition(" ")
            path = Path(name)
            match = _LEFTOVER.match(path.name)
            if kind in ("build", "old") and path.parent == self.place.parent and match and \
                    match["name"] == self.place.name and kind in ("build", match["kind"]):
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
            self.path.unlink(missing_ok=True)
            return
        temp = self.path.with_name(self.path.name + ".tmp")
        temp.write_text(text, "utf-8", errors="surrogateescape")
        os.replace(temp, self.path)


def new_staging(output: Path) -> Path:
    """An empty folder beside the (real) output to build into, named in the journal first."""
    place = real_folder(output)
    place.parent.mkdir(parents=True, exist_ok=True)
    return Journal(output).new_folder("build")


def remove_staging(staging: Path) -> None:
    """A failed or refused build's staging folder (its journal line goes with the next build)."""
    remove_tree(staging)


def settle(output: Path, keep: Path | None = None, restore: bool = True) -> None:
    """Undo what killed builds left beside `output` (the caller holds the lock): if `restore`
    (a build about to publish), put back the old output a swap left aside when there is no
    output. Then delete the other folders the journal names: temp folders, and old outputs
    already replaced; an old output not yet replaced is kept unless put back. `keep` is this
    build's staging folder."""
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
        elif os.path.lexists(path) and remove_tree(path) is not None:
            left[path] = kind  # reported when this build's own old output fails the same way
    journal.rewrite(left)


# -- publishing --------------------------------------------------------------------------------

@dataclass
class Published:
    """A build swapped in; `finish()` waits for the old files' deletion, reports failures and
    marks the end of the build (`mark_published`)."""

    output: Path
    journal: Journal
    old: Path | None = None
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
    later, nothing is taken as unchanged."""
    record = real_folder(output) / RECORD
    where = cache_dir_for(output) / MARK_FILE
    where.unlink(missing_ok=True)
    os.utime(record)
    mark = last = os.stat(record).st_ctime_ns
    for _ in range(50):
        if last > mark:
            break
        time.sleep(0.001)
        os.utime(record)
        last = os.stat(record).st_ctime_ns
    atomic_write(where, f"{mark} {last}", sync=False)


def published_mark(output: Path) -> int | None:
    """The mark of the build that made `output` as it is, or None when there is none or the
    list was touched (or replaced) since."""
    try:
        mark, last = map(int, (cache_dir_for(output) / MARK_FILE).read_bytes().split())
        now = os.stat(real_folder(output) / RECORD).st_ctime_ns
    except (OSError, ValueError):
        return None
    return mark if last == now else None


def previous_files(output: Path, state: object) -> dict[str, list]:
    """What a build may reuse from the previous output (`feeds.writing`): the last build's
    records of its files and its mark, when both still stand; else nothing."""
    from feeds.writing import PUBLISHED_AT

    files = state.get("files") if isinstance(state, dict) else None
    mark = published_mark(output)
    if not isinstance(files, dict) or mark is None:
        return {}
    files[PUBLISHED_AT] = [mark]
    return files


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
    before: set[str] = set()
    foreign: list[str] = []
    if os.path.lexists(place):
        before = owned_files(place)
        foreign = foreign_entries(place, before)
    from segment.parallel import ignoring_interrupts  # not on the no-change path

    published = Published(output, journal)
    if not foreign:
        write_record(staging, now, sync=False)
        sync_file_system(staging)
        with ignoring_interrupts():  # never stopped half way
            published.old = _swap_whole(staging, place, journal)
    else:
        _check_update(place, output, now, before, overwrite)
        sync_file_system(staging)
        with ignoring_interrupts():  # never stopped half way
            _update(staging, place, before, now)
        published.old = staging  # emptied of files; its folders remain
    published.start_deleting()
    return published


def _swap_whole(staging: Path, place: Path, journal: Journal) -> Path | None:
    """Replace `place` with `staging`; the folder now holding the old output, to delete."""
    try:
        mode = stat.S_IMODE(os.stat(place).st_mode)
    except OSError:
        mode = 0o755
    os.chmod(staging, mode | 0o700)
    if not os.path.lexists(place):
        _rename_in(staging, place)
        return None
    if _exchange(staging, place):  # one atomic step: there is always an output
        fsync_dir(place.parent)
        return staging  # holds the old output now; the journal names it: deleted if left
    old = journal.new_folder("old", sync=True, make=False)
    os.rename(place, old)  # a crash until the next rename leaves no output: `settle`
    try:
        _rename_in(staging, place)
    except PublishError:
        os.rename(old, place)
        raise
    journal.add("build", old)  # the new output is in: from now on only to delete
    return old


def _rename_in(staging: Path, place: Path) -> None:
    try:
        os.rename(staging, place)
    except OSError as exc:
        raise PublishError(f"cannot move the new build into place: {exc.strerror or exc}",
                           place) from None
    fsync_dir(place.parent)


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


def _update(staging: Path, place: Path, before: set[str], now: set[str]) -> None:
    """Move this build's files into `place` one by one; delete the last build's others."""
    write_record(place, before | now, sync=True)  # a crash from here on leaves all listed
    made: set[str] = set()
    for rel in sorted(now, key=lambda rel: (rel in LAST, rel == "feed.xml", rel)):
        folder = os.path.dirname(rel)
        if folder and folder not in made:
            os.makedirs(os.path.join(place, folder), exist_ok=True)
            made.add(folder)
        os.replace(os.path.join(staging, rel), os.path.join(place, rel))
    sync_file_system(place)
    gone = sorted(before - now)
    for rel in gone:
        with suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            os.unlink(os.path.join(place, rel))
    for folder in sorted({os.path.dirname(rel) for rel in gone} - {""}, reverse=True):
        while folder:  # folders left empty by the deletions, deepest first
            try:
                os.rmdir(os.path.join(place, folder))
            except OSError:
                break
            folder = os.path.dirname(folder)
    with suppress(OSError):  # a full disk: the wider list stays, naming files that are gone
        write_record(place, now, sync=True)


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
