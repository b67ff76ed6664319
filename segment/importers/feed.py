"""An existing podcast feed (RSS 2.0 + iTunes + Podcasting 2.0) -> show data + one segment per item.

Nothing the feed says is lost, nothing it does not say is invented, and every change is
reported. Each child element of the channel and of every item is accounted for in one of four
ways, listed per channel and per item in the migration report (`Migration`):

- *kept*: read into a field the model knows (guid, enclosure, block, locked with its owner,
  transcripts, alternate enclosures, season/episode with name/display, soundbites, ...);
- *changed*: kept with a change that is said, old -> new (a relative guid or enclosure resolved
  against `xml:base` as feed readers do, show notes sanitised, an HTML entity decoded);
- *verbatim*: an element the model does not know, kept as written (XML) and published again;
- *not carried over*: what the rebuilt feed makes anew (generator, lastBuildDate, the old
  atom:link self), each with its reason.

Show notes are not transcripts: description/content:encoded become `notes` (HTML, sanitised
with nh3) and are published again as description/content:encoded; a transcript comes only from
the feed's `podcast:transcript` files (all kept) or from one the producer adds as the body.

Migration must not make subscribers see duplicates: each item keeps its guid (resolved as feed
readers resolve it) and `podcast:guid` is kept, or derived from the old feed URL as the
namespace specifies, and written down. The old feed URL goes to `previous_feed_url` (redirect
it with itunes:new-feed-url); the new `feed_url`/`media_base_url` come from the command line or
are reported as missing. A `podcast:locked` feed is refused unless its owner's email is given.

Parsed with lxml with entity expansion, DTD loading and network access off; a feed that declares
entities (`<!ENTITY`) is refused before parsing: podcast feeds never need them.
"""

from __future__ import annotations

import copy
import html
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from segment.importers.common import (
    Imported,
    ImportProblem,
    clean,
    iso_timestamp,
    read_input,
    slug_for,
)
from segment.timecode import format_duration, parse_duration

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
PODCAST_OLD = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
PREFIXES = {ITUNES: "itunes", PODCAST: "podcast", CONTENT: "content", ATOM: "atom", PSC: "psc"}
PODCAST_NAMESPACE_GUID = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog"}

REBUILT_CHANNEL = {
    ("", "generator"): "the rebuilt feed names its own generator",
    ("", "lastBuildDate"): "the rebuilt feed's date is its newest episode's",
    ("", "pubDate"): "the rebuilt feed's date is its newest episode's",
    ("", "docs"): "the rebuilt feed links the RSS specification itself",
    ("", "item"): "each item is a segment",
    (ITUNES, "new-feed-url"): "this feed already points elsewhere; the rebuilt feed is the "
                              "new one",
}
"""Channel elements the rebuilt feed makes anew: not carried over, each with its reason."""


@dataclass
class Migration:
    """What happened to one channel or item: the migration report's row."""

    label: str
    kept: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    verbatim: list[str] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)

    def change(self, what: str, old: Any, new: Any, why: str) -> None:
        self.changed.append({"field": what, "old": old, "new": new, "why": why})

    def drop(self, what: str, why: str) -> None:
        self.dropped.append({"element": what, "why": why})

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kept": self.kept, "changed": self.changed,
                "verbatim": self.verbatim, "not_carried_over": self.dropped}


@dataclass
class FeedImport:
    """A whole feed: show.yaml data, the segments, and what was skipped or missing."""

    show: dict[str, Any] = field(default_factory=dict)
    segments: list[Imported] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    items: int = 0
    channel: Migration = field(default_factory=lambda: Migration("channel"))
    migrations: list[Migration] = field(default_factory=list)
    urls_to_set: list[str] = field(default_factory=list)


def import_feed(path: str | Path, *, feed_url: str | None = None,
                media_base_url: str | None = None,
                owner_email: str | None = None) -> FeedImport:
    """Read a feed file; raise ImportProblem when it is no RSS feed or may not be imported."""
    path = Path(path)
    return parse_feed(read_input(path, "a podcast feed"), path, feed_url=feed_url,
                      media_base_url=media_base_url, owner_email=owner_email)


def parse_xml(data: bytes, path: Path):
    """Parse feed XML safely: refuse entity declarations; no DTD, network or entity expansion."""
    from lxml import etree

    if re.search(rb"<!ENTITY", data[:1_000_000], re.I):
        raise ImportProblem("declares XML entities (<!ENTITY ...>): refused, since they can "
                            "read local files or expand without bound; feeds never need them",
                            path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False, dtd_validation=False, remove_comments=True,
                             remove_pis=True, recover=False)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ImportProblem(f"not well-formed XML: {exc.msg}; fix the feed or fetch it again",
                            path) from None


def parse_feed(data: bytes, path: Path, *, feed_url: str | None = None,
               media_base_url: str | None = None,
               owner_email: str | None = None) -> FeedImport:
    root = parse_xml(data, path)
    if _local(root) != "rss":
        kind = "an Atom feed" if _local(root) == "feed" else f"<{_local(root)}>"
        raise ImportProblem(f"is {kind}, not an RSS 2.0 podcast feed", path)
    channel = root.find("channel")
    if channel is None:
        raise ImportProblem("RSS without a <channel>: not a podcast feed", path)
    result = FeedImport()
    children = _grouped(channel)
    _check_lock(children, path, owner_email)
    result.show = _show(channel, children, result, feed_url, media_base_url)
    language = result.show.get("language")
    seen_guids: dict[str, int] = {}
    used_ids: set[str] = set()
    for number, item in enumerate(children.get(("", "item"), []), start=1):
        result.items += 1
        segment, report = _item(item, number, language, result.skipped)
        if segment is None:
            continue
        guid = segment.fields["guid"]
        if guid in seen_guids:
            result.skipped.append(f"item {number} {segment.title!r}: guid {guid!r} repeats item "
                                  f"{seen_guids[guid]}; skipped (apps see one episode)")
            continue
        seen_guids[guid] = number
        base = segment.fields["id"]
        sid, n = base, 2
        while sid in used_ids:
            sid, n = f"{base}-{n}", n + 1
        used_ids.add(sid)
        segment.fields["id"] = sid
        segment.source = f"{path} item {number}"
        result.segments.append(segment)
        result.migrations.append(report)
    if result.items == 0:
        result.gaps.append("items: the feed has none")
    return result


# --- helpers -----------------------------------------------------------------------------------

def _local(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _ns(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    space = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    return PODCAST if space == PODCAST_OLD else space


def _name(key: tuple[str, str], el=None) -> str:
    """`itunes:block`, `media:content` (the document's own prefix for other namespaces)."""
    space, local = key
    if not space:
        return local
    prefix = PREFIXES.get(space) or (el.prefix if el is not None else None)
    return f"{prefix}:{local}" if prefix else f"{{{space}}}{local}"


def _grouped(el) -> dict[tuple[str, str], list]:
    """Child elements by (namespace, local name), in document order."""
    out: dict[tuple[str, str], list] = defaultdict(list)
    for child in el:
        if isinstance(child.tag, str):
            out[(_ns(child), _local(child))].append(child)
    return out


def _text_of(el) -> str | None:
    if el is None:
        return None
    return clean(_decode_entities("".join(el.itertext()))) or None


def _first(children: dict, key: tuple[str, str]):
    found = children.get(key)
    return found[0] if found else None


def _text(children: dict, key: tuple[str, str]) -> str | None:
    return _text_of(_first(children, key))


_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")


def _decode_entities(text: str) -> str:
    """Plain-text fields whose HTML entities were escaped once more (`&amp;amp;`, `&nbsp;`
    arriving as text): decoded, as feed readers decode them."""
    return html.unescape(text) if _ENTITY.search(text) else text


def _url(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if re.match(r"^https?://\S+$", value) else None


def _base_of(el, document: str | None) -> str | None:
    """The xml:base in effect at `el` (resolved outward-in against the document's URL)."""
    chain = [a.get(XML_BASE) for a in (el, *el.iterancestors()) if a.get(XML_BASE)]
    base = document
    for value in reversed(chain):
        base = urljoin(base, value.strip()) if base else value.strip()
    return base


def _resolved(el, value: str | None, document: str | None) -> str | None:
    """A URL as feed readers resolve it: relative to xml:base (or the feed's own URL)."""
    value = (value or "").strip()
    if not value:
        return None
    base = _base_of(el, document)
    return urljoin(base, value) if base and not re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I) \
        else value


def plain_text(markup: str | None) -> str:
    """Show notes as text: HTML paragraphs and line breaks become blank lines."""
    if not markup or not markup.strip():
        return ""
    if not re.search(r"<[a-zA-Z/!]", markup):
        return "\n\n".join(clean(_decode_entities(p)) for p in re.split(r"\n\s*\n", markup)
                           if clean(p))
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # lxml raises several types for broken fragments; text is still useful
        return clean(re.sub(r"<[^>]+>", " ", markup))
    for el in list(root.iter("script", "style", "template", "noscript")):
        el.drop_tree()  # never text a listener reads
    for el in root.iter("br", "p", "li", "div", "h1", "h2", "h3", "h4", "tr"):
        el.tail = "\n\n" + (el.tail or "")
    text = root.text_content()
    return "\n\n".join(clean(p) for p in re.split(r"\n\s*\n", text) if clean(p))


def sanitised_notes(markup: str) -> str:
    """Show notes as safe HTML (nh3, the Ammonia sanitiser): scripts, styles, event handlers
    and unknown tags go; links, lists and emphasis stay. Plain text becomes escaped HTML."""
    import nh3

    text = markup.strip()
    if not re.search(r"<[a-zA-Z/!]", text):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join(f"<p>{p}</p>" for p in paragraphs) if len(paragraphs) > 1 else text
    return nh3.clean(text, link_rel=None).strip()


def _tags(markup: str) -> set[str]:
    return {t.lower() for t in re.findall(r"<\s*([A-Za-z][A-Za-z0-9]*)", markup)}


def _flag(value: str | None) -> bool | None:
    low = (value or "").strip().lower()
    if low in ("true", "yes", "explicit"):
        return True
    if low in ("false", "no", "clean"):
        return False
    return None


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _number(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number >= 0 and number == number else None


def _language(value: str | None) -> str | None:
    import langcodes

    tag = (value or "").strip()
    return tag if tag and langcodes.tag_is_valid(tag) else None


def _verbatim(el) -> str:
    """The element as written, declaring only the namespaces it uses."""
    from lxml import etree

    mine = copy.deepcopy(el)
    mine.tail = None
    etree.cleanup_namespaces(mine)
    return etree.tostring(mine, encoding="unicode", with_tail=False)


def _longest(*texts: str | None) -> str | None:
    """The longest faithful text: hosts truncate some copies (itunes:subtitle "...blond st…")."""
    found = [t for t in texts if t]
    return max(found, key=len) if found else None


# --- the lock ----------------------------------------------------------------------------------

def _check_lock(children: dict, path: Path, owner_email: str | None) -> None:
    lock = _first(children, (PODCAST, "locked"))
    if lock is None or _flag(_text_of(lock)) is not True:
        return
    owner = (lock.get("owner") or "").strip()
    itunes_owner = _first(children, (ITUNES, "owner"))
    fallback = _text_of(_first(_grouped(itunes_owner), (ITUNES, "email"))) \
        if itunes_owner is not None else None
    expected = owner or fallback
    if owner_email and expected and owner_email.strip().lower() == expected.lower():
        return
    who = f" (owner {expected})" if expected else ""
    hint = f"--owner-email {expected}" if expected else "--owner-email YOUR_EMAIL"
    if owner_email:
        raise ImportProblem(f"podcast:locked is yes{who} and --owner-email {owner_email} is not "
                            "that owner: refused", path)
    raise ImportProblem(f"podcast:locked is yes{who}: its owner asks that the feed not be "
                        f"moved elsewhere; if you are the owner, import it with {hint}", path)


# --- the channel -------------------------------------------------------------------------------

CHANNEL_KEYS = {
    ("", "title"), ("", "link"), ("", "description"), ("", "language"), ("", "copyright"),
    ("", "image"), (ITUNES, "summary"), (ITUNES, "author"), (ITUNES, "owner"),
    (ITUNES, "image"), (ITUNES, "category"), (ITUNES, "explicit"), (ITUNES, "type"),
    (ITUNES, "block"), (ITUNES, "complete"), (ITUNES, "subtitle"), (ITUNES, "title"),
    (PODCAST, "guid"), (PODCAST, "locked"), (PODCAST, "block"), (PODCAST, "license"),
    (PODCAST, "medium"), (PODCAST, "funding"), (PODCAST, "location"), (PODCAST, "image"),
    (PODCAST, "value"), (PODCAST, "trailer"), (PODCAST, "podroll"),
}
"""Channel elements read into show.yaml fields."""


def _show(channel, children: dict, result: FeedImport, feed_url: str | None,
          media_base_url: str | None) -> dict[str, Any]:
    show: dict[str, Any] = {}
    report, gaps = result.channel, result.gaps

    def put(key: str, value: Any, gap: str | None = None) -> None:
        if value not in (None, "", [], {}):
            show[key] = value
        elif gap:
            gaps.append(gap)

    old_feed_url = None
    for link in children.get((ATOM, "link"), []):
        if link.get("rel") == "self" and _url(link.get("href")) and old_feed_url is None:
            old_feed_url = link.get("href").strip()
            report.drop("atom:link rel=self", "the old feed's own address; the rebuilt feed "
                        "points at feed_url (the old one is kept as previous_feed_url)")
        elif link.get("rel") == "hub":
            report.drop(f"atom:link rel=hub {link.get('href')}", "the old host's WebSub hub; "
                        "announce the new feed through your own hub or podping")
        else:
            report.verbatim.append("atom:link")
            show.setdefault("verbatim", []).append(_verbatim(link))
    put("title", _text(children, ("", "title")), "show title: not in feed")
    description = plain_text(_raw(children, ("", "description")))
    summary = plain_text(_raw(children, (ITUNES, "summary")))
    put("description", _longest(description, summary), "show description: not in feed")
    language = _text(children, ("", "language"))
    put("language", _language(language),
        f"show language: {language!r} is not a BCP 47 tag" if language
        else "show language: not in feed")
    link_el = _first(children, ("", "link"))
    put("link", _url(_resolved(link_el, _text_of(link_el), old_feed_url))
        if link_el is not None else None)
    put("author", _text(children, (ITUNES, "author")))
    put("subtitle", _text(children, (ITUNES, "subtitle")))
    put("itunes_title", _text(children, (ITUNES, "title")))
    owner = _first(children, (ITUNES, "owner"))
    if owner is not None:
        inner = _grouped(owner)
        name, email = _text(inner, (ITUNES, "name")), _text(inner, (ITUNES, "email"))
        if name and email and re.match(r"^[^@\s]+@[^@\s]+$", email):
            show["owner"] = {"name": name, "email": email}
        else:
            gaps.append("show owner: itunes:owner lacks a name or a valid email")
            report.drop("itunes:owner", "it lacks a name or a valid email")
    image = _first(children, (ITUNES, "image"))
    image_url = _url(_resolved(image, image.get("href"), old_feed_url)) \
        if image is not None else None
    rss_image = _first(children, ("", "image"))
    if not image_url and rss_image is not None:
        image_url = _url(_text(_grouped(rss_image), ("", "url")))
    put("image", {"url": image_url} if image_url else None, "show image: not in feed")
    put("categories", _categories(children))
    for name, flag in (("explicit", (ITUNES, "explicit")), ("block", (ITUNES, "block")),
                       ("complete", (ITUNES, "complete"))):
        value = _flag(_text(children, flag))
        if value is not None and (name == "explicit" or value):
            show[name] = value
    kind = (_text(children, (ITUNES, "type")) or "").lower()
    put("type", kind if kind in ("episodic", "serial") else None)
    itunes_block = show.get("block", False)
    for block in children.get((PODCAST, "block"), []):
        value = _flag(_text_of(block))
        service = (block.get("id") or "").strip()
        if value is None:
            report.drop("podcast:block", f"value {_text_of(block)!r} is not yes or no")
        elif service:
            show.setdefault("block_services", {})[service] = value
        elif value:
            show["block"] = True
    plain_block = any(_flag(_text_of(b)) and not (b.get("id") or "").strip()
                      for b in children.get((PODCAST, "block"), []))
    if show.get("block") and not itunes_block:
        report.change("itunes:block", None, "yes", "podcast:block says yes: published as "
                      "itunes:block too")
    if show.get("block") and not plain_block:
        report.change("podcast:block", None, "yes", "itunes:block says yes: published as "
                      "podcast:block too")
    guid = _text(children, (PODCAST, "guid"))
    if not guid and old_feed_url:
        bare = old_feed_url.split("://", 1)[-1].rstrip("/")
        guid = str(uuid.uuid5(PODCAST_NAMESPACE_GUID, bare))
        report.change("guid", None, guid, "no podcast:guid in the feed: derived from the old "
                      "feed URL as the namespace specifies, and kept so it does not change "
                      "with the new URL")
    put("guid", guid)
    lock = _first(children, (PODCAST, "locked"))
    if lock is None:
        report.change("podcast:locked", None, "no", "the feed has none; the rebuilt feed says "
                      "no, with the owner's email, as every segpack feed does")
    if lock is not None:
        locked = _flag(_text_of(lock))
        if locked is not None:
            show["locked"] = locked
        if (lock.get("owner") or "").strip():
            show["locked_owner"] = lock.get("owner").strip()
    license_el = _first(children, (PODCAST, "license"))
    put("license", _text_of(license_el))
    if license_el is not None:
        put("license_url", _url(license_el.get("url")))
    put("copyright", _text(children, ("", "copyright")))
    medium = (_text(children, (PODCAST, "medium")) or "").lower()
    put("medium", medium if medium in MEDIUMS else None)
    put("funding", [{"url": u, "text": _text_of(f) or ""}
                    for f in children.get((PODCAST, "funding"), [])
                    if (u := _url(f.get("url")))])
    put("locations", _locations(children))
    put("images", _images(children, old_feed_url))
    _value(children, show, report)
    put("trailers", _trailers(children, report))
    put("podroll", _podroll(children, report))

    # the move: new addresses from the command line; the old one kept for the redirect
    if old_feed_url and old_feed_url != feed_url:
        show["previous_feed_url"] = old_feed_url
    if feed_url:
        show["feed_url"] = feed_url
    else:
        result.urls_to_set.append("feed_url (the new feed's address; --feed-url)")
    if media_base_url:
        show["media_base_url"] = media_base_url
    elif not feed_url:
        result.urls_to_set.append("media_base_url (where the built folder is served; "
                                  "--media-base-url), or feed_url, whose folder is used")
    if old_feed_url is None:
        gaps.append("old feed URL: no atom:link rel=self in feed (nothing to redirect from)")

    for key, elements in children.items():
        if key in CHANNEL_KEYS or key == (ATOM, "link"):
            report.kept.extend(_name(key) for _ in elements if key != (ATOM, "link"))
        elif key in REBUILT_CHANNEL:
            if key != ("", "item"):
                report.drop(_name(key), REBUILT_CHANNEL[key])
        else:
            for el in elements:
                show.setdefault("verbatim", []).append(_verbatim(el))
                report.verbatim.append(_name(key, el))
    return show


def _raw(children: dict, key: tuple[str, str]) -> str | None:
    """An element's text with its line breaks and markup (show notes keep their paragraphs)."""
    el = _first(children, key)
    text = "".join(el.itertext()) if el is not None else ""
    return text if text.strip() else None


def _categories(children: dict) -> list[str]:
    out: list[str] = []
    for top in children.get((ITUNES, "category"), []):
        name = _decode_entities((top.get("text") or "").strip())
        if not name:
            continue
        subs = [_decode_entities((s.get("text") or "").strip())
                for s in _grouped(top).get((ITUNES, "category"), [])]
        subs = [s for s in subs if s]
        out.extend([f"{name}/{s}" for s in subs] or [name])
    return out


def _locations(children: dict) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "location"), []):
        name = _text_of(el)
        if not name:
            continue
        place: dict[str, Any] = {"name": name[:128]}
        for key in ("rel", "geo", "osm", "country"):
            if (el.get(key) or "").strip():
                place[key] = el.get(key).strip()
        if place.get("rel") not in (None, "subject", "creator"):
            place.pop("rel")
        out.append(place)
    return out


def _images(children: dict, document: str | None) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "image"), []):
        href = _url(_resolved(el, el.get("href"), document))
        if not href:
            continue
        image: dict[str, Any] = {"href": href}
        for attr, key in (("alt", "alt"), ("aspect-ratio", "aspect_ratio"), ("type", "type"),
                          ("purpose", "purpose")):
            if (el.get(attr) or "").strip():
                image[key] = el.get(attr).strip()
        for attr in ("width", "height"):
            if _int(el.get(attr)) is not None:
                image[attr] = _int(el.get(attr))
        out.append(image)
    return out


def _value(children: dict, target: dict[str, Any], report: Migration) -> None:
    """podcast:value with recipients only -> `value`; anything richer (value time splits,
    several value blocks) is kept verbatim."""
    blocks = children.get((PODCAST, "value"), [])
    simple = len(blocks) == 1 and all(
        _ns(c) == PODCAST and _local(c) == "valueRecipient" for c in blocks[0]
        if isinstance(c.tag, str))
    if not blocks:
        return
    if not simple:
        for el in blocks:
            target.setdefault("verbatim", []).append(_verbatim(el))
        report.verbatim.append("podcast:value")
        return
    el = blocks[0]
    recipients = []
    for r in el:
        if not isinstance(r.tag, str):
            continue
        recipient: dict[str, Any] = {"type": (r.get("type") or "").strip(),
                                     "address": (r.get("address") or "").strip(),
                                     "split": _number(r.get("split")) or 0}
        for attr, key in (("name", "name"), ("customKey", "custom_key"),
                          ("customValue", "custom_value")):
            if (r.get(attr) or "").strip():
                recipient[key] = r.get(attr).strip()
        if _flag(r.get("fee")):
            recipient["fee"] = True
        recipients.append(recipient)
    value: dict[str, Any] = {"type": (el.get("type") or "").strip(),
                             "method": (el.get("method") or "").strip(),
                             "recipients": recipients}
    if (el.get("suggested") or "").strip():
        value["suggested"] = el.get("suggested").strip()
    target["value"] = value


def _trailers(children: dict, report: Migration) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "trailer"), []):
        url, title = _url(el.get("url")), _text_of(el)
        if not (url and title and (el.get("pubdate") or "").strip()):
            report.drop("podcast:trailer", "it lacks a url, title or pubdate")
            continue
        trailer: dict[str, Any] = {"url": url, "title": title[:128],
                                   "published": el.get("pubdate").strip()}
        for key in ("length", "season"):
            if _int(el.get(key)) is not None:
                trailer[key] = _int(el.get(key))
        if (el.get("type") or "").strip():
            trailer["type"] = el.get("type").strip()
        out.append(trailer)
    return out


def _podroll(children: dict, report: Migration) -> list[dict[str, Any]]:
    out = []
    for roll in children.get((PODCAST, "podroll"), []):
        for el in roll:
            if not isinstance(el.tag, str):
                continue
            guid = (el.get("feedGuid") or "").strip()
            if _local(el) != "remoteItem" or not guid:
                report.drop("podcast:podroll child", "not a podcast:remoteItem with a feedGuid")
                continue
            item: dict[str, Any] = {"feed_guid": guid}
            for attr, key in (("itemGuid", "item_guid"), ("medium", "medium")):
                if (el.get(attr) or "").strip():
                    item[key] = el.get(attr).strip()
            if _url(el.get("feedUrl")):
                item["feed_url"] = el.get("feedUrl").strip()
            out.append(item)
    return out


# --- items -------------------------------------------------------------------------------------

ITEM_KEYS = {
    ("", "title"), ("", "guid"), ("", "link"), ("", "description"), (CONTENT, "encoded"),
    (ITUNES, "summary"), (ITUNES, "subtitle"), (ITUNES, "title"), ("", "enclosure"),
    ("", "pubDate"), (ITUNES, "duration"), (ITUNES, "author"), ("", "author"),
    (ITUNES, "image"), (ITUNES, "explicit"), (ITUNES, "episodeType"), (ITUNES, "season"),
    (ITUNES, "episode"), (ITUNES, "keywords"), (ITUNES, "block"), (PODCAST, "season"),
    (PODCAST, "episode"), (PODCAST, "transcript"), (PODCAST, "chapters"), (PSC, "chapters"),
    (PODCAST, "person"), (PODCAST, "soundbite"), (PODCAST, "location"),
    (PODCAST, "alternateEnclosure"), (PODCAST, "value"), (PODCAST, "license"),
    (PODCAST, "image"),
}
"""Item elements read into manifest fields; any other is kept verbatim."""


def _item(item, number: int, language: str | None,
          skipped: list[str]) -> tuple[Imported | None, Migration]:
    children = _grouped(item)
    seg = Imported()
    title = _text(children, ("", "title")) or _text(children, (ITUNES, "title"))
    label = f"item {number} {title!r}" if title else f"item {number}"
    report = Migration(label)
    if not title:
        skipped.append(f"{label}: no title; skipped (give the item a <title>)")
        return None, report
    enclosures = children.get(("", "enclosure"), [])
    url = _url(_resolved(enclosures[0], enclosures[0].get("url"), None)) if enclosures else None
    if not url:
        why = "no enclosure" if not enclosures else "enclosure without an http(s) url"
        skipped.append(f"{label}: {why}; skipped (a podcast item needs its audio)")
        return None, report
    if url != (enclosures[0].get("url") or "").strip():
        report.change("enclosure url", enclosures[0].get("url"), url, "resolved against "
                      "xml:base")
    seg.set("id", slug_for(title))
    seg.set("title", title)
    raw_title = _raw(children, ("", "title")) or ""
    if title != clean(raw_title):
        report.change("title", clean(raw_title), title, "HTML entities decoded")
    itunes_title = _text(children, (ITUNES, "title"))
    if itunes_title and itunes_title != title:
        seg.set("itunes_title", itunes_title)
    _guid(seg, children, url, label, report)
    _notes(seg, children, label, report)
    seg.set("subtitle", _text(children, (ITUNES, "subtitle")))
    _duration(seg, children, label)
    seg.set("language", language)
    enclosure = enclosures[0]
    seg.put("audio", "direct_link", url)
    seg.put("audio", "length", _int(enclosure.get("length")))
    if _int(enclosure.get("length")) is None:
        report.change("enclosure length", enclosure.get("length"), 0, "not a byte count in "
                      "the feed: the rebuilt enclosure says 0 (SEG307); add audio.length")
    kind = (enclosure.get("type") or "").strip()
    seg.put("audio", "type", kind if re.match(r"^[a-z]+/[a-zA-Z0-9.+-]+$", kind) else None)
    if "type" not in seg.fields["audio"]:
        from segment.models import AUDIO_TYPES

        guess = next((t for suffix, t in AUDIO_TYPES.items()
                      if url.lower().split("?")[0].endswith(suffix)), "audio/mpeg")
        report.change("enclosure type", kind or None, guess, "no MIME type in the feed: the "
                      "rebuilt enclosure guesses it from the URL (SEG307); add audio.type")
    alternates = _alternate_enclosures(children, enclosures[1:], report)
    seg.put("audio", "alternate_enclosures", alternates)
    link = _first(children, ("", "link"))
    seg.put("source", "url", _url(_resolved(link, _text_of(link), None))
            if link is not None else None)
    guid_el = _first(children, ("", "guid"))
    if link is None and guid_el is not None and _url(seg.fields.get("guid")) and \
            (guid_el.get("isPermaLink") or "true").strip().lower() != "false":
        seg.put("source", "url", seg.fields["guid"])
        report.change("link", None, seg.fields["guid"], "no <link>: the permalink guid is the "
                      "item's page, as feed readers take it")
    image = _first(children, (ITUNES, "image"))
    seg.put("image", "url", _url(_resolved(image, image.get("href"), None))
            if image is not None else None)
    published, problem = iso_timestamp(_text(children, ("", "pubDate")))
    seg.set("published", published,
            f"{label}: publication date: {problem or 'not in feed'}")
    if problem and _text(children, ("", "pubDate")):
        report.drop("pubDate", problem)
    author = _text(children, (ITUNES, "author"))
    seg.set("authors", [author] if author else [])
    seg.set("rss_author", _text(children, ("", "author")))
    _numbers(seg, children, report)
    kind = (_text(children, (ITUNES, "episodeType")) or "").lower()
    seg.set("episode_type", kind if kind in ("full", "trailer", "bonus") else None)
    for name, flag in (("explicit", (ITUNES, "explicit")), ("block", (ITUNES, "block"))):
        value = _flag(_text(children, flag))
        if value is not None and (name == "explicit" or value):
            seg.fields[name] = value
    keywords = [k.strip() for k in (_text(children, (ITUNES, "keywords")) or "").split(",")]
    seg.set("keywords", [k for k in keywords if k])
    seg.set("transcripts", _transcripts(children, label, seg, report))
    chapters = _first(children, (PODCAST, "chapters"))
    seg.set("chapters_url", _url(_resolved(chapters, chapters.get("url"), None))
            if chapters is not None else None)
    seg.set("persons", _persons(children))
    seg.set("chapters", _psc_chapters(children, report))
    license_el = _first(children, (PODCAST, "license"))
    seg.set("license", _text_of(license_el))
    if license_el is not None:
        seg.set("license_url", _url(license_el.get("url")))
    seg.set("soundbites", _soundbites(children, report))
    seg.set("locations", _locations(children))
    seg.set("images", _images(children, None))
    _value(children, seg.fields, report)
    for key, elements in children.items():
        if key in ITEM_KEYS:
            report.kept.extend(_name(key) for _ in elements)
        else:
            for el in elements:
                seg.fields.setdefault("verbatim", []).append(_verbatim(el))
                report.verbatim.append(_name(key, el))
    return seg, report


def _guid(seg: Imported, children: dict, url: str, label: str, report: Migration) -> None:
    """The guid as feed readers resolve it: a permalink (isPermaLink not "false") relative to
    an xml:base is resolved against it; no guid -> the enclosure URL, which apps use."""
    el = _first(children, ("", "guid"))
    guid = _text_of(el)
    if not guid:
        seg.set("guid", url)
        seg.notes.append(f"{label}: no guid; the enclosure URL is kept as guid (what apps use)")
        report.change("guid", None, url, "no guid in the feed: apps identify the episode by "
                      "its enclosure URL")
        return
    if (el.get("isPermaLink") or "true").strip().lower() != "false":
        base = _base_of(el, None)
        if base and not re.match(r"^[a-z][a-z0-9+.-]*:", guid, re.I):
            resolved = urljoin(base, guid)
            report.change("guid", guid, resolved, "a permalink relative to xml:base, resolved "
                          "as feed readers resolve it (they know the episode by that)")
            guid = resolved
    seg.set("guid", guid)


def _notes(seg: Imported, children: dict, label: str, report: Migration) -> None:
    """Show notes (content:encoded, else description) -> `notes`, sanitised HTML; the summary
    is the longest faithful plain text of description, itunes:summary and the notes."""
    content = _raw(children, (CONTENT, "encoded"))
    description = _raw(children, ("", "description"))
    summary_text = _raw(children, (ITUNES, "summary"))
    source = content or description or summary_text
    if source and not (content or description):
        report.change("description", None, plain_text(summary_text)[:200], "no description in "
                      "the feed: its itunes:summary is the notes, published as description")
    if source and not content:
        report.change("content:encoded", None, "(the notes)", "the notes are published as "
                      "content:encoded too (apps show the fuller of the two)")
    if not source:
        report.change("description", None, None, "none in the feed: the rebuilt description "
                      "is the summary or title and links to the audio")
    if source:
        notes = sanitised_notes(source)
        seg.set("notes", notes)
        removed = sorted(_tags(source) - _tags(notes))
        if removed:
            report.change("notes", None, None, "show notes sanitised: "
                          + ", ".join(f"<{t}>" for t in removed) + " removed")
        if content and description and plain_text(description) != plain_text(content):
            report.change("description", plain_text(description)[:200], None,
                          "the feed's description differs from its content:encoded: the notes "
                          "(content:encoded) are published as both; the description's text is "
                          "kept as the summary when it is the longest")
    summary = _longest(plain_text(description) if description else None,
                       plain_text(summary_text) if summary_text else None,
                       plain_text(content) if content else None)
    summary = summary.replace("\n\n", " ") if summary else None
    subtitle = _text(children, (ITUNES, "subtitle"))
    if not summary and subtitle:
        summary = subtitle
    seg.set("summary", summary, f"{label}: summary: not in feed")


def _duration(seg: Imported, children: dict, label: str) -> None:
    duration = _text(children, (ITUNES, "duration"))
    try:
        seconds = parse_duration(duration) if duration else None
    except ValueError:
        seconds = None
        seg.gaps.append(f"{label}: duration: {duration!r} is not a duration; left empty")
    if seconds:
        seg.set("duration", format_duration(seconds))
    elif duration is None:
        seg.gaps.append(f"{label}: duration: no itunes:duration in feed (published without "
                        "one unless the audio is local)")


def _numbers(seg: Imported, children: dict, report: Migration) -> None:
    """Season and episode from iTunes and Podcasting 2.0 (with name and display)."""
    season_el = _first(children, (PODCAST, "season"))
    episode_el = _first(children, (PODCAST, "episode"))
    season = _int(_text(children, (ITUNES, "season")))
    episode = _int(_text(children, (ITUNES, "episode")))
    p_season = _int(_text_of(season_el)) if season_el is not None else None
    p_episode = _number(_text_of(episode_el)) if episode_el is not None else None
    if season is None:
        season = p_season
        if season is not None:
            report.change("season", None, season, "no itunes:season: taken from podcast:season "
                          "and published as both")
    elif p_season is not None and p_season != season:
        report.change("season", p_season, season, "podcast:season differs from itunes:season; "
                      "itunes:season kept for both")
    if episode is None and p_episode is not None and p_episode == int(p_episode):
        episode = int(p_episode)
        report.change("episode", None, episode, "no itunes:episode: taken from podcast:episode "
                      "and published as both")
    elif p_episode is not None and p_episode != episode:
        report.change("episode", p_episode, episode, "podcast:episode differs from "
                      "itunes:episode (or is not whole); itunes:episode kept for both")
    seg.set("season", season)
    seg.set("episode", episode)
    for what, number, element in (("season", season, season_el), ("episode", episode,
                                                                  episode_el)):
        if number is not None and element is None:
            report.change(f"podcast:{what}", None, number, f"published beside itunes:{what} "
                          "(Podcasting 2.0 apps read it)")
    if season_el is not None:
        seg.set("season_name", clean(season_el.get("name"))[:128] or None)
    if episode_el is not None:
        seg.set("episode_display", clean(episode_el.get("display"))[:32] or None)


def _transcripts(children: dict, label: str, seg: Imported,
                 report: Migration) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "transcript"), []):
        url = _url(_resolved(el, el.get("url"), None))
        kind = (el.get("type") or "").strip()
        if not url or not re.match(r"^[a-z]+/[a-zA-Z0-9.+-]+$", kind):
            report.drop("podcast:transcript", "it lacks an http(s) url or a type")
            continue
        link: dict[str, Any] = {"url": url, "type": kind}
        language = _language(el.get("language"))
        if language:
            link["language"] = language
        if (el.get("rel") or "").strip():
            link["rel"] = el.get("rel").strip()
        out.append(link)
    if not out:
        seg.notes.append(f"{label}: transcript: none in the feed (the show notes are kept as "
                         "notes; add the transcript as the body when you have it)")
    return out


def _alternate_enclosures(children: dict, extra_enclosures: list,
                          report: Migration) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "alternateEnclosure"), []):
        kind = (el.get("type") or "").strip()
        if not re.match(r"^[a-z]+/[a-zA-Z0-9.+-]+$", kind):
            report.drop("podcast:alternateEnclosure", f"type {kind!r} is not a MIME type")
            continue
        alt: dict[str, Any] = {"type": kind}
        for attr in ("length", "height"):
            if _int(el.get(attr)) is not None:
                alt[attr] = _int(el.get(attr))
        if _number(el.get("bitrate")) is not None:
            alt["bitrate"] = _number(el.get("bitrate"))
        for attr in ("lang", "title", "rel", "codecs"):
            if (el.get(attr) or "").strip():
                alt[attr] = el.get(attr).strip()
        if _flag(el.get("default")):
            alt["default"] = True
        sources, integrity = [], None
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if _local(child) == "source" and (child.get("uri") or "").strip():
                source: dict[str, Any] = {"uri": _resolved(child, child.get("uri"), None)}
                if (child.get("contentType") or "").strip():
                    source["content_type"] = child.get("contentType").strip()
                sources.append(source)
            elif _local(child) == "integrity" and child.get("type") in ("sri", "pgp-signature") \
                    and (child.get("value") or "").strip():
                integrity = {"type": child.get("type"), "value": child.get("value").strip()}
            else:
                report.drop(f"podcast:alternateEnclosure/{_local(child)}", "not a source or "
                            "integrity with its required attributes")
        alt["sources"] = sources
        if integrity:
            alt["integrity"] = integrity
        out.append(alt)
    for el in extra_enclosures:
        url = _url(_resolved(el, el.get("url"), None))
        if not url:
            report.drop("enclosure", "an extra enclosure without an http(s) url")
            continue
        alt = {"type": (el.get("type") or "audio/mpeg").strip(), "sources": [{"uri": url}]}
        if _int(el.get("length")) is not None:
            alt["length"] = _int(el.get("length"))
        out.append(alt)
        report.change("enclosure", url, "podcast:alternateEnclosure", "RSS carries one "
                      "enclosure per item (readers take the first): this one is published as "
                      "an alternate enclosure")
    return out


def _persons(children: dict) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "person"), []):
        name = _text_of(el)
        if not name:
            continue
        person: dict[str, Any] = {"name": name}
        for key in ("role", "group"):
            if el.get(key):
                person[key] = el.get(key).strip().lower()
        for key in ("href", "img"):
            if _url(el.get(key)):
                person[key] = el.get(key).strip()
        out.append(person)
    return out


def _soundbites(children: dict, report: Migration) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "soundbite"), []):
        start, length = _number(el.get("startTime")), _number(el.get("duration"))
        if start is None or not length:
            report.drop("podcast:soundbite", "it lacks a startTime or a duration")
            continue
        bite: dict[str, Any] = {"start": start, "duration": length}
        if _text_of(el):
            bite["title"] = _text_of(el)
        out.append(bite)
    return out


def _psc_chapters(children: dict, report: Migration) -> list[dict[str, Any]]:
    """Podlove Simple Chapters given inline in the item (start, title, href, image)."""
    out = []
    block = _first(children, (PSC, "chapters"))
    for el in block if block is not None else []:
        if not isinstance(el.tag, str) or _local(el) != "chapter":
            continue
        start, title = el.get("start"), clean(el.get("title"))
        try:
            seconds = parse_duration(start) if start else None
        except ValueError:
            seconds = None
        if seconds is None or not title:
            report.drop("psc:chapter", f"start {start!r} or title {title!r} unreadable")
            continue
        chapter: dict[str, Any] = {"start": format_duration(seconds), "title": title}
        for attr, key in (("href", "url"), ("image", "image")):
            if _url(el.get(attr)):
                chapter[key] = el.get(attr).strip()
        out.append(chapter)
    return out
