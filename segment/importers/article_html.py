"""Saved HTML article pages -> one segment.

Main text, title, authors and description come from `trafilatura` (a maintained article
extractor: it finds the article however the CMS dresses the page, e.g. Pangea's `<body>` classes
such as `nav-no-loaded`). What is newsroom-specific stays here, recognised by STRUCTURE and LINK
TARGETS (Pangea labels are translated into dozens of languages):

- the player: the element around an `<audio>` or an audio link whose class says player; its
  clock reads elapsed, duration, remaining ("0:00 0:04:12 0:00", often as adjacent `<span>`s).
  Only text nodes that are a bare clock count, so a dateline's time of day ("May 14, 2024
  09:30 AM") never becomes the duration, and an element classed `duration` counts only inside
  a player (a related video's `media-block__duration` is that video's); when the player shows
  no clear duration it is left empty and said so;
- the direct link: only audio inside the article's players counts (a header's "Listen live"
  stream never does). The download menu's own link (Pangea's "Direct link" handler, heading
  the `?download=1` list) wins, then the player's link to the file; the menu's `?download=1`
  renditions and other bitrates are alternates;
- the player's furniture repeated in the text (Learning English's `<p class="ta-c">` "No media
  source currently available" below the player), a short label opening with an empty icon
  element, and rules drawn with characters (`<p>_____</p>`) are not transcript;
- a body written as text runs between `<br><br>` is read as those paragraphs;
- the image: image and caption are taken from the same figure; og:image is used when it is
  that photo (in another size) or when no figure has a caption;
- a dateline written as a `<span>` before the first paragraph belongs to that paragraph;
- the publication date with its time and zone (trafilatura keeps the day only).

Two things trafilatura would lose are guarded: it drops format characters (U+200C ZERO WIDTH
NON-JOINER is spelling in Persian, Pashto, Urdu...), so they are masked before it runs and put
back after; and the player, download menu and figures are taken out of its way, since their
text ("0:00 0:02:10 0:00", "No media source currently available") is not transcript.

Parsing: the bytes are decoded here (BOM, then a declared charset only when it is a web text
encoding, else UTF-8 or windows-1252 as browsers do), then lxml.html parses text with network
access off. An element with more attributes than `MAX_ATTRIBUTES` is refused before parsing:
libxml2 checks each new attribute against all earlier ones, so 100k attributes took minutes.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from segment.importers.common import Imported, ImportProblem, clean, iso_timestamp, slug_for
from segment.models import AUDIO_TYPES
from segment.timecode import format_duration, parse_duration

AUDIO_HOSTS = ("av.voanews.com", "voa-audio.voanews.eu", "voa-audio.voanews.com")
"""Pangea audio hosts (older and newer); links there are audio even without a file suffix."""

CLOCK = re.compile(r"^[\s·|/-]*(\d{1,2}:\d{2}(?::\d{2})?)[\s·|/]*$")
"""A text node that is a bare player clock ("0:04:12", "· 3:41"), nothing else around it."""
PLAYER_LINE = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?(?:\s+\d{1,2}:\d{2}(?::\d{2})?){1,2}$")
BITRATE = re.compile(r"(\d{2,4})\s*(?:kbps|kb/s|kbit|k\b)", re.I)
PLAYER_CLASS = re.compile(r"(?:^|[\s_-])(c-mmp|mmp|player|media-player|audio-player|"
                          r"media-download|jp-audio)(?:$|[\s_-])", re.I)
"""Class tokens of a player or its download menu (CMS code, not translated text)."""
DATELINE_CLASS = re.compile(r"dateline", re.I)
DATELINE_END = re.compile(r"[—–―-]\s*$")
ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting",
                 "analysisnewsarticle", "opinionnewsarticle", "backgroundnewsarticle",
                 "webpage", "audioobject", "podcastepisode", "report"}
CHARSET_META = re.compile(r"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
WEB_ENCODINGS = {
    "utf-8", "cp866", "koi8-r", "koi8-u", "mac-roman", "tis-620", "gbk", "gb18030", "big5",
    "euc_jp", "iso2022_jp", "shift_jis", "euc_kr",
    *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 15, 16)),
    *(f"cp{n}" for n in range(1250, 1259)),
}
"""Python codecs for the WHATWG Encoding Standard's encodings: the only ones a page may declare.
EBCDIC (cp037), rot13, base64, UTF-7 and the like are ignored, as browsers ignore them."""
AS_BROWSERS_READ = {"ascii": "cp1252", "iso8859-1": "cp1252", "iso8859-9": "cp1254",
                    "gb2312": "gbk", "utf-16": "utf-8", "utf-16-le": "utf-8",
                    "utf-16-be": "utf-8"}
"""Labels the Encoding Standard reads as another encoding (latin-1 is windows-1252, ...)."""

MAX_ATTRIBUTES = 1000
"""Attributes in one element: real pages use a few dozen."""
ATTRIBUTE_BUDGET = 20_000_000
"""Sum over elements of (attributes)^2: libxml2 compares each new attribute with every earlier
one of its element, so this bounds its work (~0.5 s) whatever the page's size."""
_ATTRIBUTE = r"""(?:(?:\s+|(?<=["']))(?:[^\s>"'=/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?|/))"""
_MANY = 16
MAX_ELEMENTS = 100_000
"""Elements in a page: a long article has a few thousand. trafilatura's work grows with the
element count (about 10 s at this limit on this machine), so larger pages are refused."""
_MANY_ATTRIBUTES = re.compile(r"<[A-Za-z][^\s/>]*" + _ATTRIBUTE + "{" + str(_MANY + 1) + "}")
_ONE_ATTRIBUTE = re.compile(_ATTRIBUTE)

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters no XML or HTML text can hold: dropped while decoding (never content)."""
_FORMAT_CHARS = re.compile("[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                           "\u2066-\u2069\ufeff]")
_MASK = re.compile("\ufffc([0-9a-f]{4})\ufffc")
"""Format characters masked as U+FFFC hex U+FFFC, which trafilatura keeps (it is printable)."""


# --- decoding and parsing ----------------------------------------------------------------------

def declared_charset(data: bytes) -> str | None:
    """The web encoding a page declares (BOM, then <meta charset> / http-equiv), as a Python
    codec name, or None when it declares none or one browsers would not use."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return "utf-16-be"
    match = CHARSET_META.search(data[:8192].decode("ascii", "replace"))
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1)).name
    except LookupError:
        return None
    name = AS_BROWSERS_READ.get(name, name)
    return name if name in WEB_ENCODINGS else None


def decode_html(data: bytes, notes: list[str]) -> tuple[str, str]:
    """(text, codec): the declared web encoding, else UTF-8, else windows-1252."""
    charset = declared_charset(data)
    if charset is None:
        match = CHARSET_META.search(data[:8192].decode("ascii", "replace"))
        if match:
            notes.append(f"charset: the page declares {match.group(1)!r}, not a web text "
                         "encoding; read as UTF-8 or windows-1252 as browsers do")
        try:
            return _NOT_XML.sub("", data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            charset = "cp1252"
    text = data.decode(charset, errors="replace")
    if "\ufffd" in text and "\ufffd".encode(charset, "ignore") not in data:
        notes.append(f"charset: bytes that are not {charset} were replaced by U+FFFD")
    return _NOT_XML.sub("", text), charset


def parse_tree(data: bytes, path: Path, notes: list[str] | None = None):
    """(lxml root, codec) of an HTML page; refuses elements with absurd attribute counts."""
    import lxml.html
    from lxml import etree

    text, charset = decode_html(data, notes if notes is not None else [])
    check_attributes(text, path)
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True,
                                  huge_tree=False, default_doctype=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ImportProblem(f"not an HTML page lxml can read: {exc}", path) from None
    if text.count("<") > MAX_ELEMENTS:
        count = sum(1 for _ in root.iter())
        if count > MAX_ELEMENTS:
            raise ImportProblem(f"has {count:,} elements; an article page has a few thousand "
                                f"(the limit is {MAX_ELEMENTS:,}): refused", path)
    return root, charset


def check_attributes(text: str, path: Path) -> None:
    """Refuse pages whose attribute counts would make libxml2 take minutes (linear scan:
    one regex pass; elements with more than 16 attributes are then counted one by one)."""
    cost = 0
    for match in _MANY_ATTRIBUTES.finditer(text):
        pos, count = match.end(), _MANY + 1
        while count <= MAX_ATTRIBUTES and (more := _ONE_ATTRIBUTE.match(text, pos)):
            pos, count = more.end(), count + 1
        cost += count * count
        if count > MAX_ATTRIBUTES or cost > ATTRIBUTE_BUDGET:
            line = text.count("\n", 0, match.start()) + 1
            what = (f"an element on line {line} has more than {MAX_ATTRIBUTES:,} attributes"
                    if count > MAX_ATTRIBUTES else
                    f"its elements carry too many attributes (from line {line} on)")
            raise ImportProblem(f"{what}; real article pages have a few dozen per element: "
                                "refused", path)


# --- the page ----------------------------------------------------------------------------------

def parse_html(data: bytes, path: Path) -> Imported:
    """A saved HTML page: metadata, the newsroom parts, then the main text."""
    result = Imported(source=str(path))
    root, _ = parse_tree(data, path, result.notes)
    for el in [e for e in root.iter("script", "style", "noscript", "template")
               if e.getparent() is not None and e.get("type") != "application/ld+json"]:
        el.drop_tree()
    meta, ld = _metas(root), _json_ld(root)
    canonical = _first_url(_attr(root, "//link[@rel='canonical']/@href"), meta.get("og:url"),
                           _ld_text(ld.get("url")), _ld_id(ld.get("mainEntityOfPage")))
    base = canonical or _first_url(_attr(root, "//base/@href"))

    title = clean(meta.get("og:title") or _ld_text(ld.get("headline"))
                  or _text(root.find(".//h1")) or _text(root.find(".//title")))
    if not title:
        raise ImportProblem("not an article: no title (no <h1>, og:title, JSON-LD headline or "
                            "<title>)", path)
    result.set("id", slug_for(title))
    result.set("title", title)
    summary = clean(meta.get("og:description") or meta.get("description")
                    or _ld_text(ld.get("description")))
    result.set("language", _language(root, meta, ld))

    players = _players(root, base)
    chosen = _audio(result, root, base, players)
    _duration(result, ld, _chosen_first(players, chosen, base), root)
    result.put("source", "url", canonical, "source URL: not in page (no canonical link)")
    publisher = clean(meta.get("og:site_name") or _ld_name(ld.get("publisher"))
                      or meta.get("publisher"))
    result.put("source", "publisher", publisher)
    figures = _figures(root, base)
    caption = _image(result, meta, ld, figures, base)
    published, problem = iso_timestamp(
        meta.get("article:published_time") or _ld_text(ld.get("datePublished"))
        or _attr(root, "//time[@datetime]/@datetime") or meta.get("date")
        or meta.get("dc.date.issued") or meta.get("pubdate"))
    if published:
        result.set("published", published)
    else:
        result.gaps.append(f"publication date: {problem}; left empty" if problem
                           else "publication date: not in page")

    _join_datelines(root)
    _paragraphs_from_breaks(root)
    labels = _player_labels(players)
    _drop_icon_labels(root)
    for el in players + [f.element for f in figures]:
        if el.getparent() is not None:
            el.drop_tree()
    extracted = _main_text(root, canonical)
    summary = summary or clean(extracted.get("description"))
    result.set("summary", summary, "summary: not in page")
    authors = _authors(meta, ld, publisher) or _split_authors(extracted.get("author"),
                                                              publisher)
    result.set("authors", authors, "authors: not in page")
    paragraphs = [p for p in extracted["paragraphs"]
                  if p not in (title, caption) and p not in labels]
    result.body = "\n\n".join(paragraphs)
    if not paragraphs:
        result.gaps.append("transcript: no body paragraphs in page")
    return result


def _main_text(root, url: str | None) -> dict[str, Any]:
    """trafilatura's main text (paragraphs, author, description), format characters kept."""
    import trafilatura

    masked = False
    for el in root.iter():
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and _FORMAT_CHARS.search(value):
                setattr(el, attr, _FORMAT_CHARS.sub(
                    lambda m: f"\ufffc{ord(m.group()):04x}\ufffc", value))
                masked = True
    found = trafilatura.bare_extraction(
        root, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, include_formatting=False, deduplicate=False,
        output_format="python")
    data: dict[str, Any] = {}
    if found is not None:
        data = found if isinstance(found, dict) else found.as_dict()

    def unmask(value: Any) -> Any:
        if masked and isinstance(value, str):
            return _MASK.sub(lambda m: chr(int(m.group(1), 16)), value)
        return value

    lines = [clean(unmask(line)) for line in (data.get("text") or "").split("\n")]
    return {"paragraphs": [line for line in lines if is_text_line(line)],
            "author": unmask(data.get("author")), "description": unmask(data.get("description"))}


# --- newsroom parts ----------------------------------------------------------------------------

def is_text_line(line: str) -> bool:
    """A line that can be transcript: not empty, not a player clock ("0:00 0:04:12 0:00"), not
    a rule drawn with characters (Learning English's "_____" between story and glossary):
    a line with no letter or digit is layout, never something read aloud."""
    return bool(line) and not PLAYER_LINE.match(line) and _WORD.search(line) is not None


_WORD = re.compile(r"[^\W_]")


def _audio_sources(root, base: str | None) -> list[tuple[Any, str]]:
    """(element, url) of every audio link or source in page order (a video's sources are
    not audio, whatever their suffix)."""
    out = []
    for el in root.iter("a", "audio", "source"):
        if el.tag == "source" and el.getparent() is not None \
                and el.getparent().tag == "video":
            continue
        urls = [el.get("href")] if el.tag == "a" else [el.get("src"), el.get("data-src"),
                                                        el.get("data-fallbacksrc")]
        for raw in urls:
            url = _resolve(raw, base)
            if url and _is_audio_url(url):
                out.append((el, url))
    return out


def _players(root, base: str | None) -> list:
    """The article's players and download menus: around each `<audio>` or audio link, the
    highest ancestor (at most 5 up) whose class says player and that holds no prose
    paragraph; an `<audio>` with no such ancestor is a player by itself. An audio link with
    neither (a header's "Listen live" link, a link in the text) is no player."""
    tops: list = []
    for el in [e for e, _ in _audio_sources(root, base)] + list(root.iter("audio")):
        best, node, found = el, el, el.tag in ("audio", "source")
        for _ in range(5):
            node = node.getparent()
            if node is None or node.tag in ("body", "html") or _holds_prose(node):
                break
            if PLAYER_CLASS.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
                best, found = node, True
        if found and not any(best is t for t in tops):
            tops.append(best)
    return [t for t in tops if not any(o is not t and o in set(t.iterancestors())
                                       for o in tops)]


def _holds_prose(node) -> bool:
    return any(len(p.text_content()) > 150 for p in node.iter("p"))


def _inside(el, containers: list) -> bool:
    ids = {id(c) for c in containers}
    return any(id(node) in ids for node in itertools.chain([el], el.iterancestors()))


FURNITURE_TAGS = {"nav", "header", "footer", "aside"}
FURNITURE_CLASS = re.compile(r"(?:^|[\s_-])(nav|navigation|menu|hdr|header|footer)"
                             r"(?:$|[\s_-])", re.I)


def _in_furniture(el) -> bool:
    """Inside the page's navigation, header, footer or a menu (by tag, role or class)."""
    for node in el.iterancestors():
        if node.tag in FURNITURE_TAGS or (node.get("role") or "") in (
                "navigation", "banner", "contentinfo", "complementary") \
                or FURNITURE_CLASS.search(node.get("class") or ""):
            return True
    return False


def _heads_download_menu(el) -> bool:
    """The download menu's own link (Pangea's "Direct link" handler, whatever the language):
    a plain link, not one of the menu's list entries, whose menu (its parent or the one
    above) lists `?download=1` renditions. The player's fallback link sits further from the
    menu and is not it."""
    node = el
    for _ in range(2):
        node = node.getparent()
        if node is None or node.tag == "li":
            return False
        if any(_is_download(a.get("href") or "") for a in node.iter("a")):
            return True
    return False


def _audio(result: Imported, root, base: str | None, players: list) -> str | None:
    """Direct link: the download menu's direct link, else the player's own link to the file
    (never a `?download=1` menu entry), else the best-bitrate rendition; every other rendition
    is an alternate. Only audio inside the article's players counts; audio links elsewhere
    (a header's "Listen live" stream) are ignored and said so. A page with no player at all
    may still link its audio in the text: those links count, unless in a menu, header, footer
    or navigation. Returns the chosen rendition's key."""
    sources = _audio_sources(root, base)
    inside = [(el, url) for el, url in sources if _inside(el, players)]
    used = inside or [(el, url) for el, url in sources if not _in_furniture(el)]
    ignored = sorted({url for el, url in sources if (el, url) not in used})
    if ignored:
        result.notes.append("direct link: audio outside the article's players ignored: "
                            + ", ".join(ignored))
    renditions: dict[str, dict[str, Any]] = {}
    menu_direct: str | None = None
    for el, url in used:
        label = " ".join(filter(None, [el.text_content() if el.tag == "a" else "",
                                       el.get("title"), el.get("data-info")]))
        match = BITRATE.search(label) or BITRATE.search(urlsplit(url).path)
        key = _rendition_key(url)
        entry = renditions.setdefault(key, {"urls": [], "kbps": None, "order": len(renditions),
                                            "key": key})
        entry["urls"].append(url)
        if match and entry["kbps"] is None:
            entry["kbps"] = int(match.group(1))
        if menu_direct is None and el.tag == "a" and not _is_download(url) \
                and _heads_download_menu(el):
            menu_direct = key
    if not renditions:
        result.gaps.append("direct link: no audio link or player source in page")
        return None
    for entry in renditions.values():
        plain = [u for u in entry["urls"] if not _is_download(u)]
        entry["direct"] = plain[0] if plain else None
        entry["url"] = plain[0] if plain else entry["urls"][0]
    ranked = sorted(renditions.values(),
                    key=lambda e: (e["kbps"] is None, -(e["kbps"] or 0), e["order"]))
    if menu_direct is not None:
        chosen, how = renditions[menu_direct], "the download menu's direct link"
    else:
        direct = next((e for e in sorted(renditions.values(), key=lambda e: e["order"])
                       if e["direct"]), None)
        chosen, how = ((direct, "the player's own link") if direct else
                       (ranked[0], "the best download (no plain link in page)"))
    result.put("audio", "direct_link", chosen["url"])
    result.put("audio", "type", AUDIO_TYPES.get(audio_suffix(chosen["url"]) or ""))
    result.put("audio", "alternates", [e["url"] for e in ranked if e is not chosen])
    label = f" ({chosen['kbps']} kbps)" if chosen["kbps"] else ""
    result.notes.append(f"direct link: {chosen['url']}{label}, {how}; "
                        f"{len(renditions) - 1} other rendition(s)")
    return str(chosen["key"])


def _is_download(url: str) -> bool:
    return any(k == "download" for k, _ in parse_qsl(urlsplit(url).query))


def _chosen_first(players: list, chosen: str | None, base: str | None) -> list:
    """Players holding the chosen rendition first: its clock is the one to read."""
    def holds(player) -> bool:
        return any(_rendition_key(url) == chosen for _, url in _audio_sources(player, base))
    return sorted(players, key=lambda p: not holds(p)) if chosen else players


def _duration(result: Imported, ld: dict[str, Any], players: list, root) -> None:
    seconds = _ld_duration(ld)
    where = "the page's declared duration"
    if seconds is None:
        for player in players:
            seconds = _clock(player)
            if seconds:
                where = "the player's clock"
                break
    if seconds is None:
        body = root.find("body")
        seconds = _clock(body if body is not None else root, strict=True)
        where = "a player clock in the page"
    if seconds:
        result.set("duration", format_duration(seconds))
        result.notes.append(f"duration: {format_duration(seconds)} from {where}")
    else:
        result.gaps.append("duration: the page shows no player clock or declared duration; "
                           "left empty")


def _clock(node, strict: bool = False) -> float | None:
    """The duration a player clock shows, or None when unsure.

    Inside a player (not strict) an element classed `duration` holding a bare clock wins;
    else text nodes that are bare clocks are read in runs: elapsed 0:00 followed by the
    duration (then the remaining time), and a lone clock counts. Over a whole page (strict)
    nothing but three bare clocks in a row, starting at 0:00, does: a related video's
    `media-block__duration` or a time of day is not this audio's length."""
    if not strict:
        for el in node.iter():
            if "duration" in (el.get("class") or "").lower() and el.text:
                match = CLOCK.match(el.text)
                if match and parse_duration(match.group(1)) > 0:
                    return parse_duration(match.group(1))
    runs: list[list[float]] = [[]]
    for text in node.itertext():
        match = CLOCK.match(text) if len(text) < 32 else None
        if match:
            runs[-1].append(parse_duration(match.group(1)))
        elif text.strip() and runs[-1]:
            runs.append([])
    clocks = [c for run in runs for c in run]
    for run in runs if strict else [clocks]:
        for first, second in itertools.pairwise(run):
            if first == 0 and 0 < second < 86400 and (not strict or len(run) >= 3):
                return second
    if not strict and len(clocks) == 1 and 0 < clocks[0] < 86400:
        return clocks[0]
    return None


def _player_labels(players: list) -> set[str]:
    """The players' own words ("No media source currently available", in the page's
    language): a paragraph of the text that says only that is a copy of player furniture
    (Learning English repeats the player's message as a paragraph below it)."""
    return {text for player in players for raw in player.itertext()
            if (text := clean(raw)) and len(text) < 100}


_ICON_CLASS = re.compile(r"(?:^|\s)(?:ico|icon|fa)(?:$|[\s-])", re.I)
_SENTENCE_END = re.compile(r"[.!?…:;\"”»'’)]$")


def _drop_icon_labels(root) -> None:
    """A short paragraph that opens with an empty icon element and is no sentence
    (`<p class="ta-c"><span class="ico"></span>No media source currently available</p>`) is
    an interface label, not text."""
    for p in list(root.iter("p")):
        first = p[0] if len(p) else None
        if first is None or (p.text or "").strip() or not isinstance(first.tag, str):
            continue
        if not _ICON_CLASS.search(first.get("class") or "") or first.text_content().strip():
            continue
        text = clean(p.text_content())
        if len(text) < 80 and not _SENTENCE_END.search(text):
            p.drop_tree()


BLOCK_TAGS = {"p", "div", "ul", "ol", "li", "table", "blockquote", "figure", "section",
              "article", "aside", "header", "footer", "nav", "h1", "h2", "h3", "h4", "h5", "h6",
              "pre", "hr", "dl", "form", "main", "audio", "video", "iframe"}


def _paragraphs_from_breaks(root) -> None:
    """Text written as runs separated by `<br><br>` (RFE/RL's older pages) becomes `<p>`s.

    trafilatura reads such a body as one block and then, finding it short of paragraphs,
    gathers more text from the page (the title, the intro teaser) and appends it. Giving it
    the paragraphs the page means keeps the body what the page shows; a single `<br>` stays
    a line break."""
    for el in list(root.iter("div", "td", "section", "article", "main", "span", "font")):
        children = list(el)
        if sum(c.tag == "br" for c in children) >= 2 and (
                (el.text or "").strip() or any((c.tail or "").strip() for c in children)):
            _split_at_breaks(el, children)


def _split_at_breaks(el, children: list) -> None:
    from lxml import etree

    tokens: list[tuple[str, Any]] = [("text", el.text)]
    for child in children:
        tail, child.tail = child.tail, None
        el.remove(child)
        tokens += [("br" if child.tag == "br" else "el", child), ("text", tail)]
    el.text = None
    run: list[tuple[str, Any]] = []
    breaks = 0
    for kind, value in tokens:
        if kind == "br":
            breaks += 1
        elif kind == "text" and not (value or "").strip():
            if run and value:
                run.append(("text", value))
        elif kind == "el" and value.tag in BLOCK_TAGS:
            _paragraph(el, run)
            el.append(value)
            breaks = 0
        else:
            if breaks >= 2:
                _paragraph(el, run)
            elif breaks == 1 and run:
                run.append(("el", etree.Element("br")))
            breaks = 0
            run.append((kind, value))
    _paragraph(el, run)


def _paragraph(parent, run: list[tuple[str, Any]]) -> None:
    """Append the run (text and inline elements) to `parent` as one `<p>`; empty the run."""
    from lxml import etree

    if any(kind == "el" or (value or "").strip() for kind, value in run):
        para = etree.SubElement(parent, "p")
        last = None
        for kind, value in run:
            if kind != "text":
                para.append(value)
                last = value
            elif last is None:
                para.text = (para.text or "") + (value or "")
            else:
                last.tail = (last.tail or "") + (value or "")
    run.clear()


class _Figure:
    def __init__(self, element, image: str | None, caption: str | None):
        self.element, self.image, self.caption = element, image, caption


def _figures(root, base: str | None) -> list[_Figure]:
    """Each <figure> (or Pangea's cover-media block) with its own image and caption."""
    out = []
    for el in root.iter("figure"):
        if any(isinstance(a.tag, str) and a.tag == "figure" for a in el.iterancestors()):
            continue
        img = next(iter(el.iter("img")), None)
        image = _resolve(img.get("src") or img.get("data-src"), base) if img is not None \
            else None
        captions = list(el.iter("figcaption"))
        inner = captions[0].find(".//*[@class='caption']") if captions else None
        caption = _text(inner if inner is not None else captions[0]) if captions else ""
        out.append(_Figure(el, image, caption or None))
    return out


def _image(result: Imported, meta: dict[str, str], ld: dict[str, Any],
           figures: list[_Figure], base: str | None) -> str | None:
    """Image and caption from the same photo; returns the caption used."""
    shared = _first_url(meta.get("og:image"), meta.get("twitter:image"),
                        _ld_image(ld.get("image")))
    lead = next((f for f in figures if f.caption), None)
    if lead is None:
        figure_image = next((f.image for f in figures if f.image), None)
        result.put("image", "url", shared or figure_image, "image URL: not in page")
        result.gaps.append("image caption: not in page")
        return None
    url: str | None
    if lead.image and shared and _photo_key(lead.image) != _photo_key(shared):
        result.notes.append(f"image: og:image {shared} is another photo than the captioned "
                            f"figure's; the figure's image {lead.image} and its caption are "
                            "kept together")
        url = lead.image
    else:
        url = shared if (shared and lead.image) else lead.image
        if url is None and shared:
            result.notes.append(f"image: the captioned figure has no image; og:image {shared} "
                                "is left out, since it may be another photo")
    result.put("image", "url", url, "image URL: the captioned figure has none")
    result.put("image", "caption", lead.caption)
    return lead.caption


_SIZE_MARKS = re.compile(r"(?:_(?:c[xywh]\d+|w\d+|h\d+|r\d+|q\d+|s|tv))+(?=\.\w+$)")


def _photo_key(url: str) -> str:
    """The same photo in another size compares equal (Pangea: `<id>_w408_r1.jpg`)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    return _SIZE_MARKS.sub("", name)


def _join_datelines(root) -> None:
    """"AUBURN, Wash. —" in an inline element just before a paragraph opens that paragraph."""
    for el in list(root.iter("span", "strong", "b", "em")):
        parent, after = el.getparent(), el.getnext()
        if parent is None or after is None or after.tag != "p" or (el.tail or "").strip():
            continue
        text = clean(el.text_content())
        if not text or len(text) > 80:
            continue
        if not (DATELINE_CLASS.search(el.get("class") or "") or DATELINE_END.search(text)):
            continue
        after.text = f"{text} {after.text or ''}"
        el.drop_tree()


# --- metadata helpers --------------------------------------------------------------------------

def _text(el) -> str:
    return clean(el.text_content()) if el is not None else ""


def _attr(root, xpath: str) -> str | None:
    found = root.xpath(xpath)
    return str(found[0]).strip() if found else None


def _metas(root) -> dict[str, str]:
    """meta name/property/itemprop -> content (first wins; authors are gathered separately)."""
    out: dict[str, str] = {}
    authors: list[str] = []
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop")
               or el.get("http-equiv") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value:
            out.setdefault(key, value)
            if key in ("author", "article:author", "dc.creator", "byl"):
                authors.append(value)
    out["__authors__"] = json.dumps(authors)
    return out


def _json_ld(root) -> dict[str, Any]:
    """The page's main JSON-LD object (an Article-like type), or {}; bad JSON is ignored."""
    best: dict[str, Any] = {}
    for script in root.xpath("//script[@type='application/ld+json']"):
        text = script.text or ""
        script.drop_tree()
        if len(text) > 1_000_000:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                kinds = item.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                article = any(str(k).lower() in ARTICLE_TYPES for k in kinds)
                weak = best.get("@type") in ("WebPage", "AudioObject")
                if article and (not best or (weak and "headline" in item)):
                    best = item
    return best


def _ld_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return None


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _ld_text(value.get("name"))
    return _ld_text(value)


def _ld_id(value: Any) -> str | None:
    if isinstance(value, dict):
        return _ld_text(value.get("@id") or value.get("url"))
    return _ld_text(value)


def _ld_image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _ld_text(value.get("url") or value.get("contentUrl"))
    return _ld_text(value)


_ISO_DURATION = re.compile(r"^P(?:T)?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def _ld_duration(ld: dict[str, Any]) -> float | None:
    """An ISO 8601 duration (PT3M41S) declared in JSON-LD (on the article or its audio)."""
    for obj in (ld, ld.get("audio") if isinstance(ld.get("audio"), dict) else None):
        text = _ld_text(obj.get("duration")) if obj else None
        match = _ISO_DURATION.match(text.strip()) if text else None
        if match and any(match.groups()):
            hours, minutes, secs = match.groups()
            seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)
            if seconds > 0:
                return seconds
    return None


def _first_url(*candidates: str | None) -> str | None:
    for value in candidates:
        if value and re.match(r"^https?://\S+$", value.strip()):
            return value.strip()
    return None


def _resolve(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if href.startswith("//"):
        href = "https:" + href
    if base and not re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):
        href = urljoin(base, href)
    return href if re.match(r"^https?://[^\s]+$", href) else None


def audio_suffix(url: str) -> str | None:
    path = urlsplit(url).path.lower()
    for suffix in AUDIO_TYPES:
        if path.endswith(suffix):
            return suffix
    return None


_AUDIO_HINTS = (*AUDIO_TYPES, *AUDIO_HOSTS)


def _is_audio_url(url: str) -> bool:
    low = url.lower()
    if not any(hint in low for hint in _AUDIO_HINTS):  # cheap test first: most links are not
        return False
    host = (urlsplit(url).hostname or "").lower()
    return audio_suffix(url) is not None or host in AUDIO_HOSTS


def _rendition_key(url: str) -> str:
    """The same file linked for download (?download=1) and for playing counts once."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "download"]
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, urlencode(query), ""))


def _language(root, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    import langcodes

    candidates = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang"),
                  meta.get("content-language"), _ld_text(ld.get("inLanguage")),
                  (meta.get("og:locale") or "").replace("_", "-")]
    for value in candidates:
        tag = (value or "").strip()
        if tag and langcodes.tag_is_valid(tag):
            return tag
    return None


def _authors(meta: dict[str, str], ld: dict[str, Any], publisher: str | None) -> list[str]:
    names: list[str] = []
    raw = ld.get("author")
    for item in raw if isinstance(raw, list) else [raw]:
        name = _ld_name(item)
        if name:
            names.append(name)
    names += json.loads(meta.get("__authors__", "[]"))
    return _unique_names(names, publisher)


def _split_authors(value: str | None, publisher: str | None) -> list[str]:
    """trafilatura's byline ("A; B"), when the metadata names nobody."""
    return _unique_names((value or "").split(";"), publisher)


def _unique_names(names, publisher: str | None) -> list[str]:
    out: list[str] = []
    for name in names:
        name = clean(name)
        if name and not name.startswith(("http://", "https://")) and name not in out \
                and name != publisher:
            out.append(name)
    return out
