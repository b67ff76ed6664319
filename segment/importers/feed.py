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

import re
import uuid
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
from segment.importers.feedxml import (
    ATOM,
    CONTENT,
    ITUNES,
    PODCAST,
    PSC,
    Migration,
    absolute_links,
    base_of,
    bcp47,
    child_text,
    decode_entities,
    element_name,
    first_child,
    flag,
    grouped,
    http_url,
    local_name,
    longest,
    namespace,
    number,
    parse_xml,
    plain_text,
    resolved,
    sanitised_notes,
    tag_names,
    text_of,
    verbatim,
    whole,
)
from segment.importers.podcast2 import (
    alternate_enclosures,
    images,
    locations,
    persons,
    podroll,
    psc_chapters,
    soundbites,
    trailers,
    transcripts,
    value_block,
)
from segment.timecode import format_duration, parse_duration

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


MAX_DURATION = 24 * 3600.0
"""What build accepts unless the show's `max-duration` says more (segment.rules.MAX_DURATION)."""


def import_feed(path: str | Path, *, feed_url: str | None = None,
                owner_email: str | None = None,
                max_duration: float = MAX_DURATION) -> FeedImport:
    """Read a feed file; raise ImportProblem when it is no RSS feed or may not be imported.

    `feed_url` is the feed's new address, if known: only to tell whether the feed's own
    (atom:link self) is an old one to keep for the redirect. `max_duration` is the longest
    duration the show's build accepts: a longer one is left out and said."""
    path = Path(path)
    return parse_feed(read_input(path, "a podcast feed"), path, feed_url=feed_url,
                      owner_email=owner_email, max_duration=max_duration)


def parse_feed(data: bytes, path: Path, *, feed_url: str | None = None,
               owner_email: str | None = None,
               max_duration: float = MAX_DURATION) -> FeedImport:
    root = parse_xml(data, path)
    if local_name(root) != "rss":
        kind = "an Atom feed" if local_name(root) == "feed" else f"<{local_name(root)}>"
        raise ImportProblem(f"is {kind}, not an RSS 2.0 podcast feed", path)
    channel = root.find("channel")
    if channel is None:
        raise ImportProblem("RSS without a <channel>: not a podcast feed", path)
    result = FeedImport()
    children = grouped(channel)
    lock_owner = _check_lock(children, path, owner_email)
    result.show = _show(channel, children, result, feed_url, lock_owner)
    document = result.show.get("previous_feed_url") or _self_url(children)
    context = ItemContext(result.show.get("language"), document, max_duration)
    seen_guids: dict[str, int] = {}
    used_ids: set[str] = set()
    for position, item in enumerate(children.get(("", "item"), []), start=1):
        result.items += 1
        segment, report = _item(item, position, context, result.skipped)
        if segment is None:
            continue
        guid = segment.fields["guid"]
        if guid in seen_guids:
            result.skipped.append(f"item {position} {segment.title!r}: guid {guid!r} repeats item "
                                  f"{seen_guids[guid]}; skipped (apps see one episode)")
            continue
        seen_guids[guid] = position
        base = segment.fields["id"]
        sid, n = base, 2
        while sid in used_ids:
            sid, n = f"{base}-{n}", n + 1
        used_ids.add(sid)
        segment.fields["id"] = sid
        segment.source = f"{path} item {position}"
        result.segments.append(segment)
        result.migrations.append(report)
    if result.items == 0:
        result.gaps.append("items: the feed has none")
    return result


# --- helpers -----------------------------------------------------------------------------------

# --- the lock ----------------------------------------------------------------------------------

def _check_lock(children: dict, path: Path, owner_email: str | None) -> str | None:
    """Refuse a locked feed unless `owner_email` is its owner's; the owner's email to record
    when the lock names none (then the email given is taken as the owner's: nobody else is
    named to check it against)."""
    lock = first_child(children, (PODCAST, "locked"))
    if lock is None or flag(text_of(lock)) is not True:
        return None
    owner = (lock.get("owner") or "").strip()
    itunes_owner = first_child(children, (ITUNES, "owner"))
    fallback = text_of(first_child(grouped(itunes_owner), (ITUNES, "email"))) \
        if itunes_owner is not None else None
    expected = owner or fallback
    given = (owner_email or "").strip()
    if given and (not expected or given.lower() == expected.lower()):
        return None if owner else given
    who = f" (owner {expected})" if expected else ""
    hint = f"--owner-email {expected}" if expected else "--owner-email YOUR_EMAIL"
    if given:
        raise ImportProblem(f"podcast:locked is yes{who} and --owner-email {given} is not "
                            "that owner: refused", path)
    raise ImportProblem(f"podcast:locked is yes{who}: its owner asks that the feed not be "
                        f"moved elsewhere; if you are the owner, import it with {hint}", path)


def _self_url(children: dict) -> str | None:
    """The feed's own address (atom:link rel=self): the base of its relative links."""
    for link in children.get((ATOM, "link"), []):
        if link.get("rel") == "self" and http_url(link.get("href")):
            return link.get("href").strip()
    return None


# --- the channel -------------------------------------------------------------------------------

CHANNEL_KEYS = {
    ("", "title"), ("", "link"), ("", "description"), ("", "language"), ("", "copyright"),
    ("", "image"), (ITUNES, "summary"), (ITUNES, "author"), (ITUNES, "owner"),
    (ITUNES, "image"), (ITUNES, "category"), (ITUNES, "explicit"), (ITUNES, "type"),
    (ITUNES, "block"), (ITUNES, "complete"), (ITUNES, "subtitle"), (ITUNES, "title"),
    (PODCAST, "guid"), (PODCAST, "locked"), (PODCAST, "block"), (PODCAST, "license"),
    (PODCAST, "medium"), (PODCAST, "funding"), (PODCAST, "location"), (PODCAST, "image"),
    (PODCAST, "value"), (PODCAST, "trailer"), (PODCAST, "podroll"), (ATOM, "link"),
}
"""Channel elements read into show.yaml fields (atom:link: each one reported on its own)."""

DEFAULT_NO = "says no, the default: the rebuilt feed leaves it out, which means the same"


def _show(channel, children: dict, result: FeedImport, feed_url: str | None,
          lock_owner: str | None) -> dict[str, Any]:
    show: dict[str, Any] = {}
    report, gaps = result.channel, result.gaps

    def put(key: str, value: Any, gap: str | None = None) -> None:
        if value not in (None, "", [], {}):
            show[key] = value
        elif gap:
            gaps.append(gap)

    old_feed_url = None
    for link in children.get((ATOM, "link"), []):
        if link.get("rel") == "self" and http_url(link.get("href")) and old_feed_url is None:
            old_feed_url = link.get("href").strip()
            report.drop("atom:link rel=self", "the old feed's own address; the rebuilt feed "
                        "points at feed_url (the old one is kept as previous_feed_url)")
        elif link.get("rel") == "hub":
            report.drop(f"atom:link rel=hub {link.get('href')}", "the old host's WebSub hub; "
                        "announce the new feed through your own hub or podping")
        else:
            report.verbatim.append("atom:link")
            show.setdefault("verbatim", []).append(verbatim(link))
    put("title", child_text(children, ("", "title")), "show title: not in feed")
    _channel_text(children, show, report, gaps, old_feed_url)
    language = child_text(children, ("", "language"))
    put("language", bcp47(language),
        f"show language: {language!r} is not a BCP 47 tag" if language
        else "show language: not in feed")
    link_el = first_child(children, ("", "link"))
    put("link", http_url(resolved(link_el, text_of(link_el), old_feed_url))
        if link_el is not None else None)
    put("author", child_text(children, (ITUNES, "author")))
    put("subtitle", _subtitle(children, report, show.get("summary"), show.get("description")))
    put("itunes_title", child_text(children, (ITUNES, "title")))
    owner = first_child(children, (ITUNES, "owner"))
    if owner is not None:
        inner = grouped(owner)
        name, email = child_text(inner, (ITUNES, "name")), child_text(inner, (ITUNES, "email"))
        if name and email and re.match(r"^[^@\s]+@[^@\s]+$", email):
            show["owner"] = {"name": name, "email": email}
        else:
            gaps.append("show owner: itunes:owner lacks a name or a valid email")
            report.drop("itunes:owner", "it lacks a name or a valid email")
    image = first_child(children, (ITUNES, "image"))
    image_url = http_url(resolved(image, image.get("href"), old_feed_url)) \
        if image is not None else None
    rss_image = first_child(children, ("", "image"))
    if not image_url and rss_image is not None:
        image_url = http_url(child_text(grouped(rss_image), ("", "url")))
    put("image", {"url": image_url} if image_url else None, "show image: not in feed")
    put("categories", _categories(children, report, gaps))
    _flags(children, show, report)
    kind = (child_text(children, (ITUNES, "type")) or "").lower()
    put("type", kind if kind in ("episodic", "serial") else None)
    if "type" not in show:
        report.change("itunes:type", kind or None, "episodic", "Apple's default for a show "
                      "without one, written out")
    guid = child_text(children, (PODCAST, "guid"))
    if not guid and old_feed_url:
        bare = old_feed_url.split("://", 1)[-1].rstrip("/")
        guid = str(uuid.uuid5(PODCAST_NAMESPACE_GUID, bare))
        report.change("guid", None, guid, "no podcast:guid in the feed: derived from the old "
                      "feed URL as the namespace specifies, and kept so it does not change "
                      "with the new URL", element="podcast:guid")
    put("guid", guid)
    _lock(children, show, report, lock_owner)
    license_el = first_child(children, (PODCAST, "license"))
    put("license", text_of(license_el))
    if license_el is not None:
        put("license_url", http_url(license_el.get("url")))
    put("copyright", child_text(children, ("", "copyright")))
    medium = (child_text(children, (PODCAST, "medium")) or "").lower()
    put("medium", medium if medium in MEDIUMS else None)
    put("funding", [{"url": u, "text": text_of(f) or ""}
                    for f in children.get((PODCAST, "funding"), [])
                    if (u := http_url(f.get("url")))])
    put("locations", locations(children))
    put("images", images(children, old_feed_url))
    value_block(children, show, report)
    put("trailers", trailers(children, report))
    put("podroll", podroll(children, report))

    # the move: the old address kept for the redirect (the new ones are the command's)
    if old_feed_url and old_feed_url != feed_url:
        show["previous_feed_url"] = old_feed_url
    if old_feed_url is None:
        gaps.append("old feed URL: no atom:link rel=self in feed (nothing to redirect from)")
    report.account(children, CHANNEL_KEYS, show, REBUILT_CHANNEL, handled=((ATOM, "link"),))
    _author_order(channel, report)
    return show


def _channel_text(children: dict, show: dict[str, Any], report: Migration, gaps: list[str],
                  document: str | None) -> None:
    """description (plain text, and its HTML when it has markup: links kept, published as
    the channel description) and itunes:summary, each kept as its own text."""
    description = _raw(children, ("", "description"))
    summary = _raw(children, (ITUNES, "summary"))
    if description:
        show["description"] = plain_text(description)
        if _has_markup(description):
            el = first_child(children, ("", "description"))
            show["description_html"] = _notes_html(description, base_of(el, document),
                                                   "description", report)
    elif summary:
        show["description"] = plain_text(summary)
        report.change("description", None, plain_text(summary)[:200], "no description in the "
                      "feed: its itunes:summary is published as the description too")
    else:
        gaps.append("show description: not in feed")
    if summary:
        show["summary"] = plain_text(summary)
        if _has_markup(summary):
            report.change("itunes:summary", None, None, "markup removed: itunes:summary is plain "
                          "text (the description keeps the HTML)")


def _flags(children: dict, show: dict[str, Any], report: Migration) -> None:
    """explicit, block (iTunes and Podcasting 2.0, per service) and complete."""
    for name, tag in (("explicit", (ITUNES, "explicit")), ("block", (ITUNES, "block")),
                      ("complete", (ITUNES, "complete"))):
        value = flag(child_text(children, tag))
        if value is not None and (name == "explicit" or value):
            show[name] = value
        elif value is False:
            report.drop(element_name(tag), DEFAULT_NO)
    if (ITUNES, "explicit") not in children:
        report.change("itunes:explicit", None, "false", "the feed has none; Apple requires it: "
                      "written out as false (set explicit: true in show.yaml if it is)")
    itunes_block = show.get("block", False)
    plain_block = False
    for block in children.get((PODCAST, "block"), []):
        value = flag(text_of(block))
        service = (block.get("id") or "").strip()
        if value is None:
            report.drop("podcast:block", f"value {text_of(block)!r} is not yes or no")
        elif service:
            show.setdefault("block_services", {})[service] = value
        elif value:
            show["block"] = plain_block = True
        else:
            report.drop("podcast:block", DEFAULT_NO)
    if show.get("block") and not itunes_block:
        report.change("itunes:block", None, "yes", "podcast:block says yes: published as "
                      "itunes:block too")
    if show.get("block") and not plain_block:
        report.change("podcast:block", None, "yes", "itunes:block says yes: published as "
                      "podcast:block too")


def _lock(children: dict, show: dict[str, Any], report: Migration,
          lock_owner: str | None) -> None:
    """podcast:locked with its owner as written; an owner the lock does not name is said."""
    lock = first_child(children, (PODCAST, "locked"))
    owner_email = (show.get("owner") or {}).get("email")
    if lock is None:
        report.change("podcast:locked", None, "no", "the feed has none; the rebuilt feed says "
                      "no, with the owner's email, as every segpack feed does")
        return
    locked = flag(text_of(lock))
    if locked is not None:
        show["locked"] = locked
    if (lock.get("owner") or "").strip():
        show["locked_owner"] = lock.get("owner").strip()
    elif lock_owner:
        show["locked_owner"] = lock_owner
        report.change("podcast:locked owner", None, lock_owner, "the lock names no owner and "
                      "the feed no owner email: the email given with --owner-email is "
                      "recorded as the lock's owner")
    elif owner_email:
        report.change("podcast:locked owner", None, owner_email, "the lock names no owner: "
                      "the rebuilt feed names the itunes:owner email, as every segpack feed "
                      "does")


DC = "http://purl.org/dc/elements/1.1/"
AUTHOR_LIKE = {("", "managingEditor"), ("", "author"), (DC, "creator")}
"""Elements readers such as feedparser take the author from, besides itunes:author: the last
one in the feed wins."""


def _author_order(parent, report: Migration) -> None:
    """The rebuilt feed puts elements kept verbatim before its iTunes ones (`feeds.
    podcastindex`); one that names an author and came after itunes:author in the feed changes
    which author those readers show: said."""
    after = False
    for child in parent:
        key = (namespace(child), local_name(child))
        if key == (ITUNES, "author"):
            after = True
        elif after and key in AUTHOR_LIKE and element_name(key, child) in report.verbatim:
            name = element_name(key, child)
            report.change(f"{name} position", None, None, "published before itunes:author (the "
                          "feed had it after): readers that take the last author they meet "
                          "(feedparser) now show itunes:author", element=name)


def _raw(children: dict, key: tuple[str, str]) -> str | None:
    """An element's text with its line breaks and markup (show notes keep their paragraphs)."""
    el = first_child(children, key)
    text = "".join(el.itertext()) if el is not None else ""
    return text if text.strip() else None


def _has_markup(text: str) -> bool:
    return bool(re.search(r"<[a-zA-Z/!]", text))


def _notes_html(markup: str, base: str | None, element: str, report: Migration) -> str:
    """HTML as the rebuilt feed publishes it: relative links resolved against the element's
    base, as feed readers resolve them, then sanitised; each change reported."""
    markup, links = absolute_links(markup, base)
    for old, new in links:
        if new:
            report.change(f"{element} link", old, new, "a relative link, resolved against "
                          "the feed's xml:base or address as feed readers resolve it (it "
                          "would point at the new host otherwise)", element=element)
        else:
            report.change(f"{element} link", old, None, "a relative link and the feed gives "
                          "no xml:base or address to resolve it against: it will point at "
                          "the new host; make it absolute", element=element)
    notes = sanitised_notes(markup)
    removed = sorted(tag_names(markup) - tag_names(notes))
    if removed:
        report.change(element, None, None, "sanitised: " + ", ".join(f"<{t}>" for t in removed)
                      + " removed")
    return notes


def _categories(children: dict, report: Migration, gaps: list[str]) -> list[str]:
    """The channel's categories as `Top/Sub`, moved to Apple's current list where the feed
    names an old one (its 2019 revision; `segment.categories.MOVED`) and said so; one with no
    current equivalent is kept and listed with what build says of it (SEG409 refuses it)."""
    from segment.categories import check_category, current_category

    out: list[str] = []
    for top in children.get((ITUNES, "category"), []):
        name = decode_entities((top.get("text") or "").strip())
        if not name:
            continue
        subs = [decode_entities((s.get("text") or "").strip())
                for s in grouped(top).get((ITUNES, "category"), [])]
        subs = [s for s in subs if s]
        out.extend([f"{name}/{s}" for s in subs] or [name])
    for index, name in enumerate(out):
        if (current := current_category(name)) is not None:
            report.change("itunes:category", name, current, "not in Apple's category list "
                          "since 2019: the current category for it")
            out[index] = current
        elif (verdict := check_category(name)) is not None:
            gaps.append(f"show category: {verdict.problem} ("
                        + ("validate warns, SEG410)" if verdict.warning else
                           "build refuses it, SEG409: pick one from Apple's list in show.yaml)"))
    if not out:
        gaps.append("show category: none in feed (build refuses the show, SEG409: Apple requires "
                    "one from its list, e.g. categories: [News/Daily News])")
    unique = list(dict.fromkeys(out))
    merged = [name for name in unique if "/" not in name
              and any(other.startswith(name + "/") for other in unique)]
    repeated = sorted({name for name in out if out.count(name) > 1} | set(merged))
    if repeated:
        report.change("itunes:category", repeated, None, "named more than once: the rebuilt "
                      "feed lists each category once, with its subcategories")
    return [name for name in unique if name not in merged]


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


@dataclass
class ItemContext:
    """What reading an item needs from the channel and the command."""

    language: str | None
    document: str | None
    """The feed's own address: the base of relative URLs outside any xml:base."""
    max_duration: float


def _item(item, position: int, context: ItemContext,
          skipped: list[str]) -> tuple[Imported | None, Migration]:
    children = grouped(item)
    seg = Imported()
    title = child_text(children, ("", "title")) or child_text(children, (ITUNES, "title"))
    label = f"item {position} {title!r}" if title else f"item {position}"
    report = Migration(label)
    if not title:
        skipped.append(f"{label}: no title; skipped (give the item a <title>)")
        return None, report
    document = context.document
    enclosures = children.get(("", "enclosure"), [])
    url = http_url(resolved(enclosures[0], enclosures[0].get("url"), document)) \
        if enclosures else None
    if not url:
        why = "no enclosure" if not enclosures else "enclosure without an http(s) url"
        skipped.append(f"{label}: {why}; skipped (a podcast item needs its audio)")
        return None, report
    if url != (enclosures[0].get("url") or "").strip():
        report.change("enclosure url", enclosures[0].get("url"), url, "resolved against "
                      "xml:base (or the feed's address) as feed readers resolve it")
    seg.set("id", slug_for(title))
    seg.set("title", title)
    raw_title = _raw(children, ("", "title")) or ""
    if title != clean(raw_title):
        report.change("title", clean(raw_title), title, "HTML entities decoded")
    itunes_title = child_text(children, (ITUNES, "title"))
    if itunes_title and itunes_title != title:
        seg.set("itunes_title", itunes_title)
    elif not itunes_title:
        report.change("itunes:title", None, title, "the feed has none: the rebuilt feed "
                      "writes the title there too (what Apple shows)")
    _guid(seg, children, url, label, report)
    _notes(seg, children, label, report, document)
    seg.set("subtitle", _subtitle(children, report, seg.fields.get("summary"),
                                  plain_text(seg.fields.get("notes"))))
    _duration(seg, children, label, report, context.max_duration)
    seg.set("language", context.language)
    enclosure = enclosures[0]
    seg.put("audio", "direct_link", url)
    seg.put("audio", "length", whole(enclosure.get("length")))
    if whole(enclosure.get("length")) is None:
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
    alternates = alternate_enclosures(children, enclosures[1:], report)
    seg.put("audio", "alternate_enclosures", alternates)
    link = first_child(children, ("", "link"))
    link_url = http_url(resolved(link, text_of(link), document)) if link is not None else None
    seg.put("source", "url", link_url)
    if link_url and link_url != text_of(link):
        report.change("link", text_of(link), link_url, "resolved against xml:base (or the "
                      "feed's address) as feed readers resolve it")
    guid_el = first_child(children, ("", "guid"))
    if link is None and guid_el is not None and http_url(seg.fields.get("guid")) and \
            (guid_el.get("isPermaLink") or "true").strip().lower() != "false":
        seg.put("source", "url", seg.fields["guid"])
        report.change("link", None, seg.fields["guid"], "no <link>: the permalink guid is the "
                      "item's page, as feed readers take it")
    image = first_child(children, (ITUNES, "image"))
    seg.put("image", "url", http_url(resolved(image, image.get("href"), document))
            if image is not None else None)
    published, problem = iso_timestamp(child_text(children, ("", "pubDate")))
    seg.set("published", published,
            f"{label}: publication date: {problem or 'not in feed'}")
    if problem and child_text(children, ("", "pubDate")):
        report.drop("pubDate", problem)
    author = child_text(children, (ITUNES, "author"))
    seg.set("authors", [author] if author else [])
    seg.set("rss_author", child_text(children, ("", "author")))
    _numbers(seg, children, report)
    kind = (child_text(children, (ITUNES, "episodeType")) or "").lower()
    seg.set("episode_type", kind if kind in ("full", "trailer", "bonus") else None)
    if "episode_type" not in seg.fields:
        report.change("itunes:episodeType", kind or None, "full", "Apple's default for an item "
                      "without one, written out")
    for name, tag in (("explicit", (ITUNES, "explicit")), ("block", (ITUNES, "block"))):
        value = flag(child_text(children, tag))
        if value is not None and (name == "explicit" or value):
            seg.fields[name] = value
        elif value is False:
            report.drop(element_name(tag), DEFAULT_NO)
    keywords = [k.strip() for k in (child_text(children, (ITUNES, "keywords")) or "").split(",")]
    seg.set("keywords", [k for k in keywords if k])
    seg.set("transcripts", transcripts(children, label, seg, report, document))
    chapters = first_child(children, (PODCAST, "chapters"))
    if chapters is not None and (chapters.get("type") or "").strip() not in (
            "", "application/json+chapters"):
        report.change("podcast:chapters type", chapters.get("type").strip(),
                      "application/json+chapters", "the type the namespace specifies for a "
                      "chapters file")
    chapters_url = http_url(resolved(chapters, chapters.get("url"), document)) \
        if chapters is not None else None
    if chapters_url and chapters_url != (chapters.get("url") or "").strip():
        report.change("podcast:chapters url", chapters.get("url"), chapters_url, "resolved "
                      "against xml:base (or the feed's address) as feed readers resolve it")
    seg.set("chapters_url", chapters_url)
    seg.set("persons", persons(children))
    seg.set("chapters", psc_chapters(children, report))
    license_el = first_child(children, (PODCAST, "license"))
    seg.set("license", text_of(license_el))
    if license_el is not None:
        seg.set("license_url", http_url(license_el.get("url")))
    seg.set("soundbites", soundbites(children, report))
    seg.set("locations", locations(children))
    seg.set("images", images(children, document))
    value_block(children, seg.fields, report)
    report.account(children, ITEM_KEYS, seg.fields)
    _author_order(item, report)
    return seg, report


def _guid(seg: Imported, children: dict, url: str, label: str, report: Migration) -> None:
    """The guid as feed readers resolve it: a permalink (isPermaLink not "false") relative to
    an xml:base is resolved against it; no guid -> the enclosure URL, which apps use."""
    el = first_child(children, ("", "guid"))
    guid = text_of(el)
    if not guid:
        seg.set("guid", url)
        seg.notes.append(f"{label}: no guid; the enclosure URL is kept as guid (what apps use)")
        report.change("guid", None, url, "no guid in the feed: apps identify the episode by "
                      "its enclosure URL")
        return
    if (el.get("isPermaLink") or "true").strip().lower() != "false":
        base = base_of(el, None)
        if base and not re.match(r"^[a-z][a-z0-9+.-]*:", guid, re.I):
            resolved = urljoin(base, guid)
            report.change("guid", guid, resolved, "a permalink relative to xml:base, resolved "
                          "as feed readers resolve it (they know the episode by that)")
            guid = resolved
        report.change("guid isPermaLink", el.get("isPermaLink") or "true (the default)",
                      "false", "the rebuilt feed marks every guid as not a permalink: apps "
                      "know the episode by the same text; the page is the item's <link>")
    seg.set("guid", guid)


def _notes(seg: Imported, children: dict, label: str, report: Migration,
           document: str | None) -> None:
    """Show notes (content:encoded, else description) -> `notes`, sanitised HTML with its
    links made absolute; `summary` -> itunes:summary (`_summary`)."""
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
        key = (CONTENT, "encoded") if content else ("", "description") if description \
            else (ITUNES, "summary")
        el = first_child(children, key)
        seg.set("notes", _notes_html(source, base_of(el, document), element_name(key),
                                     report))
        if content and description and plain_text(description) != plain_text(content):
            report.change("description", plain_text(description)[:200], None,
                          "the feed's description differs from its content:encoded: the notes "
                          "(content:encoded) are published as both")
    seg.set("summary", _summary(children, description, summary_text, content, report),
            f"{label}: summary: not in feed")


def _subtitle(children: dict, report: Migration, *fuller: str | None) -> str | None:
    """itunes:subtitle, cut at a word (with an ellipsis) to the 255 characters it may hold
    (SEG508; hosts republish whole descriptions there), and said so. `fuller` are the texts
    published beside it (summary, description) the report names as keeping the whole."""
    from segment.rules import MAX_SUBTITLE

    text = child_text(children, (ITUNES, "subtitle"))
    if not text or len(text) <= MAX_SUBTITLE:
        return text
    cut = text[:MAX_SUBTITLE]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    short = (cut[:space] if space > MAX_SUBTITLE // 2 else cut[:-1]).rstrip(" ,;:-–—") + "…"
    words = " ".join(text.split())
    kept = "the summary or description holds the whole text" if any(
        words in " ".join((other or "").split()) for other in fuller) else \
        "the whole text is not published elsewhere: add it to the summary if it should be"
    report.change("itunes:subtitle", f"{len(text)} characters", short, "itunes:subtitle "
                  f"holds at most {MAX_SUBTITLE} (Apple; the W3C feed validator refuses more, "
                  f"SEG508): cut at a word; {kept}")
    return short


def _summary(children: dict, description: str | None, summary_text: str | None,
             content: str | None, report: Migration) -> str | None:
    """The item's itunes:summary: its own text as written (plain text); when it is only the
    start of the description or notes (hosts cut it short), or missing, the longest of them."""
    texts = [plain_text(t).replace("\n\n", " ") for t in (description, content) if t]
    full = longest(*texts)
    own = plain_text(summary_text).replace("\n\n", " ") if summary_text else None
    if own:
        if _has_markup(summary_text or ""):
            report.change("itunes:summary", None, None, "markup removed: itunes:summary is "
                          "plain text (the notes keep the HTML)")
        if full and len(full) > len(own) and _is_start_of(own, full):
            report.change("itunes:summary", own[:200], full[:200], "it was the start of the "
                          "description, cut short: the whole text is published")
            return full
        return own
    subtitle = child_text(children, (ITUNES, "subtitle"))
    found = full or subtitle
    if found:
        report.change("itunes:summary", None, found[:200], "the feed has none: the summary "
                      "(its longest text) is published there")
    return found


def _is_start_of(short: str, text: str) -> bool:
    """Whether `short` is `text` cut short (white space, quotes and an ellipsis aside)."""
    def words(value: str) -> str:
        value = re.sub(r"\s*(?:…|\.\.\.|\[…\]|\[\.\.\.\])\s*$", "", value)
        return " ".join(value.replace("’", "'").split())

    return words(text).startswith(words(short))


def _duration(seg: Imported, children: dict, label: str, report: Migration,
              max_duration: float) -> None:
    """itunes:duration in any form readers take (H:MM:SS, M:SS, seconds, and MM:SS past 59
    minutes, which is normalised); longer than the build accepts: left out and said."""
    duration = child_text(children, (ITUNES, "duration"))
    seconds = None
    if duration:
        try:
            seconds = parse_duration(duration)
        except ValueError:
            long_minutes = re.match(r"^(\d+):([0-5]\d(?:\.\d+)?)$", duration)
            if long_minutes:
                seconds = int(long_minutes.group(1)) * 60 + float(long_minutes.group(2))
                report.change("itunes:duration", duration, format_duration(seconds),
                              "minutes past 59 written as hours and minutes (the same length, "
                              "as readers take it)")
            else:
                seg.gaps.append(f"{label}: duration: {duration!r} is not a duration; left "
                                "empty")
                report.drop("itunes:duration", f"{duration!r} is not a duration")
    if seconds and seconds > max_duration:
        seg.gaps.append(f"{label}: duration: {format_duration(seconds)} is longer than "
                        f"{format_duration(max_duration)} (max-duration); left empty")
        report.drop("itunes:duration", f"{format_duration(seconds)} is longer than the "
                    f"{format_duration(max_duration)} a build accepts: published without one; "
                    "raise max-duration in [tool.segpack] and import again to keep it")
    elif seconds:
        seg.set("duration", format_duration(seconds))
    elif duration is None:
        seg.gaps.append(f"{label}: duration: no itunes:duration in feed (published without "
                        "one unless the audio is local)")


def _numbers(seg: Imported, children: dict, report: Migration) -> None:
    """Season and episode from iTunes and Podcasting 2.0 (with name and display)."""
    season_el = first_child(children, (PODCAST, "season"))
    episode_el = first_child(children, (PODCAST, "episode"))
    season = whole(child_text(children, (ITUNES, "season")))
    episode = whole(child_text(children, (ITUNES, "episode")))
    p_season = whole(text_of(season_el)) if season_el is not None else None
    p_episode = number(text_of(episode_el)) if episode_el is not None else None
    if season is None:
        season = p_season
        if season is not None:
            report.change("season", None, season, "no itunes:season: taken from podcast:season "
                          "and published as both", element="itunes:season")
    elif p_season is not None and p_season != season:
        report.change("season", p_season, season, "podcast:season differs from itunes:season; "
                      "itunes:season kept for both", element="podcast:season")
    if episode is None and p_episode is not None and p_episode == int(p_episode):
        episode = int(p_episode)
        report.change("episode", None, episode, "no itunes:episode: taken from podcast:episode "
                      "and published as both", element="itunes:episode")
    elif p_episode is not None and p_episode != episode:
        report.change("episode", p_episode, episode, "podcast:episode differs from "
                      "itunes:episode (or is not whole); itunes:episode kept for both",
                      element="podcast:episode")
    seg.set("season", season)
    seg.set("episode", episode)
    for what, value, element in (("season", season, season_el), ("episode", episode,
                                                                 episode_el)):
        if value is not None and element is None:
            report.change(f"podcast:{what}", None, value, f"published beside itunes:{what} "
                          "(Podcasting 2.0 apps read it)")
    if season_el is not None:
        seg.set("season_name", clean(season_el.get("name"))[:128] or None)
    if episode_el is not None:
        seg.set("episode_display", clean(episode_el.get("display"))[:32] or None)


