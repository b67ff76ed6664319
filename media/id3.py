"""ID3v2 storage for the field table (MP3): read v2.2/v2.3/v2.4 (mutagen upgrades them), write
v2.4 with UTF-8 text (mutagen re-reads UTF-8 frames several times faster than UTF-16 ones).

Keys in the table are frame ids, `TXXX:DESC` for user text frames and `UFID:OWNER` for unique
file identifiers; COMM/USLT use an empty description and the segment's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from mutagen import id3

from media.fieldtable import BY_NAME, FIELDS, Field
from segment.langtags import FROM_ALPHA3, quick_alpha3

UTF8 = id3.Encoding.UTF8
TOC_ID = "toc"


@lru_cache(maxsize=64)
def alpha3(language: str | None) -> str:
    """ISO 639-2 code ID3 wants in TLAN, COMM and USLT (`en-GB` -> `eng`); `XXX` if unknown."""
    if not language:
        return "XXX"
    quick = quick_alpha3(language)  # xx, xx-YY: no langcodes import (a tenth of tag's start-up)
    if quick:
        return quick
    try:
        import langcodes

        return langcodes.Language.get(language).to_alpha3()
    except (ValueError, LookupError):
        return "XXX"


@lru_cache(maxsize=64)
def bcp47(code: str) -> str:
    """Back from what a TLAN frame holds (`eng`) to a BCP 47 tag (`en`); unknown kept as is."""
    if code in FROM_ALPHA3:
        return FROM_ALPHA3[code]
    try:
        import langcodes

        return langcodes.standardize_tag(code)
    except (ValueError, LookupError):
        return code


def read(tags: id3.ID3 | None, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Every table field (or those `names`) found in the tags (fields absent are left out)."""
    found: dict[str, Any] = {}
    if tags is None:
        return found
    for field in FIELDS if names is None else (BY_NAME[n] for n in names):
        value = _read_field(tags, field)
        if value is not None:
            found[field.name] = value
    return found


def _read_field(tags: id3.ID3, field: Field) -> Any:
    if field.kind == "chapters":
        return read_chapters(tags) or None
    if field.kind == "image":
        pictures = [f for f in tags.getall("APIC") if f.type == id3.PictureType.COVER_FRONT]
        pictures = pictures or tags.getall("APIC")
        return bytes(pictures[0].data) if pictures else None
    for key in field.id3:
        frame = _find(tags, key)
        if frame is None:
            continue
        value = _frame_value(frame, field)
        if value not in (None, "", []):
            return value
    return None


def _find(tags: id3.ID3, key: str) -> id3.Frame | None:
    head, _, rest = key.partition(":")
    if head in ("COMM", "USLT"):
        frames = tags.getall(head)
        plain = [f for f in frames if not f.desc]
        return (plain or frames or [None])[0]
    if head == "UFID":
        return next((f for f in tags.getall("UFID") if f.owner == rest), None)
    return tags.get(key)


def _frame_value(frame: Any, field: Field) -> Any:
    """The value of `frame` (mutagen sets frame attributes from its specs at run time, so
    they are read through an untyped name here)."""
    value: Any = frame
    if isinstance(frame, id3.UFID):
        return value.data.decode("utf-8", "replace")
    if isinstance(frame, id3.PCST):
        return bool(value.value)
    if isinstance(frame, id3.UrlFrame):
        return value.url
    if isinstance(frame, id3.USLT):
        texts = [value.text] if value.text else []
    else:
        texts = [str(t) for t in getattr(frame, "text", [])]
    if isinstance(frame, id3.COMM):
        texts = ["\n".join(texts)] if texts else []
    text = field.from_texts(texts)
    if not isinstance(text, str):
        return text
    if field.kind == "language":
        return bcp47(text)
    if field.kind == "date":
        text = text.replace(" ", "T")
        return text + "Z" if len(text) == 19 else text
    if field.kind == "flag":
        return text not in ("0", "")
    return text


def read_chapters(tags: id3.ID3) -> list[dict[str, Any]]:
    """CHAP frames in CTOC order (else by start), as dicts start/end/title/url (seconds)."""
    chaps = {f.element_id: f for f in tags.getall("CHAP")}
    order: list[str] = []
    for toc in tags.getall("CTOC"):
        order.extend(c for c in toc.child_element_ids if c in chaps and c not in order)
    order.extend(sorted((c for c in chaps if c not in order), key=lambda c: chaps[c].start_time))
    out = []
    for element in order:
        chap = chaps[element]
        title = chap.sub_frames.get("TIT2")
        urls = chap.sub_frames.getall("WXXX")
        out.append({"start": chap.start_time / 1000, "end": chap.end_time / 1000,
                    "title": str(title.text[0]) if title and title.text else None,
                    "url": urls[0].url if urls else None})
    return out


# --- writing ------------------------------------------------------------------------------------

def write(tags: id3.ID3, values: dict[str, Any]) -> None:
    """Set every field whose value is not None (other frames are left alone)."""
    lang = alpha3(values.get("language"))
    for field in FIELDS:
        value = values.get(field.name)
        if value is not None:
            write_field(tags, field, value, lang)


def write_field(tags: id3.ID3, field: Field, value: Any, lang: str) -> None:
    """Replace the frames of one field (COMM/USLT in language `lang`, ISO 639-2)."""
    if field.kind == "chapters":
        write_chapters(tags, value)
    elif field.kind == "image":
        write_artwork(tags, value)
    else:
        for key in field.id3:
            _write_key(tags, key, field, value, lang)


def _write_key(tags: id3.ID3, key: str, field: Field, value: Any, lang: str) -> None:
    head, _, rest = key.partition(":")
    if head in ("COMM", "USLT"):
        for old in [f for f in tags.getall(head) if not f.desc]:
            del tags[old.HashKey]
        cls = getattr(id3, head)
        tags.add(cls(encoding=UTF8, lang=lang, desc="", text=str(value)) if head == "USLT"
                 else cls(encoding=UTF8, lang=lang, desc="", text=[str(value)]))
        return
    if head == "TXXX":
        tags.setall(key, [id3.TXXX(encoding=UTF8, desc=rest, text=[str(value)])])
        return
    if head == "UFID":
        tags.setall(key, [id3.UFID(owner=rest, data=str(value).encode("utf-8"))])
        return
    cls = getattr(id3, head)
    if cls is id3.PCST:
        frame = id3.PCST(value=1 if value else 0)
    elif issubclass(cls, id3.UrlFrame):
        frame = cls(url=str(value))
    elif field.kind == "list":
        frame = cls(encoding=UTF8, text=[str(v) for v in value])
    elif field.kind == "language":
        frame = cls(encoding=UTF8, text=[alpha3(value)])
    elif field.kind == "date":
        frame = cls(encoding=UTF8, text=[str(value).rstrip("Z")])
    else:
        frame = cls(encoding=UTF8, text=[str(value)])
    tags.setall(head, [frame])


def write_artwork(tags: id3.ID3, data: bytes) -> None:
    from media.artwork import image_mime

    for old in [f for f in tags.getall("APIC") if f.type == id3.PictureType.COVER_FRONT]:
        del tags[old.HashKey]
    tags.add(id3.APIC(encoding=UTF8, mime=image_mime(data), type=id3.PictureType.COVER_FRONT,
                      desc="", data=data))


def write_chapters(tags: id3.ID3, chapters: list[dict[str, Any]]) -> None:
    """One CHAP per chapter (TIT2 title, optional WXXX link) and a top-level ordered CTOC."""
    tags.delall("CHAP")
    tags.delall("CTOC")
    ids = [f"chp{index}" for index in range(len(chapters))]
    for element, chapter in zip(ids, chapters, strict=True):
        subs: list[id3.Frame] = [id3.TIT2(encoding=UTF8, text=[chapter["title"]])]
        if chapter.get("url"):
            subs.append(id3.WXXX(encoding=UTF8, desc="chapter url", url=chapter["url"]))
        tags.add(id3.CHAP(element_id=element, start_time=round(chapter["start"] * 1000),
                          end_time=round(chapter["end"] * 1000), sub_frames=subs))
    tags.add(id3.CTOC(element_id=TOC_ID,
                      flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                      child_element_ids=ids, sub_frames=[]))
