"""Per-manifest records of a build kept on disk in shards, each read only when a manifest it
holds is asked for (issue 17: a build's memory must not grow with the number of episodes).

A shard is one file: an 8-byte length, a header `(key, family, first path, last path)` and a
marshalled {manifest path: record}. The process that compiled a chunk of manifests writes that
chunk's records as one shard (`ShardWriter.write`), so the records of 100,000 episodes are
never in one process together; a reader (`Shards`) knows only the headers, finds the one shard
of each family whose range of paths holds a path by bisection, and keeps the last few shards it
read (manifests are asked for in path order, chunk by chunk: each shard is read about once per
process). Within a family no two shards' ranges overlap (the chunks of the compile step are
consecutive runs of the sorted paths; the build writes what it compiles after the media step as
its own family, split the same way: `runs`).

Used twice: the store of compiled episodes (`feeds.cache.Store`, by manifest path) and the
records of what each episode read and published (`feeds.cache.state_parts`, by manifest name:
the show folder may be given another way or moved, and its files still be linked). Everything
here is disposable: a shard that cannot be read holds nothing (its manifests are compiled
again, or the build is not up to date).
"""

from __future__ import annotations

import marshal
import os
import shutil
import tempfile
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from secrets import token_hex
from typing import Any

from segment.userfiles import open_fd, read_regular

SUFFIX = ".marshal"
KEPT = 2
"""Shards a reader keeps decoded: the chunk's and the media step's of the manifests at hand
(a shard of the store decodes to ~4 MB)."""
RUN = 1000
"""Records per shard the build process writes at most (`runs`): a worker's chunk is bounded
the same way (`segment.parallel.MAX_CHUNK`)."""
_HEADER_LIMIT = 1 << 20
_LIMIT = 1 << 31
"""Bytes of a shard read at most (a shard of 1,000 episodes is a few MB)."""
_NUMBERS = count()


class Shards:
    """The shards of `folder` written under `key` (others are ignored), read as asked."""

    def __init__(self, folder: Path | str | None, key: str) -> None:
        self.folder = None if folder is None else str(folder)
        self.families: dict[str, tuple[list[str], list[str], list[str]]] = {}
        self._kept: OrderedDict[str, dict] = OrderedDict()
        self._headers: dict[str, tuple] = {}
        headers = []
        for name in _names(self.folder):
            header = _header(os.path.join(self.folder or "", name))
            if header is not None and header[0] == key:
                headers.append((header[1], header[2], header[3], name))
                self._headers[name] = header
        for family, first, last, name in sorted(headers):
            firsts, lasts, names = self.families.setdefault(family, ([], [], []))
            firsts.append(first)
            lasts.append(last)
            names.append(name)

    def get(self, path: str) -> Any:
        """The record of `path`, or None."""
        for firsts, lasts, names in self.families.values():
            at = bisect_right(firsts, path) - 1
            if at >= 0 and lasts[at] >= path:
                found = self._shard(names[at]).get(path)
                if found is not None:
                    return found
        return None

    def __bool__(self) -> bool:
        return bool(self.families)

    def items(self) -> Iterator[tuple[str, Any]]:
        """Every (path, record), shard by shard (one decoded at a time)."""
        for _, _, names in self.families.values():
            for name in names:
                yield from _entries(os.path.join(self.folder or "", name),
                                    self._headers[name]).items()

    def _shard(self, name: str) -> dict:
        entries = self._kept.get(name)
        if entries is None:
            entries = _entries(os.path.join(self.folder or "", name), self._headers[name])
            self._kept[name] = entries
            if len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(name)
        return entries


class ShardWriter:
    """A new folder of shards under `parent` (named `prefix` + a unique end), written to by the
    build process and its workers (each file named by the writing process and a counter), then
    `save`d in place of `target` (swapped in whole) or `drop`ped."""

    def __init__(self, parent: Path, prefix: str, key: str) -> None:
        parent.mkdir(parents=True, exist_ok=True)
        self.key = key
        self.folder = tempfile.mkdtemp(prefix=prefix, dir=parent)
        self.saved = False

    def write(self, entries: dict[str, Any], family: str) -> None:
        """`entries` as one shard of `family` (nothing when empty); their paths one run of the
        sorted paths of the build, so that no two shards of a family overlap."""
        if not entries:
            return
        # the pid tells processes apart, the counter a process's shards, the token a worker
        # forked (counter and all) under the pid of one that died earlier in the build
        name = os.path.join(self.folder,
                            f"{os.getpid()}-{next(_NUMBERS)}-{token_hex(4)}{SUFFIX}")
        header = marshal.dumps((self.key, family, min(entries), max(entries)))
        with open(name, "xb") as handle:
            handle.write(len(header).to_bytes(8, "little"))
            handle.write(header)
            handle.write(marshal.dumps(entries))

    def save(self, target: Path) -> None:
        """The shards written become `target` (a folder): the old one is set aside, the new
        one renamed in, the old one removed (a crash between two renames leaves no `target`:
        disposable)."""
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            os.rename(target, old)
        os.rename(self.folder, target)
        self.folder, self.saved = str(target), True
        shutil.rmtree(old, ignore_errors=True)

    def drop(self) -> None:
        if not self.saved:
            shutil.rmtree(self.folder, ignore_errors=True)


def runs(entries: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`entries` cut into consecutive runs of at most `RUN` paths in sorted order (for
    `ShardWriter.write`: the shards of one family then never overlap)."""
    paths = sorted(entries)
    for start in range(0, len(paths), RUN):
        yield {path: entries[path] for path in paths[start:start + RUN]}


def _names(folder: str | None) -> list[str]:
    if folder is None:
        return []
    try:
        return sorted(name for name in os.listdir(folder) if name.endswith(SUFFIX))
    except OSError:
        return []


def _header(path: str) -> tuple | None:
    """A shard's header, reading only it; None when it is not a shard (or cannot be read)."""
    try:
        fd, _ = open_fd(path, follow=False)
    except OSError:
        return None
    try:
        size = int.from_bytes(os.read(fd, 8), "little")
        header = marshal.loads(os.read(fd, size)) if 0 < size <= _HEADER_LIMIT else None
    except (OSError, ValueError, EOFError, TypeError):
        return None
    finally:
        os.close(fd)
    if isinstance(header, tuple) and len(header) == 4 and \
            all(isinstance(part, str) for part in header):
        return header
    return None


def _entries(path: str, header: tuple) -> dict:
    """A shard's records, or {} when it cannot be read (its manifests are then unknown) or is
    no longer the shard whose `header` was read (a folder swapped in by another build since:
    `--check` holds no lock)."""
    try:
        data = read_regular(path, _LIMIT)
        size = int.from_bytes(data[:8], "little")
        if not 0 < size <= _HEADER_LIMIT or marshal.loads(data[8:8 + size]) != header:
            return {}
        entries = marshal.loads(data[8 + size:])
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return entries if isinstance(entries, dict) else {}
