"""feedgen's iTunes extension with `itunes:explicit` as Apple wants it today: `true`/`false`.

feedgen 1.0 only accepts the old `yes`/`no`/`clean` values; Apple's current RSS requirements
list `true` and `false`. It also only takes artwork URLs ending in `.jpg`/`.png` (and at channel
level silently drops others), which refuses CDN URLs with a query string. These subclasses keep
everything else of feedgen's extension and write `explicit` (a bool) and `image` themselves.
"""

from __future__ import annotations

from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from lxml.etree import SubElement

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def _ours(parent, explicit: bool | None, image: str | None) -> None:
    if image:
        SubElement(parent, f"{{{ITUNES_NS}}}image").set("href", image)
    if explicit is not None:
        SubElement(parent, f"{{{ITUNES_NS}}}explicit").text = "true" if explicit else "false"


class ItunesExtension(PodcastExtension):
    """Channel-level iTunes tags; set `explicit` (bool), `image` and `title` (itunes:title,
    which feedgen has only for items) as attributes."""

    explicit: bool | None = None
    image: str | None = None
    title: str | None = None

    def extend_rss(self, rss_feed):
        rss_feed = super().extend_rss(rss_feed)
        _ours(rss_feed[0], self.explicit, self.image)
        if self.title:
            SubElement(rss_feed[0], f"{{{ITUNES_NS}}}title").text = self.title
        return rss_feed


class ItunesEntryExtension(PodcastEntryExtension):
    """Item-level iTunes tags; set `explicit` (bool), `image` and `keywords` (itunes:keywords,
    which feedgen has only for channels) as attributes."""

    explicit: bool | None = None
    image: str | None = None
    keywords: list[str] | None = None

    def extend_rss(self, entry):
        entry = super().extend_rss(entry)
        _ours(entry, self.explicit, self.image)
        if self.keywords:
            SubElement(entry, f"{{{ITUNES_NS}}}keywords").text = ",".join(self.keywords)
        return entry
