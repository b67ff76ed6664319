"""Compile every manifest of a show (`feeds.compiler`) over worker processes, taking what did
not change from the store (`feeds.cache`).

Per manifest, in order: its `EpisodeBuild` from the store when the store was made under this
build's context key and the manifest and the files it read are as they were, its files linked
from the last output; else the manifest is parsed, checked and compiled. Files are written into
the staging folder, and each chunk's store entries written as one shard, by the process that
compiled them, so the build process receives only the builds, as plain data. Episodes with
local audio come back waiting for their copy (`complete` False) with their parsed manifest, for
the build to compile again after the media step. Fewer than PARALLEL_FROM manifests are done in
the build process: forking costs more than it saves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feeds.cache import UNCACHEABLE, stamp, stat_key, write_shard
from feeds.compiler import Context, EpisodeBuild, Written, compile_episode
from feeds.writing import link_previous, write_files
from segment import parallel
from segment.loading import SegmentFile, load_segment
from segment.models import Show
from segment.parallel import map_chunks, workers_wanted

PARALLEL_FROM = parallel.PARALLEL_FROM


@dataclass
class Run:
    """What every worker needs: set before forking, so it is inherited, never pickled."""

    root: Path
    show: Show | None
    settings: dict[str, Any]
    context: Context | None
    key: str | None
    """The context key (`feeds.cache.context_key`); None: no store is read or written."""
    store: dict[str, tuple]
    staging: str | None
    """Where files are written; None under --check (nothing is, and no shard either)."""
    old_output: str
    previous: dict[str, list]
    """The last build's files: {relative path: [digest, mtime_ns, size]}."""
    shards: str | None
    """The folder for this build's store shards."""


@dataclass
class Compiled:
    builds: list[EpisodeBuild]
    waiting: dict[str, SegmentFile] = field(default_factory=dict)
    """The parsed manifests of episodes waiting for media, by path."""
    stats: dict[str, list[int]] = field(default_factory=dict)
    """Each manifest's (mtime_ns, size) before it was read: what the no-change test compares
    (a manifest edited during the build then counts as changed)."""
    written: dict[str, list] = field(default_factory=dict)
    parsed: set[str] = field(default_factory=set)
    """The manifests parsed and compiled (the others were taken from the store)."""


_RUN: Run | None = None


def compile_all(run: Run, paths: list[str], jobs: int,
                progress: Callable[[str, int, int], None] | None = None) -> Compiled:
    """Every manifest of `paths` compiled or taken from the store, in order, over `jobs`
    processes (`progress` told how many are done, when there are workers)."""
    global _RUN
    _RUN = run
    done = Compiled([])
    forked = workers_wanted(jobs, len(paths), PARALLEL_FROM)
    try:
        if forked:
            for module in ("feeds.feed", "feeds.preview"):  # imported once, not per worker
                importlib.import_module(module)
            if progress is not None:
                progress("reading manifests", 0, len(paths))
        for chunk, results in map_chunks(_compile_chunk, paths, jobs, None, PARALLEL_FROM):
            for path, (parsed, stat, data, manifest, written) in zip(chunk, results,
                                                                     strict=True):
                done.builds.append(EpisodeBuild.from_data(path, data))
                done.written.update(written)
                if stat is not None:
                    done.stats[path] = list(stat)
                if parsed:
                    done.parsed.add(path)
                if manifest is not None:
                    done.waiting[path] = manifest
            if forked and progress is not None:
                progress("reading manifests", len(done.builds), len(paths))
    finally:
        _RUN = None
    return done


def _compile_chunk(paths: list[str]) -> list[tuple]:
    """In a worker (or here): each manifest's (parsed, stat, build as data, the manifest if
    waiting for media, the records of the files written); the chunk's shard written.

    Done in phases over the chunk, not manifest by manifest: take what the store holds,
    parse the rest, compile, write. Each library's code then stays warm in the CPU's caches
    (YAML and pydantic, then feedgen and lxml, then the system calls): a quarter less CPU
    per episode than interleaving them (measured on 1,000 manifests)."""
    run = _RUN
    assert run is not None, "compile_all sets the run before forking"
    done: dict[str, tuple] = {}
    for path in paths:
        reused = _from_store(run, path)
        if reused is not None:
            done[path] = reused
    manifests = {path: load_segment(Path(path), run.show, run.root, run.settings)
                 for path in paths if path not in done}
    builds = {path: compile_episode(manifest, run.context)
              for path, manifest in manifests.items()}
    entries = {}
    for path, build in builds.items():
        files = publish(run, build) if build.complete else {}
        assert files is not None, "a build just compiled links nothing from the last output"
        data = build.to_data(_digests(files))
        stat = manifests[path].stat or stat_key(path)  # unreadable: still marks an input
        done[path] = (True, stat, data, None if build.complete else manifests[path], files)
        if _storable(build, stat):
            entries[path] = (stat, data)
    entries.update((path, (stat, data)) for path, (parsed, stat, data, _, _) in done.items()
                   if not parsed)  # the store's entries, unchanged, into the new store
    _write_shard(run, entries)
    return [done[path] for path in paths]


def _from_store(run: Run, path: str) -> tuple | None:
    """(False, stat, build as data, None, file records) when the store's build for `path`
    still holds and its files are linked into the staging folder; else None."""
    stored_stat, stored = run.store.get(path, (None, None))
    if stored is None or stat_key(path) != tuple(stored_stat):
        return None
    build = EpisodeBuild.from_data(path, stored)
    if not _still_valid(run, build):
        return None
    files = publish(run, build)
    return None if files is None else (False, tuple(stored_stat), stored, None, files)


def publish_compiled(run: Run, builds: list[EpisodeBuild], stats: dict[str, list[int]]
                     ) -> dict[str, list]:
    """Write the files of episodes compiled in the build process after the media step, and
    keep them in the store (a shard of their own); the records of the files written."""
    written: dict[str, list] = {}
    entries = {}
    for build in builds:
        files = publish(run, build) or {}
        written.update(files)
        stat = stats.get(build.path)
        if _storable(build, stat):
            entries[build.path] = (stat, build.to_data(_digests(files)))
    _write_shard(run, entries)
    return written


def _storable(build: EpisodeBuild, stat: Any) -> bool:
    return stat is not None and build.complete and \
        not any(f.code in UNCACHEABLE for f in build.findings)


def _write_shard(run: Run, entries: dict[str, tuple]) -> None:
    if entries and run.shards is not None and run.key is not None:
        write_shard(run.shards, run.key, entries)


def _digests(files: dict[str, list]) -> dict[str, str]:
    return {rel: record[0] for rel, record in files.items()}


def _still_valid(run: Run, build: EpisodeBuild) -> bool:
    """The files the build read are as they were (and, under --check, it made no copy)."""
    if run.staging is None and build.media is not None:
        return False  # --check describes the source audio, not the last build's copy
    return all(stamp(path) == (None if recorded is None else tuple(recorded))
               for path, recorded in build.inputs.items())


def publish(run: Run, build: EpisodeBuild) -> dict[str, list] | None:
    """Write (or link) the build's files into the staging folder: their records, {relative
    path: [digest, mtime_ns, size]} for text and bytes. None when a file the last build wrote
    is no longer there as it wrote it (the episode is then compiled again)."""
    if run.staging is None:
        return {}
    earlier: dict[str, str] = {rel: digest for rel, digest in build.files.items()
                               if isinstance(digest, Written)}
    written: dict[str, list] = {}
    if earlier:
        linked = link_previous(earlier, run.staging, run.old_output, run.previous)
        if linked is None:
            return None
        written.update(linked)
    new = {rel: content for rel, content in build.files.items()
           if not isinstance(content, Written)}
    if new:
        written.update(write_files(new, run.staging, run.old_output, run.previous))
    return written
