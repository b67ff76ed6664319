"""Our feedgen extension for the Podcasting 2.0 namespace (https://podcastindex.org/namespace/1.0).

feedgen has no `podcast:` support; an extension is a class pair (channel + item) with
`extend_ns` and `extend_rss`, registered with `FeedGenerator.register_extension`. Values are
plain attributes set by `feeds.feed`; each class only turns them into elements, in a fixed order
so the same inputs give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree
from lxml.etree import SubElement

from feeds.xmltext import clean
from segment.models import (
    Chapter,
    Funding,
    Integrity,
    Location,
    PodcastImage,
    RemoteItem,
    Soundbite,
    Trailer,
    Value,
)

NAMESPACE = "https://podcastindex.org/namespace/1.0"
PSC = "http://podlove.org/simple-chapters"
"""Podlove Simple Chapters: chapters inline in the item, which podcastparser (gPodder) and
AntennaPod read; declared on the element, so a feed without chapters does not carry it."""
PREFIX = "podcast"
NAME = "podcastindex"
"""Attribute under which feedgen exposes the extension (`fg.podcastindex`, `fe.podcastindex`)."""


def _el(parent, tag: str, text: str | None = None, **attrs: str | None):
    node = SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    for key, value in attrs.items():
        if value is not None:
            node.set(key, value)
    if text is not None:
        node.text = text
    return node


@dataclass
class Transcript:
    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass
class PersonTag:
    name: str
    role: str | None = None
    group: str | None = None
    href: str | None = None
    img: str | None = None


@dataclass
class AlternateEnclosure:
    """Another rendition of the item's audio; `sources` are the URIs it can be fetched from
    (a URI, or a URI and its content type)."""

    type: str
    length: int | None = None
    sources: list[str | tuple[str, str | None]] = field(default_factory=list)
    title: str | None = None
    default: bool = False
    bitrate: float | None = None
    height: int | None = None
    lang: str | None = None
    rel: str | None = None
    codecs: str | None = None
    integrity: Integrity | None = None


def _number(value: float | None) -> str | None:
    """`128000` for a whole number, else as written (`511276.52`)."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(value)


def _locations(parent, locations: list[Location]) -> None:
    for place in locations:
        _el(parent, "location", place.name, rel=place.rel, geo=place.geo, osm=place.osm,
            country=place.country)


def _images(parent, images: list[PodcastImage]) -> None:
    for image in images:
        _el(parent, "image", href=image.href, alt=image.alt,
            **{"aspect-ratio": image.aspect_ratio},
            width=None if image.width is None else str(image.width),
            height=None if image.height is None else str(image.height), type=image.type,
            purpose=image.purpose)


def _value(parent, value: Value | None) -> None:
    if value is None:
        return
    node = _el(parent, "value", type=value.type, method=value.method, suggested=value.suggested)
    for r in value.recipients:
        _el(node, "valueRecipient", name=r.name, customKey=r.custom_key,
            customValue=r.custom_value, type=r.type, address=r.address, split=_number(r.split),
            fee="true" if r.fee else None)


def _verbatim(parent, elements: list[str]) -> None:
    """Elements kept as written from a migrated feed (validated as one XML element each),
    among the RSS elements, before the iTunes and Podcasting 2.0 ones, as feeds usually have
    them: readers that let a later element win (feedparser takes the author from the last of
    managingEditor, dc:creator and itunes:author) read what they read in the original. (The
    import reports a feed that had such an element after itunes:author.)"""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    core = [i for i, child in enumerate(parent)
            if isinstance(child.tag, str) and not child.tag.startswith("{")]
    position = core[-1] + 1 if core else len(parent)
    for offset, text in enumerate(elements):
        parent.insert(position + offset, etree.fromstring(text.encode("utf-8"), parser))


class PodcastIndexExtension(BaseExtension):
    """Channel: podcast:guid, locked, block, license, medium, funding, location, image, value,
    trailer, podroll, and the elements a migrated feed kept verbatim."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked: bool | None = None
        self.locked_owner: str | None = None
        self.block: bool = False
        self.block_services: dict[str, bool] = {}
        self.license: str | None = None
        self.license_url: str | None = None
        self.medium: str | None = None
        self.funding: list[Funding] = []
        self.locations: list[Location] = []
        self.images: list[PodcastImage] = []
        self.value: Value | None = None
        self.trailers: list[Trailer] = []
        self.podroll: list[RemoteItem] = []
        self.verbatim: list[str] = []

    def extend_ns(self) -> dict[str, str]:
        return {PREFIX: NAMESPACE}

    def extend_rss(self, rss_feed):
        channel = rss_feed[0]
        if self.guid:
            _el(channel, "guid", self.guid)
        if self.locked is not None:
            _el(channel, "locked", "yes" if self.locked else "no", owner=self.locked_owner)
        if self.block:
            _el(channel, "block", "yes")
        for service, blocked in sorted(self.block_services.items()):
            _el(channel, "block", "yes" if blocked else "no", id=service)
        if self.license:
            _el(channel, "license", self.license, url=self.license_url)
        if self.medium:
            _el(channel, "medium", self.medium)
        for fund in self.funding:
            _el(channel, "funding", fund.text, url=fund.url)
        _locations(channel, self.locations)
        _images(channel, self.images)
        _value(channel, self.value)
        for trailer in self.trailers:
            _el(channel, "trailer", trailer.title, pubdate=trailer.published, url=trailer.url,
                length=None if trailer.length is None else str(trailer.length),
                type=trailer.type, season=None if trailer.season is None else str(trailer.season))
        if self.podroll:
            roll = _el(channel, "podroll")
            for item in self.podroll:
                _el(roll, "remoteItem", feedGuid=item.feed_guid, feedUrl=item.feed_url,
                    itemGuid=item.item_guid, medium=item.medium)
        _verbatim(channel, self.verbatim)
        return rss_feed


def _npt(seconds: float) -> str:
    """Normal play time as Podlove Simple Chapters write it: `00:01:12.500`.

    >>> _npt(72.5), _npt(3723)
    ('00:01:12.500', '01:02:03')
    """
    millis = round(seconds * 1000)
    whole, frac = divmod(millis, 1000)
    hours, rest = divmod(whole, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text + (f".{frac:03d}" if frac else "")


def _simple_chapters(entry, chapters: list[Chapter]) -> None:
    if not chapters:
        return
    node = SubElement(entry, f"{{{PSC}}}chapters", nsmap={"psc": PSC})
    node.set("version", "1.2")
    for chapter in chapters:
        item = SubElement(node, f"{{{PSC}}}chapter")
        item.set("start", _npt(chapter.start))
        item.set("title", clean(chapter.title))
        if chapter.url:
            item.set("href", chapter.url)
        if chapter.image:
            item.set("image", chapter.image)


class PodcastIndexEntryExtension(BaseEntryExtension):
    """Item: podcast:transcript, chapters (and the same chapters inline as psc:chapters),
    person, alternateEnclosure, season, episode, soundbite, location, image, license, value,
    and the elements kept verbatim."""

    def __init__(self) -> None:
        self.transcripts: list[Transcript] = []
        self.chapters_url: str | None = None
        self.simple_chapters: list[Chapter] = []
        self.persons: list[PersonTag] = []
        self.alternate_enclosures: list[AlternateEnclosure] = []
        self.season: tuple[int, str | None] | None = None
        self.episode: tuple[int, str | None] | None = None
        self.soundbites: list[Soundbite] = []
        self.locations: list[Location] = []
        self.images: list[PodcastImage] = []
        self.license: tuple[str, str | None] | None = None
        self.value: Value | None = None
        self.verbatim: list[str] = []

    def extend_ns(self) -> dict[str, str]:
        return {PREFIX: NAMESPACE}

    def extend_rss(self, entry):
        for t in self.transcripts:
            _el(entry, "transcript", url=t.url, type=t.type, language=t.language, rel=t.rel)
        if self.chapters_url:
            _el(entry, "chapters", url=self.chapters_url, type="application/json+chapters")
        _simple_chapters(entry, self.simple_chapters)
        for p in self.persons:
            _el(entry, "person", p.name, role=p.role, group=p.group, href=p.href, img=p.img)
        for alt in self.alternate_enclosures:
            node = _el(entry, "alternateEnclosure", type=alt.type,
                       length=None if alt.length is None else str(alt.length),
                       bitrate=_number(alt.bitrate),
                       height=None if alt.height is None else str(alt.height), lang=alt.lang,
                       title=alt.title, rel=alt.rel, codecs=alt.codecs,
                       default="true" if alt.default else None)
            for source in alt.sources:
                uri, kind = (source, None) if isinstance(source, str) else source
                _el(node, "source", uri=uri, contentType=kind)
            if alt.integrity is not None:
                _el(node, "integrity", type=alt.integrity.type, value=alt.integrity.value)
        if self.season is not None:
            _el(entry, "season", str(self.season[0]), name=self.season[1])
        if self.episode is not None:
            _el(entry, "episode", str(self.episode[0]), display=self.episode[1])
        for bite in self.soundbites:
            _el(entry, "soundbite", bite.title, startTime=_number(bite.start),
                duration=_number(bite.duration))
        _locations(entry, self.locations)
        _images(entry, self.images)
        if self.license is not None:
            _el(entry, "license", self.license[0], url=self.license[1])
        _value(entry, self.value)
        _verbatim(entry, self.verbatim)
        return entry
