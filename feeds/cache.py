"""The build cache: where it lives, and the three things it remembers.

Location: `<output parent>/.segpack-cache/<output name>/` (beside the output folder, never
inside it, so it is not uploaded; add `.segpack-cache/` to .gitignore). It holds:

* `state.marshal` - what the last successful build read (every input file's mtime and size) and
  reported; when nothing changed, `build` replays the report without loading anything.
* `manifests/` - parsed segments keyed by path + mtime + size, so a rebuild re-parses only
  the manifests that changed; a direct-link episode is kept as the build rendered it
  (`feeds.fragments`), so it is not rendered again either. One shard per chunk of manifests,
  written by the process that prepared it (`feeds.load.STORE`).
* `media/<content hash>/` - tagged (and encoded) copies keyed by the source audio's SHA-256 and
  everything written into the file; unchanged segments skip all media work. `hashes.json`
  remembers each source's SHA-256 by path + mtime + size, so sources are hashed once.

Everything here is disposable: deleting the folder only costs a full rebuild. Files are written
atomically (the manifest shards as a folder, swapped in whole, and not fsynced), and an
unreadable cache file counts as empty.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from segment.manifest import atomic_write

CACHE_DIR = ".segpack-cache"
FORMAT = 6
"""Bump when what the cache stores changes shape; older caches are then ignored."""
PACKAGES = ("segment", "media", "feeds")


@functools.cache
def code_key() -> str:
    """SHA-256 of the source of every module of segpack's three packages, as imported: part
    of every cache key, so what other code rendered is never taken as this code's (a changed
    renderer re-renders every episode, with no FORMAT bump to remember). Reading the ~60
    files costs about a millisecond."""
    top = Path(__file__).resolve().parent.parent  # the three packages are installed together
    digest = hashlib.sha256()
    for package in PACKAGES:
        for folder, subfolders, names in os.walk(top / package):
            subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
            for name in sorted(names):
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, "rb") as handle:
                        source = handle.read()
                    digest.update(f"{os.path.relpath(path, top)}\0{len(source)}\0".encode())
                    digest.update(source)
    return digest.hexdigest()


def cache_dir_for(output: Path) -> Path:
    return output.parent / CACHE_DIR / output.name


def lock_path_for(output: Path) -> Path:
    return output.parent / CACHE_DIR / f"{output.name}.lock"


def stat_key(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) or None when the file is gone: the cheap "did it change" test."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def read_json(path: Path) -> Any:
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


def read_marshal(path: Path) -> Any:
    """Plain data written by `write_marshal`, or None when missing or unreadable."""
    import marshal

    try:
        with open(path, "rb") as handle:
            return marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def write_marshal(path: Path, data: Any, *, sync: bool = True) -> None:
    """Like `write_json`, for the big records a build reads back at once: marshal writes and
    reads plain data 5x faster than json, and only segpack reads them (`sync`: as in
    `atomic_write`)."""
    import marshal

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, marshal.dumps(data), sync=sync)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, separators=(",", ":"), sort_keys=True))
