"""MP4 (M4A/AAC) storage for the field table: iTunes `ilst` atoms and `----` freeform atoms.

Chapters: mutagen reads Nero `chpl` chapters but cannot write them; segpack writes Podcasting
2.0 chapters JSON into a freeform atom and reads that first, then `chpl` (see `fieldtable`).
"""

from __future__ import annotations

import json
from typing import Any

from mutagen import mp4

from media.fieldtable import FF, FIELDS, Field


def read(tags: mp4.MP4Tags | None, chapters: Any = None) -> dict[str, Any]:
    """Every table field found; `chapters` is mutagen's `MP4Chapters` (Nero chpl) if any."""
    found: dict[str, Any] = {}
    for field in FIELDS:
        value = _read_field(tags, field) if tags is not None else None
        if field.kind == "chapters" and value is None and chapters:
            value = _nero(chapters)
        if value is not None:
            found[field.name] = value
    return found


def _read_field(tags: mp4.MP4Tags, field: Field) -> Any:
    for key in field.mp4:
        values = tags.get(key)
        if not values:
            continue
        if field.kind == "image":
            return bytes(values[0])
        if key.startswith("----"):
            texts = [bytes(v).decode("utf-8", "replace") for v in values]
        elif field.kind == "int":
            return int(values[0][0])
        elif field.kind == "flag":
            return bool(values)
        else:
            texts = [str(v) for v in values]
        if field.kind == "chapters":
            try:
                return _from_json(texts[0])
            except ValueError:
                continue
        if field.kind == "list":
            return texts
        if texts and texts[0]:
            return texts[0]
    return None


def _from_json(text: str) -> list[dict[str, Any]]:
    data = json.loads(text)
    return [{"start": c.get("startTime"), "end": c.get("endTime"), "title": c.get("title"),
             "url": c.get("url")} for c in data.get("chapters", [])]


def _nero(chapters: Any) -> list[dict[str, Any]]:
    items = list(chapters)
    out = []
    for index, chapter in enumerate(items):
        end = items[index + 1].start if index + 1 < len(items) else None
        out.append({"start": round(chapter.start, 3), "end": None if end is None
                    else round(end, 3), "title": chapter.title, "url": None})
    return out


def write(tags: mp4.MP4Tags, values: dict[str, Any]) -> None:
    """Set every field whose value is not None (other atoms are left alone)."""
    for field in FIELDS:
        value = values.get(field.name)
        if value is None:
            continue
        for key in field.mp4:
            if key == "chpl":
                continue  # read-only in mutagen: see the module docstring
            tags[key] = _render(key, field, value)


def _render(key: str, field: Field, value: Any) -> list[Any]:
    if field.kind == "image":
        from media.artwork import image_mime

        kind = (mp4.MP4Cover.FORMAT_PNG if image_mime(value) == "image/png"
                else mp4.MP4Cover.FORMAT_JPEG)
        return [mp4.MP4Cover(value, imageformat=kind)]
    if field.kind == "chapters":
        value = json.dumps({"version": "1.2.0", "chapters": [
            {k2: c[k] for k, k2 in (("start", "startTime"), ("end", "endTime"),
                                     ("title", "title"), ("url", "url")) if c.get(k) is not None}
            for c in value]}, ensure_ascii=False, separators=(",", ":"))
    if key.startswith(FF) or key.startswith("----"):
        texts = value if field.kind == "list" else [value]
        return [mp4.MP4FreeForm(str(v).encode("utf-8"), dataformat=mp4.AtomDataType.UTF8)
                for v in texts]
    if field.kind == "int":
        return [(int(value), 0)]
    if field.kind == "flag":
        return bool(value)  # type: ignore[return-value]  # mutagen stores pcst as a bare bool
    if field.kind == "list":
        return [str(v) for v in value]
    return [str(value)]
