"""Article pages -> one segment: saved HTML pages and scraped page text (like the reference page).

Built for the Pangea CMS family (VOA, RFE/RL and their language services), whose labels are
translated into dozens of languages, so pages are recognised by STRUCTURE and LINK TARGETS, not
by English words: audio links point at audio files or the audio hosts; the player shows time
tokens ("0:00 0:03:41 0:00"); the transcript is the block holding most paragraph text. Other
pages fall back to the same generic heuristics plus their metadata (meta tags, Open Graph,
JSON-LD). Nothing is invented: what a page lacks is listed in `Imported.gaps`.

HTML is parsed by lxml.html with network access off; the HTML parser never expands external
entities. Inputs over `MAX_PAGE_BYTES` are refused before parsing.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from segment.importers.common import (
    Imported,
    ImportProblem,
    clean,
    iso_timestamp,
    read_input,
    slug_for,
    squash,
)
from segment.models import AUDIO_TYPES
from segment.timecode import format_duration, parse_duration

AUDIO_HOSTS = ("av.voanews.com", "voa-audio.voanews.eu", "voa-audio.voanews.com")
"""Pangea audio hosts (older and newer); links there are audio even without a file suffix."""

TIME_TOKEN = re.compile(r"(?<![\d:])(\d{1,2}:\d{2}(?::\d{2})?)(?![\d:])")
PLAYER_LINE = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?(?:\s+\d{1,2}:\d{2}(?::\d{2})?){1,2}$")
"""The player's clock as scraped text: elapsed, duration, remaining ("0:00 0:03:41 0:00")."""
BITRATE = re.compile(r"(\d{2,4})\s*(?:kbps|kb/s|kbit)", re.I)
RENDITION = re.compile(r"^\d{2,4}\s*(?:kbps|kb/s|kbit/s)\b.*$", re.I)
"""A download-menu entry as text ("64 kbps | MP3"): furniture in a text copy."""

FURNITURE_LINES = frozenset({
    "accessibility links", "skip to main content", "skip to main navigation", "skip to search",
    "breaking news", "please wait", "no media source currently available", "direct link",
    "embed", "share", "print", "comments", "see comments", "comment", "related", "see all",
    "download", "listen", "follow us", "more", "loading", "the code has been copied to your "
    "clipboard.", "the url has been copied to your clipboard", "no live streaming currently "
    "available", "show more", "next", "previous", "search", "menu",
})
"""Labels a scraped English text copy keeps from the page chrome (text has no structure left).

HTML pages do not rely on this list: there, furniture is recognised by element and class."""

DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "form", "button",
             "select", "nav", "footer", "aside", "object", "embed", "canvas", "video")
FURNITURE_CLASS = re.compile(
    r"(?:^|[\s_-])(share|sharing|social|print|comments?|related|breadcrumbs?|menu|nav|navbar|"
    r"footer|sidebar|widget|promo|newsletter|subscribe|advert|ads?|cookie|banner|tags|"
    r"player|mmp|media-download|download|most-popular|popular|trending|"
    r"recommended|more-stories|read-more|skip|sr-only|visually-hidden)(?:$|[\s_-])",
    re.I)
"""Class/id tokens of page chrome (CMS code, not translated text): paragraphs inside are not
transcript."""
INTRO_CLASS = re.compile(r"(?:^|[\s_-])(intro|perex|teaser|standfirst|lead|summary|dek)"
                         r"(?:$|[\s_-])", re.I)
ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting",
                 "analysisnewsarticle", "opinionnewsarticle", "backgroundnewsarticle",
                 "webpage", "audioobject", "podcastepisode", "report"}

CHARSET_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


# --- entry points ------------------------------------------------------------------------------

def import_article(path: str | Path, *, publisher: str | None = None,
                   language: str | None = None) -> Imported:
    """Read a saved page (HTML or scraped text) into an `Imported` segment.

    `publisher` / `language` are what the person states for pages that do not say
    (a text copy keeps no metadata); a value the page declares wins.
    Raises ImportProblem (one line naming the file) when the input is no article at all.
    """
    path = Path(path)
    data = read_input(path, "an article page")
    if looks_like_html(data):
        result = parse_html(data, path)
    else:
        result = parse_text(decode_text(data, path), path)
    fill_defaults(result, publisher=publisher, language=language)
    return result


def looks_like_html(data: bytes) -> bool:
    head = data[:4096].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"<meta",
                            b"<!--")) or b"<html" in head or b"<body" in head


def decode_text(data: bytes, path: Path) -> str:
    """Text copies are UTF-8 (a BOM is fine); anything else is one clear line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"text copy is not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                            f"{exc.start}); save it as UTF-8 or import the HTML page", path
                            ) from None


def fill_defaults(result: Imported, *, publisher: str | None, language: str | None) -> None:
    """Apply the person's stated values where the page is silent; report what stays missing."""
    source = result.fields.get("source", {})
    if not source.get("publisher"):
        if publisher:
            result.put("source", "publisher", publisher)
        else:
            result.gaps.append("publisher: not in page (give --publisher)")
    if not result.fields.get("language"):
        if language:
            result.set("language", language)
        else:
            result.gaps.append("language: not in page (give --language)")


# --- scraped text ------------------------------------------------------------------------------

def _is_furniture_line(line: str) -> bool:
    low = line.lower().strip(" .:…")
    return low in FURNITURE_LINES or bool(RENDITION.match(line))


def parse_text(text: str, path: Path) -> Imported:
    """A scraped text copy: title first; caption/summary before the player; body after it.

    The reference copy repeats the teaser (summary) and the title (the player's caption); a
    paragraph seen twice before the player is the summary, kept once, and a paragraph before it
    is the image caption. Without a player line the whole text after the title is the body.
    """
    result = Imported(source=str(path))
    units: list[str] = []
    player_at: int | None = None
    audio_urls: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        kept: list[str] = []
        for raw in block.split("\n"):
            line = clean(raw)
            if not line:
                continue
            if PLAYER_LINE.match(line):
                if player_at is None:
                    player_at = len(units) + (1 if kept else 0)
                    tokens = TIME_TOKEN.findall(line)
                    seconds = max(parse_duration(t) for t in tokens)
                    if seconds > 0:
                        result.set("duration", format_duration(seconds))
                        result.notes.append(f"duration: {format_duration(seconds)} from the "
                                            f"player line '{line}'")
                continue
            if re.fullmatch(r"https?://\S+", line) and _audio_suffix(line):
                audio_urls.append(line)
                continue
            if _is_furniture_line(line):
                continue
            kept.append(line)
        if kept:
            units.append(" ".join(kept))
    if not units or len(units[0]) > 300:
        raise ImportProblem("not an article: no title line found (the first line of text is "
                            "a paragraph, not a headline)", path)
    title = units[0]
    result.set("id", slug_for(title))
    result.set("title", title)
    if player_at is not None:
        header, body = units[1:player_at], units[player_at:]
    else:
        header, body = [], units[1:]
    header = [u for u in header if u != title]
    summary = next((u for i, u in enumerate(header) if u in header[i + 1:]), None)
    caption = None
    if summary is not None:
        before = header[: header.index(summary)]
        caption = before[0] if before else None
    elif len(header) >= 2:
        caption, summary = header[0], header[-1]
    elif header:
        summary = header[0]
    result.set("summary", summary, "summary: not in page")
    result.put("image", "caption", caption, "image caption: not in page")
    if "duration" not in result.fields:
        result.gaps.append("duration: no player line in page")
    if audio_urls:
        result.put("audio", "direct_link", audio_urls[0])
        result.put("audio", "alternates", audio_urls[1:])
    else:
        result.gaps.append("direct link: the text copy keeps no audio URL")
    seen = {title, summary, caption}
    paragraphs = [u for u in body if u not in seen]
    result.body = "\n\n".join(paragraphs)
    if not paragraphs:
        result.gaps.append("transcript: no body paragraphs in page")
    result.gaps.extend(["source URL: not in page", "publication date: not in page",
                        "authors: not in page", "image URL: not in page"])
    return result


# --- HTML --------------------------------------------------------------------------------------

def declared_charset(data: bytes) -> str | None:
    """The charset a page declares (BOM, then <meta charset> / http-equiv), if Python knows it."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    match = CHARSET_META.search(data[:8192])
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def parse_tree(data: bytes, path: Path):
    """Parse HTML bytes with lxml.html, network off, honouring the declared charset."""
    import lxml.html
    from lxml import etree

    charset = declared_charset(data)
    if charset is None:
        try:
            data.decode("utf-8")
            charset = "utf-8"
        except UnicodeDecodeError:
            charset = "windows-1252"  # what browsers assume for undeclared legacy pages
    parser = lxml.html.HTMLParser(encoding=charset, no_network=True, remove_comments=True,
                                  remove_pis=True, huge_tree=False, default_doctype=False)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ImportProblem(f"not an HTML page lxml can read: {exc}", path) from None
    return root, charset


def parse_html(data: bytes, path: Path, root=None) -> Imported:
    """A saved HTML page: metadata first, then the visible structure."""
    if root is None:
        root, _ = parse_tree(data, path)
    result = Imported(source=str(path))
    meta = _metas(root)
    ld = _json_ld(root)
    canonical = _first_url(
        _attr(root, "//link[@rel='canonical']/@href"), meta.get("og:url"), ld.get("url"),
        _ld_id(ld.get("mainEntityOfPage")))
    base = canonical or _first_url(_attr(root, "//base/@href"))

    invisible = [el for el in root.iter(*DROP_TAGS[:4]) if el.getparent() is not None]
    for el in invisible:  # script/style/noscript/template never hold visible text
        el.drop_tree()

    h1 = _text(root.find(".//h1"))
    title = clean(meta.get("og:title") or _ld_text(ld.get("headline")) or h1
                  or _text(root.find(".//title")))
    if not title:
        raise ImportProblem("not an article: no title (no <h1>, og:title, JSON-LD headline or "
                            "<title>)", path)
    result.set("id", slug_for(title))
    result.set("title", title)

    intro = _intro_text(root)
    summary = clean(meta.get("og:description") or meta.get("description")
                    or _ld_text(ld.get("description")) or intro)
    result.set("summary", summary, "summary: not in page")

    audio = _audio_links(root, base)
    duration = _ld_duration(ld) or _player_duration(root)
    if duration:
        result.set("duration", format_duration(duration))
    else:
        result.gaps.append("duration: no player time or declared duration in page")
    result.set("language", _language(root, meta, ld), None)
    if audio:
        best, *others = audio
        result.put("audio", "direct_link", best[1])
        kind = AUDIO_TYPES.get(_audio_suffix(best[1]) or "")
        result.put("audio", "type", kind)
        result.put("audio", "alternates", [url for _, url in others])
        label = f" ({best[0]} kbps)" if best[0] else ""
        result.notes.append(f"direct link: {best[1]}{label}; {len(others)} other rendition(s)")
    else:
        result.gaps.append("direct link: no audio link or player source in page")

    result.put("source", "url", canonical, "source URL: not in page (no canonical link)")
    publisher = clean(meta.get("og:site_name") or _ld_name(ld.get("publisher"))
                      or meta.get("publisher"))
    result.put("source", "publisher", publisher)

    image_url = _first_url(meta.get("og:image"), meta.get("twitter:image"),
                           _ld_image(ld.get("image")), _figure_image(root, base))
    caption = _caption(root)
    result.put("image", "url", image_url, "image URL: not in page")
    result.put("image", "caption", caption, "image caption: not in page")

    published, problem = iso_timestamp(
        meta.get("article:published_time") or _ld_text(ld.get("datePublished"))
        or _attr(root, "//time[@datetime]/@datetime") or meta.get("date")
        or meta.get("dc.date.issued") or meta.get("pubdate"))
    if published:
        result.set("published", published)
    else:
        result.gaps.append(f"publication date: {problem}; left empty" if problem
                           else "publication date: not in page")
    authors = _authors(meta, ld, publisher)
    result.set("authors", authors, "authors: not in page")

    paragraphs = _body(root, {title, summary, caption, intro})
    result.body = "\n\n".join(paragraphs)
    if not paragraphs:
        result.gaps.append("transcript: no body paragraphs in page")
    return result


# --- HTML helpers ------------------------------------------------------------------------------

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


def _audio_suffix(url: str) -> str | None:
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
    return _audio_suffix(url) is not None or host in AUDIO_HOSTS


def _rendition_key(url: str) -> str:
    """The same file linked for download (?download=1) and for playing counts once."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "download"]
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, urlencode(query), ""))


def _audio_links(root, base: str | None) -> list[tuple[int | None, str]]:
    """Every audio rendition in the page, best first: (kbps or None, url).

    Sources: anchors to audio files or audio hosts (download menus: "64 kbps | MP3"), the
    player's fallback link, <audio src> / <source src>. Best = highest bitrate; unlabelled
    links follow labelled ones, in page order.
    """
    found: dict[str, tuple[int | None, str, int]] = {}
    order = 0
    for el in root.iter("a", "audio", "source"):
        urls = [el.get("href")] if el.tag == "a" else [el.get("src"), el.get("data-src"),
                                                        el.get("data-fallbacksrc")]
        for raw in urls:
            url = _resolve(raw, base)
            if not url or not _is_audio_url(url):
                continue
            label = " ".join(filter(None, [el.text_content() if el.tag == "a" else "",
                                           el.get("title"), el.get("data-label")]))
            match = BITRATE.search(label) or BITRATE.search(urlsplit(url).path)
            kbps = int(match.group(1)) if match else None
            key = _rendition_key(url)
            old = found.get(key)
            if old is None:
                found[key] = (kbps, url, order)
                order += 1
            elif old[0] is None and kbps is not None:
                found[key] = (kbps, url, old[2])
    ranked = sorted(found.values(), key=lambda r: (r[0] is None, -(r[0] or 0), r[2]))
    return [(kbps, url) for kbps, url, _ in ranked]


def _player_duration(root) -> float | None:
    """The longest time shown in the player (the element around <audio> or an audio link).

    Pangea's player reads "0:00 0:03:41 0:00" (elapsed, duration, remaining); other players
    show at least the duration. Without a player, the page text is searched for that clock.
    """
    anchors = list(root.iter("audio"))
    anchors += [a for a in root.iter("a") if a.get("href") and _is_audio_url(a.get("href"))]
    for el in anchors[:5]:
        node = el
        for _ in range(6):
            node = node.getparent()
            if node is None:
                break
            tokens = TIME_TOKEN.findall(node.text_content())
            seconds = [s for s in (parse_duration(t) for t in tokens) if 0 < s < 86400]
            if seconds:
                return max(seconds)
    text = root.text_content()
    for match in re.finditer(r"\d{1,2}:\d{2}(?::\d{2})?(?:\s+\d{1,2}:\d{2}(?::\d{2})?){2}", text):
        longest = max(parse_duration(t) for t in match.group().split())
        if longest > 0:
            return longest
    return None


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


def _in_furniture(el) -> bool:
    for node in (el, *el.iterancestors()):
        if node.tag in DROP_TAGS or (node.tag == "header" and node.find(".//h1") is None):
            return True
        marks = f"{node.get('class') or ''} {node.get('id') or ''} {node.get('role') or ''}"
        if marks.strip() and FURNITURE_CLASS.search(marks):
            return True
        if node.tag in ("figure", "figcaption"):
            return True
    return False


def _intro_text(root) -> str:
    """A visible teaser block (class intro/perex/standfirst/lead...), when the page has one."""
    for el in root.iter("div", "p", "section", "span"):
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if marks.strip() and INTRO_CLASS.search(marks) and not _in_furniture(el):
            text = _text(el)
            if 20 <= len(text) <= 1000:
                return text
    return ""


def _caption(root) -> str | None:
    for el in root.iter("figcaption"):
        caption = el.find(".//*[@class='caption']")
        text = _text(caption if caption is not None else el)
        if text:
            return text
    for el in root.xpath("//*[contains(concat(' ', normalize-space(@class), ' '), ' caption ')]"):
        text = _text(el)
        if text:
            return text
    return None


def _figure_image(root, base: str | None) -> str | None:
    for img in root.xpath("//figure//img"):
        url = _resolve(img.get("src") or img.get("data-src"), base)
        if url:
            return url
    return None


def _authors(meta: dict[str, str], ld: dict[str, Any], publisher: str | None) -> list[str]:
    names: list[str] = []
    raw = ld.get("author")
    for item in raw if isinstance(raw, list) else [raw]:
        name = _ld_name(item)
        if name:
            names.append(name)
    names += json.loads(meta.get("__authors__", "[]"))
    out: list[str] = []
    for name in names:
        name = clean(name)
        if name and not name.startswith(("http://", "https://")) and name not in out \
                and name != publisher:
            out.append(name)
    return out


def _body(root, known: set[str | None]) -> list[str]:
    """The transcript: paragraphs of the block holding the most paragraph text.

    Paragraphs inside page chrome (navigation, share/print/comment widgets, related lists,
    the player, figures) do not count; a paragraph repeating the title, teaser or caption is
    dropped so each is kept once.
    """
    scores: dict[Any, int] = {}
    kept: list[Any] = []
    for p in root.iter("p"):
        if _in_furniture(p):
            continue
        text = _text(p)
        if not text:
            continue
        kept.append((p, text))
        parent = p.getparent()
        scores[parent] = scores.get(parent, 0) + len(text)
    if not scores:
        return []
    best = max(scores, key=lambda node: scores[node])
    out = []
    for p, text in kept:
        if p.getparent() is not best or text in known:
            continue
        if PLAYER_LINE.match(text) or _is_furniture_line(text):
            continue
        out.append(text)
    return out


__all__ = ["import_article", "parse_html", "parse_text", "squash"]
