"""The output folder: built beside it in a temp folder, swapped in whole, one build at a time.

A failed build leaves the previous output untouched (the temp folder is removed); a successful
one renames the old folder away, the new one in, and only then deletes the old. A file lock
beside the output keeps two builds of the same output from interleaving. We refuse to replace
a folder segpack did not build (or one holding the show itself), so `-o ~` cannot wipe a home.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feeds.cache import lock_path_for
from segment.clikit import warn
from segment.errors import PublishError, UsageError
from segment.manifest import fsync_dir, sync_file_system  # noqa: F401 (feeds.build uses it)

GENERATOR_MARK = b"<generator>segpack"


def check_output(output: Path, show_root: Path) -> None:
    """UsageError when replacing `output` could destroy something that is not a build."""
    root = show_root.resolve()
    out = output.resolve()
    if out == root or root.is_relative_to(out):
        raise UsageError(f"-o {output}: the output folder would replace the show folder; "
                         "choose a folder of its own, e.g. public/")
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: exists and is not a folder")
    if output.is_dir() and any(output.iterdir()) and not built_by_segpack(output):
        raise UsageError(f"-o {output}: the folder holds files segpack did not build; "
                         "choose an empty or new folder (build replaces it whole)")


def built_by_segpack(folder: Path) -> bool:
    try:
        with open(folder / "feed.xml", "rb") as handle:
            return GENERATOR_MARK in handle.read(8192)
    except OSError:
        return False


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
        settle(output)
        yield
    finally:
        lock.release()


def settle(output: Path) -> None:
    """Undo what a killed build left (we hold the lock, so none is running): a build killed
    between moving the old output aside and the new one in left no output at all, only the
    complete old one as `.NAME.old-*`: put it back. Then remove temp, old and trash folders."""
    stale = [p for pattern in ("build", "old", "trash")
             for p in output.parent.glob(f".{output.name}.{pattern}-*")]
    if not stale:
        return
    if not output.exists():
        olds = sorted((p for p in stale if ".old-" in p.name), key=lambda p: p.stat().st_mtime)
        if olds:
            os.rename(olds[-1], output)
            fsync_dir(output.parent)
            warn(f"segpack: {output}: restored the previous output (a build was interrupted "
                 "while swapping it)")
    remove_leftovers(output)


def remove_leftovers(output: Path) -> None:
    """Temp folders of builds that were killed (we hold the lock, so none is running)."""
    for pattern in (f".{output.name}.build-*", f".{output.name}.old-*",
                    f".{output.name}.trash-*"):
        for stale in output.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def new_staging(output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))


def swap_in(staging: Path, output: Path) -> Path | None:
    """Replace `output` with `staging` whole; the old folder is restored if the swap fails.

    Returns the old folder, now out of the way, for the caller to delete (`remove_old`), so
    deleting thousands of files can overlap with other work."""
    os.chmod(staging, 0o755)
    old = None
    if output.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
        os.rmdir(old)
        if _exchange(staging, output):  # one atomic step: there is always an output
            os.rename(staging, old)
            fsync_dir(output.parent)
            return old
        os.rename(output, old)  # a crash until the next rename leaves no output: `settle`
    try:
        os.rename(staging, output)
    except OSError as exc:
        if old is not None:
            os.rename(old, output)
        raise PublishError(f"cannot move the new build into place: {exc.strerror or exc}",
                           output) from None
    fsync_dir(output.parent)
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


def remove_old(old: Path | None):
    """Delete a swapped-out folder in a background thread; join the returned thread.

    It is renamed to `.NAME.trash-*` first, so an `.old-*` folder is always complete (what
    `settle` may restore) and a half-deleted one is never mistaken for it."""
    import threading

    if old is not None:
        trash = old.with_name(old.name.replace(".old-", ".trash-", 1))
        os.rename(old, trash)
        old = trash
    thread = threading.Thread(target=shutil.rmtree, args=(old,), kwargs={"ignore_errors": True})
    if old is not None:
        thread.start()
    return thread
