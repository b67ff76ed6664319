"""Our feedgen extension for the Podcasting 2.0 namespace (https://podcastindex.org/namespace/1.0).

feedgen has no `podcast:` support; an extension is a class pair (channel + item) with
`extend_ns` and `extend_rss`, registered with `FeedGenerator.register_extension`. Values are
plain attributes set by `feeds.feed`; each class only turns them into elements, in a fixed order
so the same inputs give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml.etree import SubElement

NAMESPACE = "https://podcastindex.org/namespace/1.0"
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
    """Another rendition of the item's audio; `sources` are the URIs it can be fetched from."""

    type: str
    length: int | None = None
    sources: list[str] = field(default_factory=list)
    title: str | None = None
    default: bool = False


class PodcastIndexExtension(BaseExtension):
    """Channel: podcast:guid, podcast:locked, podcast:license, podcast:medium."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked: bool | None = None
        self.locked_owner: str | None = None
        self.license: str | None = None
        self.license_url: str | None = None
        self.medium: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {PREFIX: NAMESPACE}

    def extend_rss(self, rss_feed):
        channel = rss_feed[0]
        if self.guid:
            _el(channel, "guid", self.guid)
        if self.locked is not None:
            _el(channel, "locked", "yes" if self.locked else "no", owner=self.locked_owner)
        if self.license:
            _el(channel, "license", self.license, url=self.license_url)
        if self.medium:
            _el(channel, "medium", self.medium)
        return rss_feed


class PodcastIndexEntryExtension(BaseEntryExtension):
    """Item: podcast:transcript, podcast:chapters, podcast:person, podcast:alternateEnclosure."""

    def __init__(self) -> None:
        self.transcripts: list[Transcript] = []
        self.chapters_url: str | None = None
        self.persons: list[PersonTag] = []
        self.alternate_enclosures: list[AlternateEnclosure] = []

    def extend_ns(self) -> dict[str, str]:
        return {PREFIX: NAMESPACE}

    def extend_rss(self, entry):
        for t in self.transcripts:
            _el(entry, "transcript", url=t.url, type=t.type, language=t.language, rel=t.rel)
        if self.chapters_url:
            _el(entry, "chapters", url=self.chapters_url, type="application/json+chapters")
        for p in self.persons:
            _el(entry, "person", p.name, role=p.role, group=p.group, href=p.href, img=p.img)
        for alt in self.alternate_enclosures:
            node = _el(entry, "alternateEnclosure", type=alt.type,
                       length=None if alt.length is None else str(alt.length), title=alt.title,
                       default="true" if alt.default else None)
            for uri in alt.sources:
                _el(node, "source", uri=uri)
        return entry
