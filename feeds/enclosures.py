"""Where an episode's audio is published: its enclosure and its `podcast:alternateEnclosure`s,
set on its `Episode`, and the tagged copy of local audio the build's media step makes
(`MediaNeed` asked for, `Audio` made).

* local file and direct link: the enclosure is our tagged copy; the newsroom's direct link is a
  `podcast:alternateEnclosure` with a `podcast:source`;
* direct link only: it is the enclosure, with length and type from the manifest (`audio.length`,
  `audio.type`; no network during a build); unknown length -> 0 and SEG307, as the RSS
  best-practice profile says;
* neither: the item has no enclosure (validation already warns, SEG211);
* `audio.alternates`: a URL as it is; a file in the show folder published as it is at
  media/alternates/<id>-<n><suffix> (its length the file's size), the URL given too a second
  source; `audio.alternate_enclosures` (imported feeds) as written.

Kept apart from `feeds.compiler` (the pipeline of one episode): a new way to publish audio
touches this file only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from feeds.align_step import Captions
from feeds.cache import stamp
from feeds.context import Context, LocalFiles, url_suffix
from feeds.episode import Enclosure, Episode
from feeds.episode_files import Published
from feeds.podcastindex import AlternateEnclosure
from segment.models import AUDIO_TYPES, Alternate, Segment
from segment.timeline import Timeline


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


def guess_type(url: str) -> str | None:
    return AUDIO_TYPES.get(url_suffix(url))


def enclosures(seg: Segment, context: Context, ep: Episode, files: LocalFiles,
               published: Published) -> MediaNeed | None:
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


def with_copy(ep: Episode, media: Audio, context: Context, files: LocalFiles,
              published: Published) -> None:
    """The media step's audio becomes the enclosure, with its probed duration; our tagged
    copy is published (and read: an input of the cache entry)."""
    ep.enclosure = Enclosure(context.base + media.rel, media.size, media.mime)
    ep.duration, ep.duration_source = media.duration, "probed"
    if media.file is not None:
        published[media.rel] = media.file
        ep.media_path = media.rel
        files.inputs[str(media.file)] = stamp(media.file)


def _local_alternate(sid: str, index: int, other: Alternate, base: str, files: LocalFiles,
                     published: Published) -> list[AlternateEnclosure]:
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
