"""feed.xml from a show and its episodes, with feedgen, its iTunes extension (fixed in
`feeds.itunes`) and our Podcasting 2.0 extension (`feeds.podcastindex`).

Deterministic by construction: no wall clock (feedgen defaults lastBuildDate to now; we set it
to the newest segment date or drop it), fixed element order, items sorted newest first with the
id as tie-break. Every text passes through `xmltext.clean` so a stray control character in a
transcript cannot make the feed unparseable.
"""

from __future__ import annotations

import functools
from datetime import datetime
from html import escape

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds import podcastindex
from feeds.episode import Episode
from feeds.itunes import ItunesEntryExtension, ItunesExtension
from feeds.podcastindex import PersonTag, PodcastIndexEntryExtension, PodcastIndexExtension
from feeds.xmltext import clean
from segment import __version__
from segment.licences import spdx_id
from segment.models import Show

GENERATOR = f"segpack {__version__}"


def item_description(episode: Episode) -> str:
    """The show notes (sanitised HTML) when the segment has them; else the summary, then links
    to the transcript and the newsroom's direct link (HTML, escaped)."""
    seg = episode.segment
    if seg.notes:
        return sanitised(seg.notes)
    parts = [f"<p>{escape(clean(seg.summary or seg.title))}</p>"]
    links = []
    if episode.transcript_page:
        links.append(f'<a href="{escape(episode.transcript_page)}">Transcript</a>')
    if seg.audio.direct_link:
        links.append(f'<a href="{escape(seg.audio.direct_link)}">Direct link to the audio</a>')
    if links:
        parts.append("<p>" + " | ".join(links) + "</p>")
    return "".join(parts)


def sanitised(notes: str) -> str:
    """Show notes as HTML podcast apps can show: nh3 (Ammonia) removes scripts, styles and
    event handlers a producer may have pasted; links and emphasis stay."""
    import nh3

    return clean(nh3.clean(notes, link_rel=None))


def licence_text(name: str) -> str:
    """`podcast:license`'s text: an SPDX License List identifier lower-cased, as the
    Podcasting 2.0 namespace asks (apps find its URL in the list); a custom licence as written
    (its `url` is required: SEG413)."""
    known = spdx_id(name)
    return known.lower() if known else clean(name)


def _categories(names: list[str]) -> list[dict[str, str]]:
    """`News/Politics` -> iTunes category News with subcategory Politics."""
    found = []
    for name in names:
        cat, _, sub = name.partition("/")
        found.append({"cat": cat.strip(), "sub": sub.strip()} if sub else {"cat": cat.strip()})
    return found


def new_generator() -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("podcast", ItunesExtension, ItunesEntryExtension)
    fg.register_extension(podcastindex.NAME, PodcastIndexExtension, PodcastIndexEntryExtension)
    return fg


def build_feed(show: Show, episodes: list[Episode], base_url: str | None,
               image_url: str | None = None) -> bytes:
    """The RSS document (UTF-8 bytes, pretty-printed) for `episodes` in feed order."""
    ordered = sorted(episodes, key=lambda e: e.sort_key)
    dates = [e.segment.published for e in ordered if e.segment.published]
    return feed_document(show, item_fragments(show, ordered), max(dates) if dates else None,
                         base_url, image_url)


def feed_document(show: Show, items: list[bytes], last_build: datetime | None,
                  base_url: str | None, image_url: str | None = None, *,
                  self_url: str | None = None, head: bytes = b"") -> bytes:
    """The RSS document from the channel (rendered here by feedgen) and `items`, already
    rendered by `item_fragments` (possibly in other processes) and put in feed order.

    feedgen appends items after every other channel element, so the bytes are those of
    feedgen rendering the channel with its entries in one go. A page of a paged feed
    (`feeds.paging`) has its own `self_url` and its links (`head`) before the items."""
    fg = new_generator()
    fg.title(clean(show.title))
    if self_url or show.feed_url:
        fg.link(href=self_url or show.feed_url, rel="self", type="application/rss+xml")
    # feedgen takes the channel <link> from the last link set: the page must come last
    fg.link(href=show.link or base_url or show.feed_url or "about:blank", rel="alternate")
    fg.description(sanitised(show.description_html) if show.description_html
                   else clean(show.description))
    fg.language(show.language)
    if show.copyright:
        fg.copyright(clean(show.copyright))
    fg.generator(GENERATOR)
    if last_build is not None:
        fg.lastBuildDate(last_build)
    else:  # feedgen defaults to now, which would make every build differ
        fg._FeedGenerator__rss_lastBuildDate = None
    if image_url:
        fg.image(url=image_url, title=clean(show.title), link=show.link or base_url)

    itunes: ItunesExtension = fg.podcast
    if show.author or show.publisher:
        itunes.itunes_author(clean(show.author or show.publisher))
    if show.owner:
        itunes.itunes_owner(name=clean(show.owner.name), email=show.owner.email)
    if show.categories:
        itunes.itunes_category(_categories(show.categories))
    itunes.itunes_type(show.type)
    itunes.explicit = show.explicit
    itunes.image = image_url
    if show.block:
        itunes.itunes_block(True)
    if show.complete:
        itunes.itunes_complete(True)
    if show.subtitle:
        itunes.itunes_subtitle(clean(show.subtitle))
    if show.summary:
        itunes.itunes_summary(clean(show.summary))
    itunes.title = clean(show.itunes_title)

    ours: PodcastIndexExtension = getattr(fg, podcastindex.NAME)
    ours.guid = show.podcast_guid
    ours.locked = show.locked
    ours.locked_owner = show.locked_owner or (show.owner.email if show.owner else None)
    ours.block, ours.block_services = show.block, show.block_services
    ours.license = licence_text(show.license) if show.license else None
    ours.license_url = show.license_url
    ours.medium = show.medium
    ours.funding, ours.locations, ours.images = show.funding, show.locations, show.images
    ours.value, ours.trailers, ours.podroll = show.value, show.trailers, show.podroll
    ours.verbatim = show.verbatim

    channel = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    cut = channel.rindex(CHANNEL_END)
    return b"".join([channel[:cut], head, *items, channel[cut:]])


CHANNEL_END = b"  </channel>"
ITEM_END = b"    </item>\n"
NAMESPACES = {**ItunesExtension().extend_ns(), **PodcastIndexExtension().extend_ns(),
              "atom": "http://www.w3.org/2005/Atom",
              "content": "http://purl.org/rss/1.0/modules/content/"}
"""The namespace prefixes feedgen declares on <rss> with our two extensions loaded."""


@functools.lru_cache(maxsize=1)
def _entry_generator() -> FeedGenerator:
    """A generator with our extensions loaded, kept to make entries: a new one per episode
    (the build renders one item at a time) cost a tenth of rendering the item."""
    return new_generator()


def item_fragments(show: Show, episodes: list[Episode]) -> list[bytes]:
    """Each episode's <item> element, as bytes exactly as it appears in the whole document.

    feedgen renders the entries; they are serialized inside an <rss><channel> carrying the
    document's namespace prefixes, so indentation and prefixes match, and cut at the item end
    tags ('<' is always escaped in text and attributes, so the cut cannot fall inside one)."""
    if not episodes:
        return []
    fg = _entry_generator()
    root = etree.Element("rss", nsmap=NAMESPACES)
    channel = etree.SubElement(root, "channel")
    for episode in episodes:
        entry = add_item(fg, show, episode)
        channel.append(entry.rss_entry())
        fg.remove_entry(entry)  # the generator only makes entries; it keeps none
    text = etree.tostring(root, pretty_print=True, encoding="UTF-8")
    body = text[text.index(b"<channel>\n") + len(b"<channel>\n"):text.rindex(CHANNEL_END)]
    pieces = body.split(ITEM_END)
    if len(pieces) != len(episodes) + 1 or pieces[-1]:
        raise AssertionError("feed items could not be told apart")  # never for escaped text
    return [piece + ITEM_END for piece in pieces[:-1]]


def add_item(fg: FeedGenerator, show: Show, episode: Episode) -> FeedEntry:
    seg = episode.segment
    fe = fg.add_entry(order="append")
    title = clean(seg.title)
    fe.title(title)
    fe.guid(clean(seg.item_guid), permalink=False)
    if seg.source.url:
        fe.link(href=seg.source.url)
    fe.description(item_description(episode))
    if seg.notes:
        fe.content(sanitised(seg.notes))  # content:encoded
    if seg.rss_author:
        fe.author({"email": clean(seg.rss_author)})  # RSS <author>, as the feed wrote it
    if episode.enclosure:
        enc = episode.enclosure
        fe.enclosure(enc.url, str(enc.length), enc.type)
    if seg.published:
        fe.pubDate(seg.published)

    itunes: ItunesEntryExtension = fe.podcast
    itunes.itunes_title(clean(seg.itunes_title) or title)
    if seg.subtitle:
        itunes.itunes_subtitle(clean(seg.subtitle))
    if seg.block:
        itunes.itunes_block(True)
    if episode.duration is not None:
        itunes.itunes_duration(str(round(episode.duration)))
    if seg.episode is not None:
        itunes.itunes_episode(seg.episode)
    if seg.season is not None:
        itunes.itunes_season(seg.season)
    itunes.itunes_episode_type(seg.episode_type)
    author = ", ".join(seg.authors) or seg.source.publisher
    if author:
        itunes.itunes_author(clean(author))
    if seg.summary:
        itunes.itunes_summary(clean(seg.summary))
    itunes.explicit = seg.explicit if seg.explicit is not None else show.explicit
    itunes.image = episode.image_url
    itunes.keywords = [clean(k) for k in seg.keywords]

    ours: PodcastIndexEntryExtension = getattr(fe, podcastindex.NAME)
    ours.transcripts = episode.transcripts
    ours.chapters_url = episode.chapters_url
    ours.simple_chapters = seg.chapters
    ours.persons = [PersonTag(clean(p.name), p.role, p.group, p.href, p.img)
                    for p in seg.persons]
    ours.alternate_enclosures = episode.alternates
    if seg.season is not None:
        ours.season = (seg.season, clean(seg.season_name) or None)
    if seg.episode is not None:
        ours.episode = (seg.episode, clean(seg.episode_display) or None)
    ours.soundbites, ours.locations, ours.images = seg.soundbites, seg.locations, seg.images
    if seg.license:
        ours.license = (licence_text(seg.license), seg.license_url)
    ours.value, ours.verbatim = seg.value, seg.verbatim
    return fe
