"""One episode compiled: everything a build publishes for one manifest, as plain data.

`compile_episode(manifest, context, media)` takes a parsed manifest (`SegmentFile`) and what
the show's episodes share (`Context`) and returns an `EpisodeBuild`: the episode's <item> in
feed.xml (`feeds.feed`), its <article> in index.html (`feeds.preview`), the files it publishes,
its findings, the files it read, and its place in the feed. It is the one path for every
segment, in a worker process or in the build process; it writes nothing. An episode with local
audio is compiled without `media` first (to learn which copy to make: `EpisodeBuild.media`)
and again with the copy the media step made (`feeds.build`).

Its parts are rendered where a newcomer looks for them: the files beside the feed
(transcripts, captions, chapters, image) by `feeds.episode_files`, the enclosure and alternates
by `feeds.enclosures`, the <item> itself by `feeds.feed` (every RSS tag), the <article> by
`feeds.preview`; what episodes share and the checked reading of local files by `feeds.context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from feeds.align_step import left_out, with_starts
from feeds.context import Context, LocalFiles, Stat
from feeds.enclosures import Audio, MediaNeed, enclosures, with_copy
from feeds.episode import Episode
from feeds.episode_files import episode_files
from feeds.feed import item_fragments
from feeds.preview import audio_source, episode_html
from segment.loading import SegmentFile, SegmentSummary
from segment.models import Segment
from segment.rules import Finding, Severity

_NONE: Mapping = MappingProxyType({})
"""The files or inputs of a build that has none, or whose are kept elsewhere (the build
process's: `feeds.compile_all`): one shared empty mapping, not a dict an episode."""


class Written(str):
    """A file as the last build wrote it (its content digest): published by linking that
    build's file (`feeds.writing.link_previous`), not by rendering it again."""


@dataclass(frozen=True, slots=True)
class EpisodeBuild:
    """What the build publishes for one manifest (`compile_episode`). A manifest that is not
    a valid segment, a draft, or a segment with errors has no item: only its findings and
    what the show-wide checks need (id, GUID, where they are written)."""

    path: str
    id: str | None = None
    guid: str | None = None
    draft: bool = False
    positions: tuple[int, int, int, int] = (1, 1, 1, 1)
    """(line, column) of the manifest's id, then of its guid."""
    findings: tuple[Finding, ...] = ()
    sort_key: tuple = ()
    """Feed order: newest first, undated last, the id as tie-break (`Episode.sort_key`)."""
    published: str | None = None
    item: bytes = b""
    """Its <item>, as bytes exactly as in feed.xml (`feeds.feed.item_fragments`)."""
    article: str = ""
    """Its <article> in index.html, without the transcript (`feeds.preview.episode_html`)."""
    files: Mapping[str, str | bytes | Path] = field(default_factory=dict)
    """Published files by path in the output: text, bytes, a file to link, or `Written`."""
    inputs: Mapping[str, Stat | None] = field(default_factory=dict)
    """Files it read besides the manifest (captions, images, audio), with their stamps
    (`feeds.cache.stamp`)."""
    media: MediaNeed | None = None
    complete: bool = True
    """False when compiled without the media it needs: item and article still to come."""

    @property
    def published_episode(self) -> bool:
        """An episode of the feed (valid, not a draft, no errors)."""
        return bool(self.item)

    def summary(self) -> SegmentFile:
        """What the show-wide checks read (`segment.loading.duplicate_findings`)."""
        segment = None if self.id is None else SegmentSummary(self.id, self.guid or "",
                                                              self.draft)
        return SegmentFile(Path(self.path), segment, [], self.positions[:2],
                           self.positions[2:])

    def to_data(self, records: Mapping[str, list]) -> tuple:
        """Plain data for another process or the build cache (`from_data`): files as the
        path they copy or, for text and bytes, their digest (`records` of writing them)."""
        links = {rel: str(content) for rel, content in self.files.items()
                 if isinstance(content, Path)}
        written = {rel: records[rel][0] for rel in self.files
                   if rel in records and rel not in links}
        media = None if self.media is None else (
            str(self.media.source), None if self.media.artwork is None else
            str(self.media.artwork))
        return (self.id, self.guid, self.draft, self.positions,
                [f.as_tuple() for f in self.findings], self.sort_key, self.published,
                self.item, self.article, written, links, self.inputs, media, self.complete)

    @classmethod
    def from_data(cls, path: str, data: tuple | list) -> EpisodeBuild:
        (id_, guid, draft, positions, findings, sort_key, published, item, article, written,
         links, inputs, media, complete) = data
        files: Mapping[str, str | bytes | Path] = _NONE
        if written or links:  # the build process keeps none of 100,000 episodes (`_NONE`)
            files = {rel: Written(d) for rel, d in written.items()}
            files.update((rel, Path(link)) for rel, link in links.items())
        need = None if media is None else MediaNeed(
            Path(media[0]), None if media[1] is None else Path(media[1]))
        return cls(path, id_, guid, draft, tuple(positions),
                   tuple(Finding.from_tuple(f) for f in findings), tuple(sort_key), published,
                   item, article, files, inputs or _NONE, need, complete)


def compile_episode(manifest: SegmentFile, context: Context | None,
                    media: Audio | None = None) -> EpisodeBuild:
    """What the build publishes for `manifest` (see the module doc); `context` None when the
    show itself is unusable (only the manifest's own findings then)."""
    seg, where = manifest.segment, str(manifest.path)
    positions = (*manifest.id_position, *manifest.guid_position)
    found = list(manifest.findings)
    if not isinstance(seg, Segment):
        return EpisodeBuild(where, positions=positions, findings=tuple(found))
    if context is None or seg.draft or _errors(found):
        return EpisodeBuild(where, seg.id, seg.item_guid, seg.draft, positions, tuple(found))
    files = LocalFiles(context.root, where, found)
    timeline = None if media is None else media.timeline
    aligned = None if media is None else media.captions
    if aligned is not None:
        if aligned.refused:
            missing = left_out(seg, aligned)
            chapters = f"; {missing} chapter(s) anchored to the text left out" * bool(missing)
            found.append(Finding("SEG509", f"captions not published: {aligned.refused}"
                                 + chapters, where))
        seg = with_starts(seg, aligned)
    heard = seg if timeline is None else timeline.published(seg)  # the published file's times
    ep = Episode(heard, duration=seg.duration, chapters=heard.chapters)
    published = episode_files(heard, context, ep, files, found, timeline,
                              None if aligned is None else aligned.vtt)
    need = enclosures(seg, context, ep, files, published)
    if media is not None:
        with_copy(ep, media, context, files, published)
    complete = need is None or media is not None
    item, article = b"", ""
    if complete and not _errors(found):
        item = item_fragments(context.show, [ep])[0]
        article = episode_html(ep, audio_source(ep))
    return EpisodeBuild(where, seg.id, seg.item_guid, seg.draft, positions, tuple(found),
                        ep.sort_key, seg.published.isoformat() if seg.published else None,
                        item, article, published, files.inputs, need, complete)


def _errors(found: list[Finding]) -> bool:
    """An error that keeps the episode out; not SEG416, which the whole show settles
    (`segment.published.settle`): the build refuses it then, if it stands."""
    return any(f.severity == Severity.ERROR and f.code != "SEG416" for f in found)
