"""Vorbis comment storage for the field table (Ogg Vorbis, Ogg Opus, FLAC).

Artwork: Ogg files carry METADATA_BLOCK_PICTURE (a base64 FLAC picture block) in the comments;
FLAC files carry a real PICTURE metadata block (`pictures` below). Chapters follow the Vorbis
chapter extension: CHAPTER001=HH:MM:SS.mmm, CHAPTER001NAME, CHAPTER001URL (no end times).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from mutagen.flac import Picture

from media.fieldtable import FIELDS, Field

PICTURE_KEY = "METADATA_BLOCK_PICTURE"
FRONT_COVER = 3
_CHAPTER = re.compile(r"^CHAPTER(\d{3,})$")


def read(tags: Any, pictures: list[Picture] | None = None) -> dict[str, Any]:
    """Every table field found in a VCommentDict; `pictures` are a FLAC file's PICTURE blocks."""
    found: dict[str, Any] = {}
    for field in FIELDS:
        value = _read_field(tags, field, pictures) if tags is not None or pictures else None
        if value is not None:
            found[field.name] = value
    return found


def _get(tags: Any, key: str) -> list[str]:
    try:
        return list(tags[key]) if tags is not None else []
    except KeyError:
        return []


def _read_field(tags: Any, field: Field, pictures: list[Picture] | None) -> Any:
    if field.kind == "chapters":
        return read_chapters(tags) or None
    if field.kind == "image":
        found = list(pictures or [])
        for encoded in _get(tags, PICTURE_KEY):
            try:
                found.append(Picture(base64.b64decode(encoded)))
            except Exception:  # a broken picture must not hide the other tags
                continue
        front = [p for p in found if p.type == FRONT_COVER] or found
        return bytes(front[0].data) if front else None
    for key in field.vorbis:
        texts = [t for t in _get(tags, key) if t != ""]
        if texts:
            return field.from_texts(texts)
    return None


def _seconds(stamp: str) -> float | None:
    try:
        parts = [float(p) for p in stamp.strip().split(":")]
    except ValueError:
        return None
    total = 0.0
    for part in parts:
        total = total * 60 + part
    return round(total, 3)


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def read_chapters(tags: Any) -> list[dict[str, Any]]:
    if tags is None:
        return []
    numbers = sorted({m.group(1) for key in tags.keys()  # noqa: SIM118 - a VComment is a list
                      if (m := _CHAPTER.match(key.upper()))}, key=int)
    out = []
    for number in numbers:
        start = _seconds((_get(tags, f"CHAPTER{number}") or [""])[0])
        if start is None:
            continue
        out.append({"start": start, "end": None,
                    "title": next(iter(_get(tags, f"CHAPTER{number}NAME") or []), None),
                    "url": next(iter(_get(tags, f"CHAPTER{number}URL") or []), None)})
    for index in range(len(out) - 1):
        out[index]["end"] = out[index + 1]["start"]
    return out


def delete_chapters(tags: Any) -> None:
    for key in list(tags.keys()):
        if re.match(r"^CHAPTER\d{3,}(NAME|URL)?$", key.upper()):
            del tags[key]


def write(tags: Any, values: dict[str, Any], *, flac: Any = None) -> None:
    """Set every field whose value is not None; `flac` is the FLAC file (for PICTURE blocks)."""
    for field in FIELDS:
        value = values.get(field.name)
        if value is None:
            continue
        if field.kind == "chapters":
            delete_chapters(tags)
            for index, chapter in enumerate(value, start=1):
                tags[f"CHAPTER{index:03d}"] = [_stamp(chapter["start"])]
                tags[f"CHAPTER{index:03d}NAME"] = [chapter["title"]]
                if chapter.get("url"):
                    tags[f"CHAPTER{index:03d}URL"] = [chapter["url"]]
        elif field.kind == "image":
            _write_picture(tags, value, flac)
        elif field.kind == "list":
            for key in field.vorbis:
                tags[key] = [str(v) for v in value]
        elif field.kind == "flag":
            continue
        else:
            for key in field.vorbis:
                tags[key] = [str(value)]


def _write_picture(tags: Any, data: bytes, flac: Any) -> None:
    from media.artwork import image_facts

    facts = image_facts(data)
    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = FRONT_COVER, facts.mime, "", data
    picture.width, picture.height, picture.depth = facts.width, facts.height, facts.depth
    if flac is not None:
        keep = [p for p in flac.pictures if p.type != FRONT_COVER]
        flac.clear_pictures()
        for old in keep:
            flac.add_picture(old)
        flac.add_picture(picture)
        return
    others = []
    for encoded in _get(tags, PICTURE_KEY):
        try:
            if Picture(base64.b64decode(encoded)).type != FRONT_COVER:
                others.append(encoded)
        except Exception:  # drop an unreadable picture we are replacing
            continue
    tags[PICTURE_KEY] = [*others, base64.b64encode(picture.write()).decode("ascii")]
