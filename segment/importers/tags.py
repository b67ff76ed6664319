"""Tags already in an audio file -> one segment.

Input is a plain mapping by segment field name (what `media.tagging.read_tags` returns, or the
command's mutagen fallback): title, summary, transcript, published/date, language, authors/artist,
publisher, direct_link, source_url, guid, chapters [(start seconds, title)], duration (seconds).
Pure mapping: reading the file is the caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from segment.importers.common import Imported, clean, iso_timestamp, slug_for
from segment.timecode import format_duration


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return [clean(str(v)) for v in values if v not in (None, "") and clean(str(v))]


def segment_from_tags(tags: Mapping[str, Any], audio: Path) -> Imported:
    """Map read tags onto manifest fields; the title falls back to nothing (reported)."""
    result = Imported(source=str(audio))
    title = clean(str(_first(tags.get("title")) or ""))
    if title:
        result.set("id", slug_for(title))
        result.set("title", title)
    else:
        result.set("id", slug_for(audio.stem))
        result.gaps.append("title: no title tag (TIT2 / ©nam / TITLE)")
    summary = clean(str(_first(tags.get("summary") or tags.get("description")
                               or tags.get("comment")) or ""))
    result.set("summary", summary, "summary: no description/comment tag")
    duration = _first(tags.get("duration"))
    if isinstance(duration, (int, float)) and duration > 0:
        result.set("duration", format_duration(round(float(duration), 3)))
    else:
        result.gaps.append("duration: the audio could not be probed")
    language = _first(tags.get("language"))
    if language:
        import langcodes

        tag = str(language).strip()
        if not langcodes.tag_is_valid(tag):  # ID3 TLAN holds ISO 639-2 codes such as "eng"
            try:
                tag = langcodes.Language.get(tag).to_tag()
            except (ValueError, LookupError):
                tag = ""
        result.set("language", tag if tag and langcodes.tag_is_valid(tag) else None,
                   f"language: tag {language!r} is not a language code")
    else:
        result.gaps.append("language: no language tag")
    link = _first(tags.get("direct_link"))
    result.put("audio", "direct_link", link if str(link or "").startswith("http") else None)
    source = _first(tags.get("source_url") or tags.get("url"))
    result.put("source", "url", source if str(source or "").startswith("http") else None)
    result.put("source", "publisher", clean(str(_first(tags.get("publisher")) or "")))
    stamp = _first(tags.get("published") or tags.get("date"))
    published, problem = iso_timestamp(str(stamp)) if stamp else (None, None)
    result.set("published", published,
               f"publication date: {problem}; left empty" if problem
               else "publication date: no date tag")
    result.set("authors", _texts(tags.get("authors") or tags.get("author")
                                 or tags.get("artist")))
    for key in ("season", "episode"):
        number = _first(tags.get(key))
        result.set(key, number if isinstance(number, int) and number >= 0 else None)
    for key in ("copyright", "license"):
        result.set(key, clean(str(_first(tags.get(key)) or "")))
    guid = _first(tags.get("guid"))
    result.set("guid", clean(str(guid)) if guid else None)
    chapters: list[dict[str, Any]] = []
    for item in tags.get("chapters") or []:
        if isinstance(item, Mapping):
            start, name = item.get("start"), item.get("title")
        else:
            start, name = ((*tuple(item), None, None))[:2]
        if isinstance(start, str):
            from segment.timecode import parse_duration

            start = parse_duration(start)
        name = clean(str(name or ""))
        if start is None:
            continue
        if not name:
            name = f"Chapter {len(chapters) + 1}"
            result.notes.append(f"chapters: chapter at {format_duration(start)} has no title; "
                                f"named {name!r}")
        chapters.append({"start": format_duration(round(float(start), 3)), "title": name})
    result.set("chapters", chapters)
    transcript = str(_first(tags.get("transcript") or tags.get("lyrics")) or "").strip()
    result.body = "\n\n".join(p.strip() for p in transcript.replace("\r\n", "\n").split("\n\n")
                              if p.strip())
    if not result.body:
        result.gaps.append("transcript: no lyrics tag (USLT / ©lyr / LYRICS)")
    return result
