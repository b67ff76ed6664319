"""One episode compiled: everything a build publishes for one manifest, as plain data.

`compile_episode(manifest, context, media)` takes a parsed manifest (`SegmentFile`) and what
the show's episodes share (`Context`) and returns an `EpisodeBuild`: the episode's <item> in
feed.xml (`feeds.feed`), its <article> in index.html (`feeds.preview`), the files it publishes,
its findings, the files it read, and its place in the feed. It is the one path for every
segment, in a worker process or in the build process; it writes nothing. An episode with local
audio is compiled without `media` first (to learn which copy to make: `EpisodeBuild.media`)
and again with the copy the media step made (`feeds.build`).

Where the audio is published:
* local file and direct link: the enclosure is our tagged copy; the newsroom's direct link is a
  `podcast:alternateEnclosure` with a `podcast:source`;
* direct link only: it is the enclosure, with length and type from the manifest (`audio.length`,
  `audio.type`; no network during a build); unknown length -> 0 and SEG307, as the RSS
  best-practice profile says;
* neither: the item has no enclosure (validation already warns, SEG211).
Paths from manifests must stay inside the show folder (SEG302), symlinks resolved.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from feeds.align_step import Captions, left_out, with_starts
from feeds.cache import stamp
from feeds.captions import shift_srt, shift_vtt
from feeds.chapters import chapters_json
from feeds.episode import Enclosure, Episode
from feeds.feed import item_fragments
from feeds.podcastindex import AlternateEnclosure, Transcript
from feeds.preview import audio_source, episode_html
from feeds.transcripts import (
    HTML_TYPE,
    SRT_TYPE,
    TEXT_TYPE,
    VTT_TYPE,
    html_paragraphs,
    plain_text,
    timed_files,
    transcript_html,
)
from feeds.xmltext import clean
from segment.errors import SegpackError
from segment.loading import SegmentFile, SegmentSummary
from segment.models import AUDIO_TYPES, Alternate, Segment, Show
from segment.rules import Finding, Severity, local_file_problem
from segment.timeline import Timeline

TRANSCRIPT_TYPES = {".vtt": VTT_TYPE, ".srt": SRT_TYPE, ".html": HTML_TYPE, ".htm": HTML_TYPE,
                    ".json": "application/json", ".txt": TEXT_TYPE}
Stat = tuple[int, ...]


class Written(str):
    """A file as the last build wrote it (its content digest): published by linking that
    build's file (`feeds.writing.link_previous`), not by rendering it again."""


@dataclass(frozen=True)
class MediaNeed:
    """The copy of local audio an episode publishes: made by the build's media step."""

    source: Path
    artwork: Path | None
    """Written into the copy's tags: the episode's image, else the show's."""


@dataclass(frozen=True)
class Audio:
    """The audio an episode publishes, once the media step has it: our tagged copy (`file`,
    published at `rel`), or under --check the source as it is (`file` None)."""

    rel: str
    file: Path | None
    size: int
    mime: str
    duration: float
    edited: Sequence[float] | None = None
    """Where the item's own audio sits in the copy, when stings or trimming moved it
    (`segment.timeline.Timeline`'s fields): the episode's times are moved to the copy's."""
    source_duration: float | None = None
    """The source's own length, when the copy is edited (SEG303 itself is `media.checks`',
    asked before any copy is made, so validate --media says the same)."""
    captions: Captions | None = None
    """What the build's aligner made of the segment (show.yaml `captions: align`,
    `feeds.align_step`): captions at the source's times and the anchored chapters' starts,
    or why there are none."""

    @property
    def timeline(self) -> Timeline | None:
        """How source times map onto the published copy (None: nothing is published)."""
        if self.file is None:
            return None
        return Timeline(*self.edited) if self.edited else Timeline.of(None, self.duration)


@dataclass(frozen=True)
class Context:
    """What every episode of one build shares (`show_context`): set before workers fork."""

    root: Path
    show: Show
    base: str
    """Where the output folder is published ('' when show.yaml does not say: SEG406)."""
    artwork: Path | None = None
    image_url: str | None = None
    image_src: str | None = None
    files: Mapping[str, Path] = field(default_factory=dict)
    """The show's own published files (its artwork)."""
    stings: Mapping[str, Path] = field(default_factory=dict)
    inputs: Mapping[str, Stat | None] = field(default_factory=dict)
    """Files read for the show (artwork, stings) and their stats: part of the cache key."""


@dataclass(frozen=True)
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
        files: dict[str, str | bytes | Path] = {rel: Written(d) for rel, d in written.items()}
        files.update((rel, Path(link)) for rel, link in links.items())
        need = None if media is None else MediaNeed(
            Path(media[0]), None if media[1] is None else Path(media[1]))
        return cls(path, id_, guid, draft, tuple(positions),
                   tuple(Finding.from_tuple(f) for f in findings), tuple(sort_key), published,
                   item, article, files, inputs, need, complete)


def base_url(show: Show) -> str | None:
    """Where the output folder is published: media_base_url, else the feed URL's folder."""
    if show.media_base_url:
        return show.media_base_url
    if show.feed_url:
        return show.feed_url.rsplit("/", 1)[0] + "/"
    return None


def guess_type(url: str) -> str | None:
    return AUDIO_TYPES.get(_suffix(url))


def _suffix(url: str) -> str:
    return posixpath.splitext(urlsplit(url).path)[1].lower()


class _Files:
    """Files named in a manifest or show.yaml, checked and recorded with their stats."""

    def __init__(self, root: Path, where: str, found: list[Finding]):
        self.root, self.where, self.found = root, where, found
        self.inputs: dict[str, Stat | None] = {}
        self._images: dict[str, Path | None] = {}  # asked twice with local audio: one finding

    def local(self, rel: str, field_name: str) -> Path | None:
        """A file named in a manifest, when it is a regular file inside the show folder."""
        problem = local_file_problem(self.root, rel)  # the rule validate applies
        if problem is not None:
            self.found.append(Finding(problem[0], f"{field_name}: {problem[1]}", self.where))
            return None
        target = self.root / rel
        self.inputs[str(target)] = stamp(target)
        return target

    def image(self, rel: str) -> Path | None:
        """A local artwork file, when it is one podcast apps and tags can use: an unreadable
        image, not JPEG/PNG, over 10 MB or 3000 px (the rules `segpack tag` applies) is left
        out of the feed, pages and tags, never published as is (the media checks' SEG306 or
        SEG407 says so, in validate --media as in the build)."""
        if rel not in self._images:
            found = self.local(rel, "image.file")
            problem = found and _image_problem(str(found), self.inputs[str(found)])
            self._images[rel] = None if problem else found
        return self._images[rel]


@functools.lru_cache(maxsize=256)
def _image_problem(path: str, stat: Stat | None) -> str | None:
    """Why an image file is unusable (None when usable): asked once per file and version in a
    process, however many segments share the image."""
    from media.artwork import load_artwork

    try:
        load_artwork(Path(path))
    except SegpackError as exc:
        return exc.message
    return None


def show_context(root: Path, show: Show) -> Context:
    """The show's part of a build: its base URL, artwork and stings. What is wrong with them
    is said by the rules on show.yaml, at their keys' lines (`segment.loading.load_show_file`
    with the media checks; SEG406 by `show_wide_findings`), as validate says it."""
    files = _Files(root, str(root / "show.yaml"), [])
    base = base_url(show) or ""
    artwork = image_url = image_src = None
    published: dict[str, Path] = {}
    if show.image.file:
        artwork = files.image(show.image.file)
        if artwork:
            image_src = f"artwork{artwork.suffix.lower()}"
            published[image_src] = artwork
            image_url = base + image_src
    elif show.image.url:
        image_url = image_src = show.image.url
    stings = {}
    for name in ("intro", "outro"):
        rel = getattr(show.audio, name)
        path = files.local(rel, f"audio.{name}") if rel else None
        if path:
            stings[name] = path
    return Context(root, show, base, artwork, image_url, image_src, published, stings,
                   files.inputs)


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
    files = _Files(context.root, where, found)
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
    published = _text_files(heard, context, ep, files, found, timeline,
                            None if aligned is None else aligned.vtt)
    need = _audio(seg, context, ep, files, found, published)
    if media is not None:
        ep.enclosure = Enclosure(context.base + media.rel, media.size, media.mime)
        ep.duration, ep.duration_source = media.duration, "probed"
        if media.file is not None:
            published[media.rel] = media.file
            ep.media_path = media.rel
            files.inputs[str(media.file)] = stamp(media.file)
    complete = need is None or media is not None
    item, article = b"", ""
    if complete and not _errors(found):
        item = item_fragments(context.show, [ep])[0]
        article = episode_html(ep, audio_source(ep))
    return EpisodeBuild(where, seg.id, seg.item_guid, seg.draft, positions, tuple(found),
                        ep.sort_key, seg.published.isoformat() if seg.published else None,
                        item, article, published, files.inputs, need, complete)


def _local_alternate(sid: str, index: int, other: Alternate, base: str, files: _Files,
                     published: dict[str, str | bytes | Path]) -> list[AlternateEnclosure]:
    """A rendition in the show folder (`audio.alternates[index].file`), published as it is at
    media/alternates/<id>-<n><suffix>: its length is the file's size, its type the one written,
    else the suffix's; a `url` given too is a second source. Nothing when the file is unusable
    (its finding is made)."""
    path = files.local(other.file or "", f"audio.alternates[{index}].file")
    stat = files.inputs[str(path)] if path else None
    if not path or not stat:
        return []
    name = f"media/alternates/{sid}-{index + 1}{path.suffix.lower()}"
    published[name] = path
    sources: list[str | tuple[str, str | None]] = [base + name]
    if other.url:  # the same file elsewhere too (the newsroom's copy): a second source
        sources.append(other.url)
    return [AlternateEnclosure(type=other.type or AUDIO_TYPES.get(path.suffix.lower())
                               or "audio/mpeg", length=stat[1], sources=sources,
                               title=other.title)]


def _errors(found: list[Finding]) -> bool:
    """An error that keeps the episode out; not SEG416, which the whole show settles
    (`segment.published.settle`): the build refuses it then, if it stands."""
    return any(f.severity == Severity.ERROR and f.code != "SEG416" for f in found)


def _text_files(seg: Segment, context: Context, ep: Episode, files: _Files,
                found: list[Finding], timeline: Timeline | None = None,
                aligned: str | None = None) -> dict[str, str | bytes | Path]:
    """Transcripts, captions, chapters and the episode's image: published beside the feed;
    captions (the manifest's, or `aligned`: WebVTT the build's aligner made) at the published
    file's times (`timeline`; `seg`'s chapters already are)."""
    sid, base, where = seg.id, context.base, files.where
    transcript = clean(seg.transcript)  # SEG214 says what is left out
    published: dict[str, str | bytes | Path] = {}
    if transcript.strip():  # a migrated item may have only the feed's transcript files
        ep.transcript_body = html_paragraphs(transcript)
        published[f"transcripts/{sid}.txt"] = plain_text(transcript)
        published[f"transcripts/{sid}.html"] = transcript_html(
            seg, context.show.title, ep.transcript_body, context.show.language)
        ep.transcripts = [Transcript(f"{base}transcripts/{sid}.txt", TEXT_TYPE, seg.language),
                          Transcript(f"{base}transcripts/{sid}.html", HTML_TYPE, seg.language)]
    timed: dict[str, tuple[str, str]] = {}
    if seg.captions:
        captions = files.local(seg.captions, "captions")
        if captions:
            try:
                timed = timed_files(captions)
            except SegpackError as exc:
                found.append(Finding("SEG301", f"captions: {exc.message}", where))
    elif aligned:
        timed = {".vtt": (VTT_TYPE, aligned)}
    for suffix, (mime, text) in timed.items():
        if timeline is not None:
            text = (shift_vtt if suffix == ".vtt" else shift_srt)(text, timeline)
        published[f"transcripts/{sid}{suffix}"] = text
        ep.transcripts.append(Transcript(f"{base}transcripts/{sid}{suffix}", mime,
                                         seg.language, rel="captions"))
    if seg.transcript_url:
        ep.transcripts.append(Transcript(seg.transcript_url, TRANSCRIPT_TYPES.get(
            _suffix(seg.transcript_url), TEXT_TYPE), seg.language))
    ep.transcripts += [Transcript(t.url, t.type, t.language, t.rel) for t in seg.transcripts]
    if seg.chapters_url:  # a migrated feed's own chapters file is what apps know
        ep.chapters_url = seg.chapters_url
    elif seg.chapters:
        published[f"chapters/{sid}.json"] = chapters_json(seg, context.show.title)
        ep.chapters_url = f"{base}chapters/{sid}.json"
    if seg.image.file:
        image = files.image(seg.image.file)
        if image:
            name = f"images/{sid}{image.suffix.lower()}"
            published[name] = image
            ep.image_url, ep.image_src = base + name, name
    else:
        ep.image_url = ep.image_src = seg.image.url
    return published


def _audio(seg: Segment, context: Context, ep: Episode, files: _Files, found: list[Finding],
           published: dict[str, str | bytes | Path]) -> MediaNeed | None:
    """The enclosure and alternates from the manifest (local renditions added to
    `published`); the copy to make of local audio."""
    audio, need = seg.audio, None
    if audio.file:
        source = files.local(audio.file, "audio.file")
        if source:
            artwork = files.image(seg.image.file) if seg.image.file else context.artwork
            need = MediaNeed(source, artwork)
        if audio.direct_link:
            ep.alternates.append(AlternateEnclosure(
                type=audio.type or guess_type(audio.direct_link) or "audio/mpeg",
                length=audio.length, sources=[audio.direct_link], title="Direct link"))
    elif audio.direct_link:
        mime = audio.type or guess_type(audio.direct_link)  # unknown: SEG307
        ep.enclosure = Enclosure(audio.direct_link, audio.length or 0, mime or "audio/mpeg")
    for index, other in enumerate(audio.alternates):
        if other.file:
            ep.alternates += _local_alternate(seg.id, index, other, context.base, files,
                                              published)
        elif other.url:
            ep.alternates.append(AlternateEnclosure(
                type=other.type or guess_type(other.url) or "audio/mpeg", length=other.length,
                sources=[other.url], title=other.title))
    for alt in audio.alternate_enclosures:
        ep.alternates.append(AlternateEnclosure(
            type=alt.type, length=alt.length, title=alt.title, default=alt.default,
            sources=[(s.uri, s.content_type) for s in alt.sources], bitrate=alt.bitrate,
            height=alt.height, lang=alt.lang, rel=alt.rel, codecs=alt.codecs,
            integrity=alt.integrity))
    return need
