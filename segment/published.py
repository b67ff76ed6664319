"""What the last build published: the episodes of the feed in an output folder, read back so
that a segment cannot change its guid under subscribers (SEG416).

A renamed manifest (its id, hence its derived guid) or an edited `guid:` publishes the same
episode under a new guid, and podcast apps then list it twice. The published feed is the
truth subscribers have, so it is what is compared: `feed.xml` and, for a paged show, its
archive pages (`archive/*.xml`), read with lxml (only guid, title, pubDate and enclosure of
each item are kept). The build cache beside the output is not used: it may be missing (a CI
runner that checks out the published site) or belong to another state of the output, and
`segpack validate --output DIR` reads exactly what `segpack build -o DIR` reads, so the two
give one verdict.

A page that cannot be read (not a regular file: a FIFO is never opened and waited on; not
well-formed XML: a truncated upload) is treated as absent, and the segments it would have
been compared with get one SEG417 warning naming it: the build replaces the feed. A published
guid that a segment of the show still has is never offered to another (`settle`).
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from segment.models import Segment
    from segment.rules import Finding

FEED_FILE = "feed.xml"
ARCHIVE_GLOB = "archive/*.xml"
MAX_PAGE_BYTES = 1 << 30
_GUID_TEXT = re.compile(rb"<guid(?:\s[^>]*)?>([^<]*)</guid>")
"""A <guid> element's text as segpack writes it (escaped, no CDATA): `surely_published`."""
"""A feed page bigger than this is not read (a 10,000-episode feed.xml is about 13 MB)."""


class Match(NamedTuple):
    """The published episode a segment is: its guid, how it was recognised, the page."""

    guid: str
    how: str
    page: str


class Unreadable(NamedTuple):
    """A page that could not be read when a segment had to be compared with it."""

    page: str
    reason: str


@dataclass
class Published:
    """The episodes an output folder's feed publishes: guid -> (title, pubDate as written,
    enclosure URL). A segment is matched with its earlier self by its title with its date, or
    by its enclosure URL or its id (the name of the copy a build publishes, `media/<id>.*`)
    with its title.

    Read as late as it can be, once per process, one page at a time (the items read the pages
    a second time, not kept between: 135 MB for 100,000 episodes): a segment whose guid is
    the text of a <guid> element of the feed (every episode of a rebuild but a new or renamed
    one) costs a set lookup (the texts of those elements, taken from the pages' bytes: 100,000
    episodes, ~10 MB, where the pages' bytes were 135 MB in every worker process); the items
    are parsed (0.1-0.2 s for 10,000) and indexed only for a guid not found so."""

    feed: str
    pages: list[Path] = field(default_factory=list)
    _guids: set[bytes] | None = field(default=None, repr=False)
    _items: dict[str, tuple[str, str | None, str | None, str]] | None = field(default=None,
                                                                              repr=False)
    _index: tuple[dict, dict, dict] | None = field(default=None, repr=False)
    unreadable: Unreadable | None = None
    """The first page that could not be read (`Unreadable`), once read."""

    @property
    def items(self) -> dict[str, tuple[str, str | None, str | None, str]]:
        """guid -> (title, pubDate as written, enclosure URL, the page it is in)."""
        if self._items is None:
            self._items = {}
            for page in self.pages:
                text = self._text(page)
                if text is None:
                    continue
                try:
                    _read_items(text, str(page), self._items)
                    del text  # before the next page is read
                except (ValueError, SyntaxError) as exc:  # lxml's XMLSyntaxError is both
                    why = getattr(exc, "msg", None) or str(exc)
                    self._unreadable(page, f"is not well-formed XML ({why})")
        return self._items

    def _text(self, page: Path) -> bytes | None:
        """The page's bytes (not kept); None (and `unreadable` set) when it cannot be read."""
        from segment.userfiles import read_regular

        try:
            return read_regular(page, MAX_PAGE_BYTES, what="a feed page")
        except OSError as exc:  # NotAFileError (a FIFO, a folder), TooLarge, EACCES
            self._unreadable(page, getattr(exc, "strerror", None) or str(exc))
            return None

    def _unreadable(self, page: Path, reason: str) -> None:
        if self.unreadable is None:
            self.unreadable = Unreadable(str(page), reason)

    def surely_published(self, guid: str) -> bool:
        """True when `guid` is the text of a <guid> element of the feed, as segpack writes it
        (False may still be published, written otherwise: the items then say)."""
        if self._guids is None:
            self._guids = set()
            for page in self.pages:
                text = self._text(page)
                if text is not None:
                    self._guids.update(_GUID_TEXT.findall(text))
        return escape(guid).encode() in self._guids

    def earlier_guid(self, segment: Segment) -> Match | Unreadable | None:
        """The guid this segment's episode was published under, how it was recognised and
        where (`Match`) when that is not its guid now; None when its guid is published, or it
        is a new episode; `Unreadable` when it may be neither and a page could not be read.

        An enclosure or an id alone does not make the same episode (two episodes may link the
        same audio): its title must be the published one's too. A key several published
        episodes share (an enclosure every test episode links) recognises none of them.
        The published copy of local audio is `media/<id>.*`: after a rename the new id is
        not there, but the old one is the name of the source file when it was named after
        its episode (as `segpack new` and the importers name it)."""
        guid = segment.item_guid
        if self.surely_published(guid) or guid in self.items:
            return None
        by_title, by_enclosure, by_id = self._indexes()
        title = segment.title.strip()
        if segment.published is not None:
            stamp = int(segment.published.timestamp())
            same = [old for old in by_title.get(title, ())
                    if _stamp(self.items[old][1]) == stamp]
            if len(same) == 1:
                return Match(same[0], "title and date", self.items[same[0]][3])
        audio = segment.audio
        candidates = [(by_id.get(segment.id), f"audio media/{segment.id}.*")]
        if audio.file:
            stem = posixpath.splitext(posixpath.basename(audio.file.replace("\\", "/")))[0]
            if stem and stem != segment.id:
                candidates.append((by_id.get(stem), f"audio media/{stem}.*"))
        if audio.direct_link and not audio.file:
            candidates.insert(0, (by_enclosure.get(audio.direct_link), "enclosure"))
        for old, how in candidates:
            if old is not None and self.items[old][0] == title:
                return Match(old, f"{how} and title", self.items[old][3])
        return self.unreadable

    def _indexes(self) -> tuple[dict, dict, dict]:
        if self._index is None:
            by_title: dict[str, list[str]] = {}
            by_enclosure: dict[str, str | None] = {}
            by_id: dict[str, str | None] = {}
            for guid, (title, _, enclosure, _) in self.items.items():
                by_title.setdefault(title, []).append(guid)
                if enclosure:
                    _unique(by_enclosure, enclosure, guid)
                    folder, name = posixpath.split(urlsplit(enclosure).path)
                    if posixpath.basename(folder) == "media" and name:
                        _unique(by_id, posixpath.splitext(name)[0], guid)
            self._index = (by_title, by_enclosure, by_id)
        return self._index


def _unique(table: dict, key: object, guid: str) -> None:
    """`table[key]` is the guid published under `key`, None once two share it."""
    table[key] = guid if table.get(key, guid) == guid else None


def published_in(output: Path) -> Published | None:
    """The episodes published in `output` (None when it holds no feed), read when first asked.
    A feed that cannot be read is treated as none: the build replaces it."""
    feed = output / FEED_FILE
    if not feed.is_file():
        return None
    return Published(str(feed), [feed, *sorted(output.glob(ARCHIVE_GLOB))])


def _read_items(text: bytes, page: str,
                into: dict[str, tuple[str, str | None, str | None, str]]) -> None:
    """Each item's guid, title, pubDate and enclosure URL: one pass over its children (twice
    quicker than asking for each; 10,000 items in about 0.1 s)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    for item in etree.fromstring(text, parser).iter("item"):
        guid = title = date = url = None
        for child in item:
            tag = child.tag
            if tag == "guid":
                guid = child.text
            elif tag == "title":
                title = child.text
            elif tag == "pubDate":
                date = child.text
            elif tag == "enclosure":
                url = child.get("url")
        if guid and guid.strip():
            into.setdefault(guid.strip(), ((title or "").strip(), date, url, page))


def _stamp(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(parsedate_to_datetime(text.strip()).timestamp())
    except (TypeError, ValueError, IndexError):
        return None


_OFFER = re.compile(r'put guid: ("(?:[^"\\]|\\.)*") in this manifest$')


def settle(findings: list[Finding], guids: set[str]) -> list[Finding]:
    """`findings` with one SEG417 per unreadable page (each segment compared finds it),
    and without the SEG416 findings that offer a guid a segment of the show still has: that
    segment is the published episode, the one offered it a new episode (two audio items of
    one article page, imported with its title and date), and taking the advice would only
    make two segments share a guid (SEG402). Asked where the whole show is known (the guids
    of every segment, drafts too), by validate and build alike."""
    kept = []
    seen = set()
    for found in findings:
        if found.code == "SEG417":
            if (found.path, found.message) in seen:
                continue
            seen.add((found.path, found.message))
        if found.code == "SEG416":
            offer = _OFFER.search(found.message)
            if offer is not None and json.loads(offer.group(1)) in guids:
                continue
        kept.append(found)
    return kept
