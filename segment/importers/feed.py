"""An existing podcast feed (RSS 2.0 + iTunes + Podcasting 2.0) -> show data + one segment per item.

Migration must not make subscribers see duplicates, so each item's guid is kept as the segment's
`guid`, and the enclosure (URL, length, type) becomes `audio.direct_link/length/type`.

Parsed with lxml with entity expansion, DTD loading and network access off; a feed that declares
entities (`<!ENTITY`, e.g. "billion laughs" or an external file) is refused before parsing:
podcast feeds never need them.

Items are skipped, each with a one-line reason, when they cannot become a segment:
no enclosure (nothing to play), no title, or a guid already used by an earlier item (apps would
treat both as one episode; the first is kept). An item without a guid gets its enclosure URL as
guid, which is what podcast apps use to identify such an episode, so subscribers still see no
duplicates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
PODCAST = ("https://podcastindex.org/namespace/1.0",
           "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md")
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"

MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog"}
TRANSCRIPT_PREFERENCE = ("text/vtt", "application/x-subrip", "application/srt", "text/srt",
                         "application/json", "text/html", "text/plain")


@dataclass
class FeedImport:
    """A whole feed: show.yaml data, the segments, and what was skipped or missing."""

    show: dict[str, Any] = field(default_factory=dict)
    segments: list[Imported] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    items: int = 0


def import_feed(path: str | Path) -> FeedImport:
    """Read a feed file; raise ImportProblem when it is no RSS feed at all."""
    path = Path(path)
    return parse_feed(read_input(path, "a podcast feed"), path)


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


def parse_feed(data: bytes, path: Path) -> FeedImport:
    root = parse_xml(data, path)
    if _local(root) != "rss":
        kind = "an Atom feed" if _local(root) == "feed" else f"<{_local(root)}>"
        raise ImportProblem(f"is {kind}, not an RSS 2.0 podcast feed", path)
    channel = root.find("channel")
    if channel is None:
        raise ImportProblem("RSS without a <channel>: not a podcast feed", path)
    result = FeedImport()
    result.show = _show(channel, result.gaps)
    language = result.show.get("language")
    seen_guids: dict[str, int] = {}
    used_ids: set[str] = set()
    for number, item in enumerate(channel.iter("item"), start=1):
        result.items += 1
        segment = _item(item, number, language, result.skipped)
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
    if result.items == 0:
        result.gaps.append("items: the feed has none")
    return result


# --- helpers -----------------------------------------------------------------------------------

def _local(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _ns(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(el, namespaces: str | tuple[str, ...], name: str) -> list:
    spaces = (namespaces,) if isinstance(namespaces, str) else namespaces
    return [c for c in el if _local(c) == name and _ns(c) in spaces]


def _child(el, namespaces: str | tuple[str, ...], name: str):
    found = _children(el, namespaces, name)
    return found[0] if found else None


def _text(el, namespaces: str | tuple[str, ...], name: str) -> str | None:
    child = _child(el, namespaces, name)
    if child is None:
        return None
    return clean("".join(child.itertext())) or None


def _raw(el, namespaces: str | tuple[str, ...], name: str) -> str | None:
    """An element's text with its line breaks (show notes keep their paragraphs)."""
    child = _child(el, namespaces, name)
    text = "".join(child.itertext()) if child is not None else ""
    return text if text.strip() else None


def _url(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if re.match(r"^https?://\S+$", value) else None


def plain_text(markup: str | None) -> str:
    """Show notes as text: HTML paragraphs and line breaks become blank lines."""
    if not markup or not markup.strip():
        return ""
    if not re.search(r"<[a-zA-Z/!]", markup):
        return "\n\n".join(clean(p) for p in re.split(r"\n\s*\n", markup) if clean(p))
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # lxml raises several types for broken fragments; text is still useful
        return clean(re.sub(r"<[^>]+>", " ", markup))
    for el in root.iter("br", "p", "li", "div", "h1", "h2", "h3", "h4", "tr"):
        el.tail = "\n\n" + (el.tail or "")
    text = root.text_content()
    return "\n\n".join(clean(p) for p in re.split(r"\n\s*\n", text) if clean(p))


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


def _language(value: str | None) -> str | None:
    import langcodes

    tag = (value or "").strip()
    return tag if tag and langcodes.tag_is_valid(tag) else None


def _categories(channel) -> list[str]:
    out: list[str] = []
    for top in _children(channel, ITUNES, "category"):
        name = (top.get("text") or "").strip()
        if not name:
            continue
        subs = [(s.get("text") or "").strip() for s in _children(top, ITUNES, "category")]
        subs = [s for s in subs if s]
        out.extend([f"{name}/{s}" for s in subs] or [name])
    return out


def _show(channel, gaps: list[str]) -> dict[str, Any]:
    show: dict[str, Any] = {}

    def put(key: str, value: Any, gap: str | None = None) -> None:
        if value not in (None, "", [], {}):
            show[key] = value
        elif gap:
            gaps.append(gap)

    put("title", _text(channel, "", "title"), "show title: not in feed")
    description = (plain_text(_text(channel, "", "description"))
                   or plain_text(_text(channel, ITUNES, "summary")))
    put("description", description, "show description: not in feed")
    language = _text(channel, "", "language")
    put("language", _language(language),
        f"show language: {language!r} is not a BCP 47 tag" if language
        else "show language: not in feed")
    put("link", _url(_text(channel, "", "link")))
    put("author", _text(channel, ITUNES, "author"))
    owner = _child(channel, ITUNES, "owner")
    if owner is not None:
        name, email = _text(owner, ITUNES, "name"), _text(owner, ITUNES, "email")
        if name and email and re.match(r"^[^@\s]+@[^@\s]+$", email):
            show["owner"] = {"name": name, "email": email}
        else:
            gaps.append("show owner: itunes:owner lacks a name or a valid email")
    image = _child(channel, ITUNES, "image")
    image_url = _url(image.get("href")) if image is not None else None
    if not image_url and channel.find("image") is not None:
        image_url = _url(_text(channel.find("image"), "", "url"))
    put("image", {"url": image_url} if image_url else None, "show image: not in feed")
    put("categories", _categories(channel))
    explicit = _flag(_text(channel, ITUNES, "explicit"))
    if explicit is not None:
        show["explicit"] = explicit
    kind = (_text(channel, ITUNES, "type") or "").lower()
    put("type", kind if kind in ("episodic", "serial") else None)
    for link in _children(channel, ATOM, "link"):
        if link.get("rel") == "self" and _url(link.get("href")):
            show["feed_url"] = link.get("href").strip()
            break
    else:
        gaps.append("feed URL: no atom:link rel=self in feed")
    put("guid", _text(channel, PODCAST, "guid"))
    locked = _flag(_text(channel, PODCAST, "locked"))
    if locked is not None:
        show["locked"] = locked
    put("license", _text(channel, PODCAST, "license"))
    put("copyright", _text(channel, "", "copyright"))
    medium = (_text(channel, PODCAST, "medium") or "").lower()
    put("medium", medium if medium in MEDIUMS else None)
    return show


def _item(item, number: int, language: str | None, skipped: list[str]) -> Imported | None:
    seg = Imported()
    title = _text(item, "", "title") or _text(item, ITUNES, "title")
    label = f"item {number} {title!r}" if title else f"item {number}"
    if not title:
        skipped.append(f"{label}: no title; skipped (give the item a <title>)")
        return None
    enclosures = item.findall("enclosure")
    url = _url(enclosures[0].get("url")) if enclosures else None
    if not url:
        why = "no enclosure" if not enclosures else "enclosure without an http(s) url"
        skipped.append(f"{label}: {why}; skipped (a podcast item needs its audio)")
        return None
    guid = _text(item, "", "guid")
    if not guid:
        guid = url
        seg.notes.append(f"{label}: no guid; the enclosure URL is kept as guid (what apps use)")
    seg.set("id", slug_for(title))
    seg.set("title", title)
    seg.set("guid", guid)
    notes_html = (_raw(item, CONTENT, "encoded") or _raw(item, "", "description")
                  or _raw(item, ITUNES, "summary"))
    summary = (_text(item, ITUNES, "subtitle") or _text(item, ITUNES, "summary")
               or clean(plain_text(_text(item, "", "description"))))
    seg.set("summary", summary, f"{label}: summary: not in feed")
    duration = _text(item, ITUNES, "duration")
    try:
        seconds = parse_duration(duration) if duration else None
    except ValueError:
        seconds = None
        seg.gaps.append(f"{label}: duration: {duration!r} is not a duration; left empty")
    if seconds:
        seg.set("duration", format_duration(seconds))
    elif duration is None:
        seg.gaps.append(f"{label}: duration: no itunes:duration in feed")
    seg.set("language", language)
    enclosure = enclosures[0]
    seg.put("audio", "direct_link", url)
    length = _int(enclosure.get("length"))
    seg.put("audio", "length", length)
    kind = (enclosure.get("type") or "").strip()
    seg.put("audio", "type", kind if re.match(r"^[a-z]+/[a-zA-Z0-9.+-]+$", kind) else None)
    if len(enclosures) > 1:
        others = [_url(e.get("url")) for e in enclosures[1:]]
        seg.put("audio", "alternates", [u for u in others if u and u != url])
    seg.put("source", "url", _url(_text(item, "", "link")))
    image = _child(item, ITUNES, "image")
    seg.put("image", "url", _url(image.get("href")) if image is not None else None)
    published, problem = iso_timestamp(_text(item, "", "pubDate"))
    seg.set("published", published,
            f"{label}: publication date: {problem or 'not in feed'}")
    author = _text(item, ITUNES, "author")
    seg.set("authors", [author] if author else [])
    seg.set("season", _int(_text(item, ITUNES, "season")))
    seg.set("episode", _int(_text(item, ITUNES, "episode")))
    kind = (_text(item, ITUNES, "episodeType") or "").lower()
    seg.set("episode_type", kind if kind in ("full", "trailer", "bonus") else None)
    explicit = _flag(_text(item, ITUNES, "explicit"))
    if explicit is not None:
        seg.fields["explicit"] = explicit
    keywords = [k.strip() for k in (_text(item, ITUNES, "keywords") or "").split(",")]
    seg.set("keywords", [k for k in keywords if k])
    transcripts = [(t.get("type") or "", _url(t.get("url")))
                   for t in _children(item, PODCAST, "transcript")]
    transcripts = [t for t in transcripts if t[1]]
    if transcripts:
        transcripts.sort(key=lambda t: TRANSCRIPT_PREFERENCE.index(t[0])
                         if t[0] in TRANSCRIPT_PREFERENCE else len(TRANSCRIPT_PREFERENCE))
        seg.set("transcript_url", transcripts[0][1])
    chapters = _child(item, PODCAST, "chapters")
    seg.set("chapters_url", _url(chapters.get("url")) if chapters is not None else None)
    seg.set("persons", _persons(item))
    seg.set("chapters", _psc_chapters(item))
    seg.set("license", _text(item, PODCAST, "license"))
    seg.body = plain_text(notes_html)
    if seg.body:
        seg.notes.append(f"{label}: transcript: the feed carries none; the body holds the show "
                         "notes (replace them with the transcript)")
    else:
        seg.gaps.append(f"{label}: transcript: not in feed (no description either)")
    return seg


def _persons(item) -> list[dict[str, Any]]:
    out = []
    for el in _children(item, PODCAST, "person"):
        name = clean("".join(el.itertext()))
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


def _psc_chapters(item) -> list[dict[str, Any]]:
    """Podlove Simple Chapters given inline in the item (start, title, href)."""
    out = []
    block = _child(item, PSC, "chapters")
    for el in _children(block, PSC, "chapter") if block is not None else []:
        start, title = el.get("start"), clean(el.get("title"))
        try:
            seconds = parse_duration(start) if start else None
        except ValueError:
            continue
        if seconds is None or not title:
            continue
        chapter: dict[str, Any] = {"start": format_duration(seconds), "title": title}
        if _url(el.get("href")):
            chapter["url"] = el.get("href").strip()
        out.append(chapter)
    return out
