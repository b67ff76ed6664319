"""Per-segment build work, spread over worker processes: parse, check, plan, write, render.

A segment that names no local file (no audio.file, image.file or captions: the direct-link
case) needs nothing but its manifest and show.yaml to be published. It can be parsed and checked,
planned, get its transcript and chapters files written into the staging folder, and have its feed
item and preview article rendered without looking at any other segment. For a direct-link show
that is nearly all of a build, so it runs in `jobs` forked processes over chunks of manifests.
The build process gets back small results (findings, what the show-wide checks need, the rendered
fragments) and only puts the feed together; each chunk's manifest cache entries are written as a
shard of the cache by the process that made them.

Segments with local files come back as parsed models for the build to plan, since checking files
and making media belong to the whole build; drafts and invalid segments come back as a
`segment.loading.SegmentSummary`
(they are not published). Small shows are done in the build process: forking costs more.
"""

from __future__ import annotations

import importlib
import itertools
import marshal
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from feeds import fragments
from feeds.cache import stat_key
from feeds.episode import Episode
from feeds.load import freeze, thaw
from feeds.plan import EpisodePlanner
from feeds.writing import link_previous, write_files
from segment import parallel
from segment.errors import PublishError
from segment.loading import SegmentFile, SegmentSummary, load_segment
from segment.models import Segment, Show
from segment.parallel import map_chunks, workers_wanted
from segment.rules import Finding, Severity

PARALLEL_FROM = parallel.PARALLEL_FROM
"""Fewer manifests than this are prepared in the build process (forking costs ~20 ms)."""


@dataclass
class Rendered:
    """A self-contained segment, planned and rendered (its files written, unless --check)."""

    sort_key: tuple
    published: datetime | str | None
    """A datetime, or its ISO form when it came from a worker process (parsed only for the
    newest episode, the feed's lastBuildDate)."""
    item: bytes
    """Its <item> in feed.xml (`feeds.feed.item_fragments`)."""
    article: str
    """Its <article> in index.html, without the transcript (`feeds.preview.episode_html`)."""
    findings: list[Finding]
    written: dict[str, list]
    """{relative path: [digest, mtime_ns, size]} of the files written (`feeds.writing`)."""
    transcript: str | None = None
    """Its transcript as HTML paragraphs, when it may be among the episodes whose transcript
    the preview shows (`PREVIEW_TRANSCRIPTS`): only a chunk's newest can be."""

    def packed(self) -> tuple:
        """Plain data for another process or a cache (`unpacked`)."""
        published = self.published
        return (self.sort_key,
                published.isoformat() if isinstance(published, datetime) else published,
                self.item, self.article, [f.as_tuple() for f in self.findings], self.written,
                self.transcript)

    @classmethod
    def unpacked(cls, values: tuple | list) -> Rendered:
        sort_key, published, item, article, findings, written, transcript = values
        return cls(tuple(sort_key), published, item, article,
                   [Finding.from_tuple(f) for f in findings], written, transcript)


@dataclass
class Prepared:
    item: SegmentFile
    """`.segment` is a `Segment` for the build to plan, a `SegmentSummary`, or None when
    invalid."""
    parsed: bool
    entry: bytes | tuple | None
    """The manifest cache entry, None when it cannot be cached: the manifest frozen
    (`feeds.load.freeze`), or the episode's fragment when it was rendered (`feeds.fragments`).
    Written into the cache by the process that made it (`_write_shard`), never sent on."""
    rendered: Rendered | None = None
    stat: tuple[int, int] | None = None
    """The manifest's (mtime_ns, size) before it was read: what the no-change test compares."""
    reused: bool = False
    """Rendered by the last build and taken as it was (`feeds.fragments`)."""


@dataclass
class Work:
    """What every worker needs; set before forking, so it is inherited, never pickled."""

    root: Path
    show: Show | None
    settings: dict[str, Any]
    store: dict[str, bytes | tuple]
    """The manifest cache: a frozen manifest (`feeds.load.freeze`) or a rendered episode
    (`feeds.fragments`) by path."""
    staging: str | None
    old_output: str
    previous: dict[str, list] = field(default_factory=dict)
    shards: str | None = None
    """The folder where each chunk's manifest cache entries go, as one shard (`feeds.load`);
    None when nothing is cached (--check)."""
    header: str = ""
    """What the cache entries were made under (`feeds.load`): written into every shard."""


_WORK: Work | None = None
_SHARD_NUMBERS = itertools.count()


def prepare(work: Work, paths: list[str], jobs: int,
            progress: Callable[[str, int, int], None] | None = None) -> list[Prepared]:
    """Prepare every manifest of `paths`, in order, over `jobs` processes."""
    global _WORK
    _WORK = work
    try:
        if not workers_wanted(jobs, len(paths), PARALLEL_FROM):
            return _prepare_chunk(paths)
        for module in ("feeds.feed", "feeds.preview"):  # imported once, not once per worker
            importlib.import_module(module)
        done: list[Prepared] = []
        if progress is not None:
            progress("reading manifests", 0, len(paths))
        for chunk, batch in map_chunks(_prepare_packed, paths, jobs, None, PARALLEL_FROM):
            done.extend(_unpack(path, packed) for path, packed in zip(chunk, batch,
                                                                      strict=True))
            if progress is not None:
                progress("reading manifests", len(done), len(paths))
        return done
    finally:
        _WORK = None


def self_contained(segment: Segment) -> bool:
    """True when publishing the segment reads no file besides its manifest and show.yaml."""
    return not (segment.audio.file or segment.image.file or segment.captions)


def _prepare_chunk(paths: list[str]) -> list[Prepared]:
    from feeds.feed import item_fragments
    from feeds.preview import PREVIEW_TRANSCRIPTS, audio_source, episode_html

    work = _WORK
    assert work is not None, "prepare() sets the work before running chunks"
    done: list[Prepared] = []
    episodes: list[Episode] = []
    to_render: list[Rendered] = []
    planner = EpisodePlanner(work.root, work.show) if work.show is not None else None
    reused: list[Rendered] = []
    new: list[Prepared] = []
    for path in paths:
        prepared = _load(work, path)
        done.append(prepared)
        if prepared.reused:
            assert prepared.rendered is not None
            reused.append(prepared.rendered)
            continue
        item = prepared.item
        seg = item.segment
        if not isinstance(seg, Segment):
            _freeze(prepared)
            continue  # invalid: its findings say why
        usable = planner is not None and not seg.draft and \
            not any(f.severity == Severity.ERROR for f in item.findings)
        if planner is None or not usable or not self_contained(seg):
            _freeze(prepared)
            if planner is not None and usable:
                continue  # the build plans it, with the show's files and media
            item.segment = SegmentSummary(seg.id, seg.item_guid, seg.draft)
            continue  # a draft is not published; with errors, nothing is
        item.segment = SegmentSummary(seg.id, seg.item_guid, seg.draft)
        item.data = None  # kept as a fragment instead (`feeds.fragments`)
        planner.files, planner.findings = {}, []
        episode = planner._episode(path, seg)
        written = {} if work.staging is None else \
            write_files(planner.files, work.staging, work.old_output, work.previous)
        rendered = Rendered(episode.sort_key, seg.published, b"",
                            episode_html(episode, audio_source(episode)),
                            planner.findings, written)
        prepared.rendered = rendered
        episodes.append(episode)
        to_render.append(rendered)
        new.append(prepared)
    if episodes and planner is not None:
        for rendered, fragment in zip(to_render, item_fragments(planner.show, episodes),
                                      strict=True):
            rendered.item = fragment
        for rendered, episode in zip(to_render, episodes, strict=True):
            rendered.transcript = episode.transcript_body
        if work.staging is not None:  # --check keeps no cache
            for prepared in new:
                if prepared.stat is not None:
                    prepared.entry = fragments.make(prepared.stat, prepared.item,
                                                    prepared.rendered)
    # only the chunk's newest may be among the page's newest: the others keep no transcript
    chunk = sorted(to_render + reused, key=lambda r: r.sort_key)
    for rendered in chunk[PREVIEW_TRANSCRIPTS:]:
        rendered.transcript = None
    was_reused = {id(rendered) for rendered in reused}
    for rendered in chunk[:PREVIEW_TRANSCRIPTS]:
        if id(rendered) in was_reused:  # its transcript page was just linked: read it there
            rendered.transcript = "" if work.staging is None else \
                _linked_transcript(work.staging, rendered)  # --check writes no preview
    if work.shards is not None:
        _write_shard(work, {path: prepared.entry for path, prepared in zip(paths, done,
                                                                           strict=True)
                            if prepared.entry is not None})
    return done


def _write_shard(work: Work, entries: dict[str, bytes | tuple]) -> None:
    """One shard of the manifest cache: a chunk's entries, written where they were made, so
    the build process neither receives nor marshals them. Not synced: the cache is checked
    entry by entry when read, and an unreadable shard only means re-parsing its manifests."""
    assert work.shards is not None
    name = os.path.join(work.shards, f"{os.getpid()}-{next(_SHARD_NUMBERS)}.marshal")
    with open(name, "xb") as handle:
        handle.write(marshal.dumps({"header": work.header, "entries": entries}))


def _linked_transcript(staging: str, rendered: Rendered) -> str:
    page = next(rel for rel in rendered.written
                if rel.startswith("transcripts/") and rel.endswith(".html"))
    try:
        with open(os.path.join(staging, page), encoding="utf-8") as handle:
            return fragments.transcript_from_page(handle.read())
    except (OSError, ValueError) as exc:  # edited by hand, keeping its size and mtime
        raise PublishError(f"{page} in the last output changed in place ({exc}); delete "
                           "the .segpack-cache folder beside the output and build again",
                           page) from None


def _reuse(work: Work, path: str, key: tuple[int, int] | None,
           fragment: tuple) -> Prepared | None:
    """The segment as the last build rendered it, its files linked from the previous output,
    when nothing it depends on changed; else None (it is prepared anew)."""
    stat, packed_item, packed_rendered, files = fragment
    if key is None or tuple(stat) != key:
        return None
    written: dict[str, list] = {}
    if work.staging is not None:  # --check publishes nothing: the findings are what it needs
        linked = link_previous(files, work.staging, work.old_output, work.previous)
        if linked is None:
            return None
        written = linked
    rendered = Rendered.unpacked((*packed_rendered, written, None))
    return Prepared(SegmentFile.unpacked(path, packed_item, key), False, fragment, rendered,
                    key, reused=True)


def _prepare_packed(paths: list[str]) -> list[tuple]:
    """`_prepare_chunk` in a worker process, its results as plain tuples.

    What crosses the pipe is mostly bytes and str; unpickling 10,000 `Prepared` trees of
    dataclasses, Paths and datetimes cost the build process ~35 us each, tuples ~5 us."""
    return [_pack(done) for done in _prepare_chunk(paths)]


def _pack(done: Prepared) -> tuple:
    """A `Prepared` as plain data; a segment the build plans goes whole (a pydantic model).

    The cache entry stays here (`_write_shard`). A fragment already holds the item and most
    of the episode packed: those are sent, not packed again."""
    seg = done.item.segment
    entry, rendered = done.entry, done.rendered
    if isinstance(entry, tuple) and rendered is not None:
        _, packed_item, head, _ = entry
        packed_rendered: tuple | None = (*head, rendered.written, rendered.transcript)
    else:
        packed_item = done.item.packed()
        packed_rendered = None if rendered is None else rendered.packed()
    return (done.parsed, done.reused, done.stat, packed_item,
            seg if isinstance(seg, Segment) else None, packed_rendered)


def _unpack(path: str, packed: tuple) -> Prepared:
    parsed, reused, stat, packed_item, seg, rendered = packed
    item = SegmentFile.unpacked(path, packed_item, stat)
    if seg is not None:
        item.segment = seg
    return Prepared(item, parsed, None, None if rendered is None else
                    Rendered.unpacked(rendered), stat, reused)


def _load(work: Work, path: str) -> Prepared:
    """The episode as the last build rendered it, or the manifest from the cache, when
    unchanged; else parsed and checked."""
    manifest = Path(path)
    entry = work.store.get(path)
    if isinstance(entry, tuple):
        again = _reuse(work, path, stat_key(manifest), entry)
        if again is not None:
            return again
    elif entry is not None:
        key = stat_key(manifest)
        item = thaw(manifest, entry, key)
        if item is not None:
            return Prepared(item, False, entry, stat=key)
    item = load_segment(manifest, work.show, work.root, work.settings, keep_data=True)
    key = item.stat or stat_key(manifest)  # unreadable: its stat still marks the build input
    return Prepared(item, True, None, stat=key)  # cached by `_freeze`, or as a fragment


def _freeze(prepared: Prepared) -> None:
    """Make the cache entry of a manifest parsed here that will not be rendered (a rendered
    one is kept as a fragment instead), and drop the data it was made from."""
    if prepared.parsed and prepared.entry is None:
        prepared.entry = freeze(prepared.stat, prepared.item)
    prepared.item.data = None  # not sent back to the build process
