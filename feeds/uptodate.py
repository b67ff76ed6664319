"""The no-change rebuild: decide from file stats alone that the last build still stands.

Kept free of pydantic, feedgen and lxml so that answering "nothing changed" costs a few stats
(10,000 manifests: tens of milliseconds), not a parse of every manifest.

"Still stands" covers both ends: every input (show.yaml, manifests, audio, artwork, captions) has
the mtime and size the last build read, and every file it published is still there as published
(`feeds.writing.still_published`: mtime, size, and no inode change since the build's mark), so a
deleted `media/` file or `index.html`, or a published file edited in place, makes a full build
that puts it back. 10,000 episodes publish ~20,000 files: ~40 ms of stats.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from feeds.cache import (
    FORMAT,
    STATE_FILE,
    cache_dir_for,
    code_key,
    read_marshal,
    read_state_record,
    stat_key,
    state_parts,
)
from feeds.output import published_mark, real_folder
from feeds.shards import Shards
from feeds.writing import PUBLISHED_AT, still_published
from segment import __version__

FEED_FILE = "feed.xml"


def list_manifests(root: Path) -> list[str]:
    """Manifest paths as `segment.loading.manifests_in` finds them (segments/*.md, no README)."""
    where = root / "segments" if (root / "segments").is_dir() else root
    try:
        names = [e.name for e in os.scandir(where) if e.name.endswith(".md")
                 and e.name.lower() != "readme.md"]
    except OSError:
        return []
    base = os.fspath(where)  # joined as strings: a Path per manifest costs ~3 us
    return [os.path.join(base, name) if base != "." else name for name in sorted(names)]


def options_key(root: Path, output: Path, settings: dict[str, Any]) -> str:
    """Everything besides input files that shapes the output: the code too (`code_key`)."""
    text = json.dumps({"root": str(root), "output": str(output), "settings": settings,
                       "version": f"{__version__} {code_key()}", "format": FORMAT},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def manifests_key(paths: list[str]) -> str:
    """The list of manifests as one digest (the state does not hold 100,000 paths twice)."""
    return hashlib.sha256("\0".join(paths).encode("utf-8", "surrogatepass")).hexdigest()


def previous_state(root: Path, output: Path, key: str) -> dict[str, Any] | None:
    """The last build's state when no input, option or output file changed since; else None.
    Its per-episode records are read one shard at a time (`feeds.cache.state_parts`)."""
    cache = cache_dir_for(output)
    state = read_marshal(cache / STATE_FILE)
    if not isinstance(state, dict) or state.get("key") != key:
        return None
    if list(stat_key(output / FEED_FILE) or ()) != state.get("feed"):
        return None
    manifests = list_manifests(root)
    if manifests_key(manifests) != state.get("manifests"):
        return None
    if not _inputs_as_recorded(state.get("inputs")):
        return None
    mark = published_mark(output)
    base = os.path.join(real_folder(output), "")
    if not published_as_recorded(base, state.get("files"), mark) or \
            FEED_FILE not in state["files"]:
        return None
    # each manifest's record once, by name: not a count (a shard lost and one doubled pass it)
    unseen = {os.path.basename(path): path for path in manifests}
    for path, part in state_parts(cache, state).items():
        full, record = unseen.pop(path, None), read_state_record(part)
        if full is None or record is None or list(stat_key(full) or ()) != record[0] or \
                not _inputs_as_recorded(record[1]) or \
                not published_as_recorded(base, record[2], mark):
            return None
    return None if unseen else state  # no shard lost


def _inputs_as_recorded(inputs: Any) -> bool:
    if not isinstance(inputs, dict):
        return False
    for path, recorded in inputs.items():
        now = stat_key(Path(path))
        if now is None or list(now) != recorded:
            return False
    return True


def published_as_recorded(base: str, files: Any, mark: int | None) -> bool:
    """Whether every file of `files` (records, `feeds.writing`) is still in the output folder
    `base` as it was published."""
    if mark is None or not isinstance(files, dict):
        return False
    return all(still_published(base + rel, record, mark)
               for rel, record in files.items() if rel != PUBLISHED_AT)


class Previous:
    """What a build may reuse from the previous output (`feeds.writing`): the last build's
    records of its files and its mark, when both still stand. The show-wide files' records are
    held (`show`); each episode's are read from the state's shards when it is compiled (`of`),
    so the records of 100,000 episodes are never all in memory."""

    def __init__(self, mark: int | None, show: dict[str, list], parts: Shards,
                 legacy: bool = False) -> None:
        self.mark, self.legacy = mark, legacy
        self.show = {**show, PUBLISHED_AT: [mark]} if mark is not None else {}
        self.parts = parts if mark is not None else Shards(None, "")

    def of(self, path: str) -> dict[str, list]:
        """The last build's records of the files of the episode of manifest `path`, with the
        mark (`feeds.writing`'s `previous`)."""
        if self.legacy:  # a state of FORMAT 7: every file's record in `show`
            return self.show
        record = read_state_record(self.parts.get(os.path.basename(path)))  # the folder may move
        return {} if self.mark is None or record is None else self._marked(record[2])

    def _marked(self, published: dict[str, list]) -> dict[str, list]:
        return {**published, PUBLISHED_AT: [self.mark]}

    def __bool__(self) -> bool:
        return self.mark is not None

    def every(self) -> Any:
        """(manifest path or None for the show's own files, their records), part by part."""
        if self.mark is None:
            return
        yield None, self.show
        for path, part in self.parts.items():
            if (record := read_state_record(part)) is not None:
                yield path, self._marked(record[2])


def previous_files(output: Path) -> Previous:
    """The last build's records of what it published (see `Previous`)."""
    cache = cache_dir_for(output)
    state = read_marshal(cache / STATE_FILE)
    files = state.get("files") if isinstance(state, dict) else None
    mark = published_mark(output)
    if not isinstance(files, dict) or mark is None:
        return Previous(None, {}, Shards(None, ""))
    return Previous(mark, files, state_parts(cache, state), legacy="parts" not in state)


def inputs_state(paths: list[Path]) -> dict[str, list[int]]:
    found = {}
    for path in paths:
        key = stat_key(path)
        if key is not None:
            found[str(path)] = list(key)
    return found
