"""A big show's feed in pages: RFC 5005 archived feeds (show.yaml `paging: {items_per_page: N}`).

Many podcast apps and directories stop reading a feed after a few MB, and a 100,000-episode
feed is ~130 MB. With paging, feed.xml (the subscription document) holds the newest N episodes
and links the newest archive page (`<atom:link rel="prev-archive">`); the older episodes are in
`archive/1.xml` (the oldest) to `archive/K.xml`, each marked `<fh:archive/>` and linking the
feed (`rel="current"`), itself (`rel="self"`) and the page before it (`rel="prev-archive"`).

Pages are counted from the oldest episode: page k holds the episodes (k-1)N+1 to kN in
publication order. A new episode pushes the oldest of feed.xml into the newest archive page,
which is partial until it holds N; a full page never changes again (no page links the page
after it: `next-archive` is optional in RFC 5005, and adding it when the next page starts would
change a full one). Inserting or removing an old episode shifts the pages after it. No
document says `<fh:complete/>`. Every episode is in exactly one document, with the same item
(and guid) as in an unpaged feed; each page carries the channel (podcast:guid included).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from xml.sax.saxutils import quoteattr

from segment.models import Show

FH = "http://purl.org/syndication/history/1.0"
FOLDER = "archive"
FEED = "feed.xml"


def page_name(number: int) -> str:
    """The output path of archive page `number` (1: the oldest episodes)."""
    return f"{FOLDER}/{number}.xml"


def split(count: int, per_page: int | None) -> tuple[range, list[range]]:
    """(the episodes in feed.xml, the archive pages oldest first), as positions in feed order
    (0 the newest) of `count` episodes. Without paging, feed.xml holds them all."""
    if per_page is None or count <= per_page:
        return range(count), []
    archived = count - per_page  # counted from the oldest: positions count-1 down to per_page
    pages = []
    for first_oldest in range(0, archived, per_page):
        last_oldest = min(first_oldest + per_page, archived)
        pages.append(range(count - last_oldest, count - first_oldest))
    return range(per_page), pages


def documents(show: Show, items: Sequence[bytes], published: Sequence[str | None],
              base: str, image_url: str | None) -> Iterator[tuple[str, bytes]]:
    """(output path, RSS document) of feed.xml and each archive page; `items` and their
    `published` dates in feed order (newest first)."""
    from feeds.feed import feed_document

    newest, pages = split(len(items), show.paging.items_per_page if show.paging else None)
    feed_url = show.feed_url or f"{base}{FEED}"

    def document(span: range, self_url: str | None, links: list[tuple[str, str]],
                 archive: bool) -> bytes:
        newest_date = next((published[n] for n in span if published[n]), None)
        head = b"".join(f"    <atom:link rel={quoteattr(rel)} href={quoteattr(url)}/>\n"
                        .encode() for rel, url in links)
        if archive:
            head += f'    <fh:archive xmlns:fh="{FH}"/>\n'.encode()
        return feed_document(show, [items[n] for n in span],
                             None if newest_date is None else datetime.fromisoformat(newest_date),
                             base or None, image_url, self_url=self_url, head=head)

    for number, span in enumerate(pages, 1):
        older = [("prev-archive", f"{base}{page_name(number - 1)}")] if number > 1 else []
        yield page_name(number), document(span, f"{base}{page_name(number)}",
                                          [("current", feed_url), *older], archive=True)
    links = [("prev-archive", f"{base}{page_name(len(pages))}")] if pages else []
    yield FEED, document(newest, None, links, archive=False)
