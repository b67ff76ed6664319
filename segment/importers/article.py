"""Article pages -> one segment: saved HTML pages and scraped page text (like the reference page).

HTML pages are read by `segment.importers.article_html` (trafilatura for the main text, our own
code for the newsroom parts: player clock, direct link, figures). A scraped text copy keeps no
structure, so it is read here line by line: title first, the player line ("0:00 0:03:41 0:00"),
the body after it. Nothing is invented: what a page lacks is listed in `Imported.gaps`.
"""

from __future__ import annotations

import re
from pathlib import Path

from segment.importers.article_html import PLAYER_LINE, audio_suffix, is_text_line, parse_html
from segment.importers.common import Imported, ImportProblem, clean, read_input, slug_for
from segment.timecode import format_duration, parse_duration

TIME_TOKEN = re.compile(r"(?<![\d:])(\d{1,2}:\d{2}(?::\d{2})?)(?![\d:])")
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
"""Labels a scraped English text copy keeps from the page chrome (text has no structure left;
HTML pages do not rely on this list)."""


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
            if re.fullmatch(r"https?://\S+", line) and audio_suffix(line):
                audio_urls.append(line)
                continue
            if _is_furniture_line(line) or not is_text_line(line):
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


__all__ = ["import_article", "parse_html", "parse_text"]
