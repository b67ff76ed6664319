"""The build cache, `<output parent>/.segpack-cache/<output name>/` (beside the output, so it
is not uploaded), and the keys that say what in it still holds:

* `state.marshal`: what the last successful build read and reported (`feeds.uptodate`), with
  `state.parts-*/`: what each of its episodes read and published, in shards (`state_parts`);
* `manifests/`: the store of compiled episodes (`Store`), under a context key that covers the
  code itself (`code_key`, `context_key`);
* `media/<content key>/` and `hashes.json`: tagged copies of local audio (`feeds.media_step`).

Everything here is disposable: deleting it costs a full rebuild; an unreadable file counts as
empty. Files are written atomically, the store's shards as a folder swapped in whole."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from feeds.shards import Shards, ShardWriter, runs
from segment import __version__
from segment.manifest import MAX_MANIFEST_BYTES, atomic_write
from segment.userfiles import read_regular

CACHE_DIR = ".segpack-cache"
FORMAT = 8
"""Bump when what the cache stores changes shape; older caches are then ignored."""
STATE_FILE = "state.marshal"
"""What the last build read, reported and published (`feeds.uptodate`, `feeds.output`)."""
STORE = "manifests"
LEGACY_STORE = "manifests.marshal"
"""The single-file store of cache FORMAT 5 and before: removed when a build saves."""
UNCACHEABLE = frozenset(("SEG301", "SEG302", "SEG303", "SEG304", "SEG309", "SEG312", "SEG416",
                         "SEG417"))
"""Findings about files missing or outside the show folder, about the audio's contents (SEG303,
SEG304, SEG309, SEG312: errors, so the episode is not compiled and its audio never recorded as
an input), or about the feed published in the output (SEG416, SEG417): an episode with one is
compiled again each time, since they change with files it did not read (a fixed recording was
still refused)."""


def cache_dir_for(output: Path) -> Path:
    """`<parent>/.segpack-cache/<name>` of `output` made absolute first: `-o ..` and `-o .`
    once put the cache in the current folder or inside the output (to be uploaded). A link is
    not resolved: the cache of `-o LINK` stays beside the link (see `feeds.output`)."""
    output = Path(os.path.abspath(output))
    return output.parent / CACHE_DIR / output.name


def lock_path_for(output: Path) -> Path:
    output = Path(os.path.abspath(output))
    return output.parent / CACHE_DIR / f"{output.name}.lock"


def stat_key(path: Path | str) -> tuple[int, int] | None:
    """(mtime in ns, size) or None when the file is gone: the cheap "did it change" test."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def stamp(path: Path | str) -> tuple[int, int, int] | None:
    """(mtime in ns, size, ctime in ns) or None: whether a file an episode was compiled from
    is unchanged. The inode change time catches an edit that put the mtime back, and a hard
    link made to the file (through which it could be edited in place)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ctime_ns)


def code_key() -> str:
    """SHA-256 of the source of every module of segpack's three packages, as imported
    (`segment.sourcekey`): part of every cache key, so what other code rendered is never taken
    as this code's (a changed renderer re-renders every episode, with no FORMAT bump to
    remember)."""
    from segment.sourcekey import source_key

    return source_key()


def context_key(root: Path, settings: dict[str, Any],
                inputs: Mapping[str, tuple[int, ...] | None]) -> str:
    """What every episode of a build is compiled under: the code, show.yaml's bytes, the
    settings, the show folder and the show's own files (artwork, stings) as they are now."""
    try:
        show_bytes = read_regular(root / "show.yaml", MAX_MANIFEST_BYTES)  # a FIFO: no wait
    except OSError:
        show_bytes = b""
    text = json.dumps({"format": FORMAT, "version": __version__, "code": code_key(),
                       "root": str(root.resolve()), "settings": settings, "inputs": inputs},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode() + b"\0" + show_bytes).hexdigest()


class Store:
    """The store as one build sees it: the entries the last build left under this build's
    context key, {manifest path: (its stat, its EpisodeBuild as data)}, read shard by shard as
    asked (`get`; `feeds.shards`); and, unless `readonly`, a new folder where each process
    writes the entries it compiled as one shard (`keep`), swapped in whole as the store once
    every manifest is compiled (`save`), removed if the build fails (`drop`). Shards are not
    synced: entries are checked one by one when used."""

    def __init__(self, cache: Path, key: str, readonly: bool) -> None:
        self.cache, self.key = cache, key
        self.old = Shards(cache / STORE, key)
        self.writer: ShardWriter | None = None
        if not readonly:  # a killed build's folders go first (the build's lock is held)
            cache.mkdir(parents=True, exist_ok=True)
            for stale in [*cache.glob(f"{STORE}.new-*"), *cache.glob(f".{STORE}.old-*")]:
                shutil.rmtree(stale, ignore_errors=True)
            self.writer = ShardWriter(cache, f"{STORE}.new-", key)

    def get(self, path: str) -> Any:
        found = self.old.get(path)
        return found if isinstance(found, (tuple, list)) and len(found) == 2 else None

    def keep(self, entries: dict[str, tuple], family: str = "chunk") -> None:
        if self.writer is not None:
            for run in runs(entries):
                self.writer.write(run, family)

    def save(self) -> None:
        """This build's shards become the store (later `keep`s add to it)."""
        if self.writer is not None:
            self.writer.save(self.cache / STORE)
            (self.cache / LEGACY_STORE).unlink(missing_ok=True)

    def drop(self) -> None:
        if self.writer is not None:
            self.writer.drop()


PARTS = "state.parts-"
"""The folders of the state's per-episode records: {manifest name: (its stat, {file read: its
stat}, {file published: its record})}, one folder per build (`feeds.build._save_state`)."""


def state_record(stat: Any, stamps: Mapping[str, Any], published: dict[str, list]) -> tuple:
    """An episode's record in the state's shards: its manifest's stat, what it read as
    {path: [mtime_ns, size]} (of `stamps`, `stamp`s of its inputs, those found) and the
    records of what it published (`feeds.writing`)."""
    return (None if stat is None else list(stat),
            {path: list(found[:2]) for path, found in stamps.items() if found}, published)


def read_state_record(part: Any) -> tuple[Any, dict, dict] | None:
    """A record of the state's shards as (stat, read, published); None when it is not one."""
    if isinstance(part, (tuple, list)) and len(part) == 3 and isinstance(part[1], dict) and \
            isinstance(part[2], dict):
        return part[0], part[1], part[2]
    return None


def state_parts(cache: Path, state: Any) -> Shards:
    """The per-episode records of the build whose state is `state` (none when it has none)."""
    name = state.get("parts") if isinstance(state, dict) else None
    if not isinstance(name, str) or not name.startswith(PARTS) or "/" in name:
        return Shards(None, "")
    return Shards(cache / name, str(state.get("key")))


READ_LIMIT = 1 << 31
"""Bytes of a cache file read at most (the state of 10,000 episodes is a few MB)."""


def read_json(path: Path) -> Any:
    """Data written by `write_json`, or None (see `_read`)."""
    return _read(path, json.loads)


def read_marshal(path: Path) -> Any:
    """Plain data written by `write_marshal`, or None (see `_read`)."""
    return _read(path, marshal.loads)


def _read(path: Path, loads: Callable[[bytes], Any]) -> Any:
    """A file of the cache decoded, or None when it is missing, unreadable, not what was
    written, or not a regular file (a FIFO there once hung every build: it is never waited
    on)."""
    try:
        return loads(read_regular(path, READ_LIMIT))
    except (OSError, ValueError, EOFError, TypeError):
        return None


def write_marshal(path: Path, data: Any, *, sync: bool = True) -> None:
    """Like `write_json`, for the big records a build reads back at once: marshal writes and
    reads plain data 5x faster than json, and only segpack reads them (`sync`: as in
    `atomic_write`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, marshal.dumps(data), sync=sync)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, separators=(",", ":"), sort_keys=True))
