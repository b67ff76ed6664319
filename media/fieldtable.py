"""The one field table: each segment/show field and its key in every tag family and in RSS.

Like beets' mediafile, a field is declared once with its ID3v2.4 frame(s), MP4 atom(s), Vorbis
comment key(s), its RSS element and where its value comes from. The storage modules (`id3`,
`mp4`, `vorbis`) interpret the keys by the field's `kind`; `segpack fields` prints this table,
and a test reads each row's RSS paths in a built feed. Adding a field = adding one row here.

Where a family lists several keys, all are written and the first one present is read back
(e.g. the summary goes to COMM, TIT3 and the iTunes podcast description TDES).

Closest equivalents, documented here because no standard exists:
- MP4 has no standard key for language, source page, direct link, GUID or license: they go into
  freeform `----:com.apple.iTunes:NAME` atoms (ffmpeg and most taggers show these).
- MP4 chapters: mutagen reads Nero `chpl` chapters but cannot write them, so segpack writes the
  chapters as Podcasting 2.0 chapters JSON into `----:com.apple.iTunes:CHAPTERS` and reads that
  back first, then Nero `chpl` (files from other tools).
- Vorbis comments: links use the foobar2000/Picard names WWWAUDIOFILE / WWWAUDIOSOURCE; chapters
  follow the Vorbis chapter extension (CHAPTER001=HH:MM:SS.mmm, CHAPTER001NAME, CHAPTER001URL),
  which stores no end times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from segment.models import Segment, Show

Getter = Callable[["Segment", "Show | None"], Any]

KINDS = ("text", "list", "url", "int", "date", "flag", "language", "image", "chapters")
"""How a value is stored: `list` is several values (multi-valued frames/keys), `flag` a boolean,
`date` an ISO 8601 UTC timestamp string, `image` bytes, `chapters` a list of dicts."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    id3: tuple[str, ...]
    mp4: tuple[str, ...]
    vorbis: tuple[str, ...]
    rss: tuple[str, ...]
    """Where the feed carries the field, as XPath (prefixes of `feeds.feed.NAMESPACES`):
    `item/...` from each <item>, holding the segment's value; `channel/...` from <rss>,
    holding the show's (the value a segment without its own gets). `segpack fields` prints
    them; tests/test_every_field.py reads each one in a built feed."""
    source: str
    value: Getter
    note: str = ""
    rss_note: str = ""
    """When the feed's value comes from elsewhere (a fallback, a file the path links)."""

    def from_texts(self, texts: list[str]) -> Any:
        """This field's value from the texts a tag family stores (shared by the storage
        modules): a list whole, a number from "n" or "n/total", else the first text."""
        if not texts:
            return None
        if self.kind == "list":
            return texts
        if self.kind == "int":
            head = texts[0].split("/")[0].strip()
            return int(head) if head.isdigit() else None
        return texts[0]

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.name, "kind": self.kind, "id3": list(self.id3),
                "mp4": list(self.mp4), "vorbis": list(self.vorbis), "rss": list(self.rss),
                "rss_note": self.rss_note, "source": self.source, "note": self.note}


def _date(seg: Segment, show: Show | None) -> str | None:
    if seg.published is None:
        return None
    when = seg.published
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _authors(seg: Segment, show: Show | None) -> list[str] | None:
    if seg.authors:
        return list(seg.authors)
    if show and show.author:
        return [show.author]
    return None


def _chapters(seg: Segment, show: Show | None) -> list[dict[str, Any]] | None:
    """Chapters with every end filled in (explicit end, else next start, else the duration)."""
    if not seg.chapters:
        return None
    out = []
    for index, chapter in enumerate(seg.chapters):
        following = seg.chapters[index + 1].start if index + 1 < len(seg.chapters) else None
        end = chapter.end if chapter.end is not None else (following or seg.duration
                                                           or chapter.start)
        out.append({"start": round(chapter.start, 3), "end": round(end, 3),
                    "title": chapter.title, "url": chapter.url})
    return out


def _show(attr: str) -> Getter:
    return lambda seg, show: getattr(show, attr, None) if show is not None else None


FF = "----:com.apple.iTunes:"
"""Prefix of MP4 freeform atoms (mean `com.apple.iTunes`, which ffmpeg and taggers display)."""

ITEM = "item/"
"""The start of item paths in `Field.rss`."""

FIELDS: tuple[Field, ...] = (
    Field("title", "text", ("TIT2",), ("\xa9nam",), ("TITLE",),
          (ITEM + "title", ITEM + "itunes:title"),
          "segment.title", lambda s, sh: s.title),
    Field("show", "text", ("TALB",), ("\xa9alb",), ("ALBUM",), ("channel/title",),
          "show.title", _show("title")),
    Field("author", "list", ("TPE1",), ("\xa9ART",), ("ARTIST",),
          (ITEM + "itunes:author", "channel/itunes:author"),
          "segment.authors, else show.author", _authors,
          rss_note="several authors are one itunes:author, joined with ', '"),
    Field("publisher", "text", ("TPUB",), (FF + "PUBLISHER",), ("ORGANIZATION",),
          (ITEM + "itunes:author", "channel/itunes:author"),
          "segment.source.publisher, else show.publisher",
          lambda s, sh: s.source.publisher or (sh.publisher if sh else None),
          rss_note="only where there is no author: an item without authors, a show.yaml "
          "without author (Apple: the show's author is the person or the network behind it)"),
    Field("date", "date", ("TDRC", "TDRL"), ("\xa9day",), ("DATE",), (ITEM + "pubDate",),
          "segment.published (UTC)", _date, "ID3 timestamps carry no zone: written in UTC"),
    Field("summary", "text", ("COMM", "TIT3", "TDES"), ("desc", "ldes"), ("DESCRIPTION",),
          (ITEM + "itunes:summary", ITEM + "description"), "segment.summary",
          lambda s, sh: s.summary,
          rss_note="description: the summary as HTML with links, unless the segment has notes"),
    Field("transcript", "text", ("USLT",), ("\xa9lyr",), ("LYRICS",),
          (ITEM + "podcast:transcript[@type='text/plain']/@url",), "segment body",
          lambda s, sh: s.transcript, "full text, paragraphs kept",
          rss_note="a file beside the feed (text, HTML; captions as VTT and SRT)"),
    Field("language", "language", ("TLAN",), (FF + "LANGUAGE",), ("LANGUAGE",),
          (ITEM + "podcast:transcript/@language", "channel/language"), "segment.language",
          lambda s, sh: s.language,
          "ID3 TLAN holds the ISO 639-2 code (eng); read back as BCP 47 (en)",
          rss_note="RSS has no item language: the segment's is on its transcripts"),
    Field("source_url", "url", ("WOAS",), (FF + "WWWAUDIOSOURCE",), ("WWWAUDIOSOURCE",),
          (ITEM + "link",), "segment.source.url", lambda s, sh: s.source.url),
    Field("direct_link", "url", ("WOAF",), (FF + "WWWAUDIOFILE",), ("WWWAUDIOFILE",),
          (ITEM + "podcast:alternateEnclosure/podcast:source/@uri",),
          "segment.audio.direct_link", lambda s, sh: s.audio.direct_link,
          rss_note="the enclosure (item/enclosure/@url) when the segment has no audio.file"),
    Field("guid", "text", ("TXXX:GUID", "UFID:segpack", "TGID"), (FF + "GUID", "egid"),
          ("GUID",), (ITEM + "guid",), "segment.item_guid", lambda s, sh: s.item_guid,
          "TGID/egid are the iTunes podcast episode identifiers"),
    Field("season", "int", ("TPOS",), ("disk",), ("DISCNUMBER",),
          (ITEM + "itunes:season", ITEM + "podcast:season"), "segment.season",
          lambda s, sh: s.season),
    Field("episode", "int", ("TRCK",), ("trkn",), ("TRACKNUMBER",),
          (ITEM + "itunes:episode", ITEM + "podcast:episode"), "segment.episode",
          lambda s, sh: s.episode),
    Field("genre", "text", ("TCON",), ("\xa9gen",), ("GENRE",), (),
          'always "Podcast"', lambda s, sh: "Podcast",
          rss_note="not in the feed: its itunes:category elements are show.categories"),
    Field("copyright", "text", ("TCOP",), ("cprt",), ("COPYRIGHT",), ("channel/copyright",),
          "segment.copyright, else show.copyright",
          lambda s, sh: s.copyright or (sh.copyright if sh else None),
          rss_note="RSS has no item copyright: the channel's is show.copyright"),
    Field("license", "text", ("TXXX:LICENSE",), (FF + "LICENSE",), ("LICENSE",),
          (ITEM + "podcast:license", "channel/podcast:license"),
          "segment.license, else show.license",
          lambda s, sh: s.license or (sh.license if sh else None),
          rss_note="an SPDX identifier lower-cased; url= license_url (required for a custom "
          "licence)"),
    Field("podcast", "flag", ("PCST",), ("pcst",), (), (), "always true (iTunes podcast flag)",
          lambda s, sh: True),
    Field("feed_url", "url", ("WFED",), ("purl",), (), ("channel/atom:link[@rel='self']/@href",),
          "show.feed_url", _show("feed_url"), "iTunes podcast feed URL"),
    Field("artwork", "image", ("APIC",), ("covr",), ("METADATA_BLOCK_PICTURE",),
          (ITEM + "itunes:image/@href", "channel/itunes:image/@href"),
          "segment.image.file, else show.image.file",
          lambda s, sh: None, "front cover; FLAC uses its PICTURE block",
          rss_note="a file beside the feed (image.url as it is)"),
    Field("chapters", "chapters", ("CHAP", "CTOC"), (FF + "CHAPTERS", "chpl"),
          ("CHAPTERnnn",), (ITEM + "podcast:chapters/@url",), "segment.chapters", _chapters,
          "titles and URLs (ID3 WXXX sub-frame); MP4: JSON freeform atom written, Nero chpl read",
          rss_note="a Podcasting 2.0 chapters JSON file beside the feed"),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}


def field_values(segment: Segment, show: Show | None = None) -> dict[str, Any]:
    """Every field's value for this segment (None where the segment has none)."""
    return {f.name: f.value(segment, show) for f in FIELDS}
