"""Fast re-tagging of ID3v2.4 tags at the frame level, without decoding the whole tag.

A run tags many files with the same segment, so our frames are rendered once (by mutagen, in
`id3.write_field`) and reused: each file's tag is split into raw frames (a few dozen slices),
frames the table owns are swapped for the rendered ones, every other frame is kept byte for
byte. A field is unchanged when its old frames are byte-identical to the new ones; only changed
fields are decoded (to report old -> new). Tags this path does not handle (v2.2/v2.3, an
extended header, unsynchronisation, compressed or encrypted frames, a footer) go the mutagen way.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from mutagen import id3

from media import id3 as id3_store
from media.fieldtable import BY_NAME, FIELDS


def synchsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value


def to_synchsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


@dataclass
class RawTag:
    size: int  # bytes the tag region takes (header + frames + padding)
    frames: list[tuple[str, bytes]]  # (frame id, the whole frame with its header)


def split(head: bytes) -> RawTag | None:
    """Frames of a plain ID3v2.4 tag; None when this fast path should not touch it."""
    if not head:
        return RawTag(0, [])
    if len(head) < 10 or head[:3] != b"ID3" or head[3] != 4 or head[5] & 0xD0:
        return None
    end = 10 + synchsafe(head[6:10])
    if end > len(head):
        return None
    frames = []
    pos = 10
    while pos + 10 <= end:
        ident = head[pos:pos + 4]
        if ident[0] == 0:
            break
        size = synchsafe(head[pos + 4:pos + 8])
        if head[pos + 9] & 0x0F or pos + 10 + size > end or not ident.isalnum():
            return None
        frames.append((ident.decode("latin-1"), head[pos:pos + 10 + size]))
        pos += 10 + size
    return RawTag(end, frames)


def _text_until_nul(data: bytes, start: int, encoding: int) -> str:
    if encoding in (1, 2):
        for index in range(start, len(data) - 1, 2):
            if data[index:index + 2] == b"\0\0":
                raw = data[start:index]
                break
        else:
            raw = data[start:]
        return raw.decode("utf-16" if encoding == 1 else "utf-16-be", "replace")
    raw = data[start:].split(b"\0", 1)[0]
    return raw.decode("utf-8" if encoding == 3 else "latin-1", "replace")


def frame_key(ident: str, frame: bytes) -> str:
    """The table key a raw frame answers to (`COMM`, `TXXX:GUID`, `UFID:segpack`, ...)."""
    data = frame[10:]
    try:
        if ident in ("COMM", "USLT"):
            return ident if not _text_until_nul(data, 4, data[0]) else ident + ":desc"
        if ident == "TXXX":
            return "TXXX:" + _text_until_nul(data, 1, data[0])
        if ident == "UFID":
            return "UFID:" + data.split(b"\0", 1)[0].decode("latin-1")
        if ident == "APIC":
            mime_end = data.index(b"\0", 1)
            return "APIC" if data[mime_end + 1] == id3.PictureType.COVER_FRONT else "APIC:other"
    except (IndexError, ValueError):
        return ident + ":?"
    return ident


PLANS_KEPT = 8
"""Distinct old tag regions whose plans a run keeps (each holds a few tags' worth of bytes)."""


@dataclass
class HeadPlan:
    """What re-tagging one old tag region means: the fields that change (with their old values)
    and the new frames; the bytes to write are derived once and shared by every such file."""

    changed: list[str]
    frames: bytes
    before: dict[str, Any]
    derived: dict[Any, Any] = dataclass_field(default_factory=dict)


class Renderer:
    """Our frames for one set of values, rendered once and reused for every file of a run."""

    def __init__(self, values: dict[str, Any]):
        lang = id3_store.alpha3(values.get("language"))
        self.frames: dict[str, list[bytes]] = {}  # field -> its frames (sorted)
        self.owner: dict[str, str] = {}  # table key -> field
        for field in FIELDS:
            value = values.get(field.name)
            if value is None:
                continue
            tags = id3.ID3()
            id3_store.write_field(tags, field, value, lang)
            rendered = _render(tags)
            self.frames[field.name] = sorted(frame for _, frame in rendered.frames)
            for key in field.id3:
                self.owner[key] = field.name
        # Biggest fields first (artwork, transcript): a re-tag that changes a small field (a
        # title) then rewrites only the few hundred bytes after it, not the picture.
        order = sorted(self.frames, key=lambda name: -sum(map(len, self.frames[name])))
        self.block = b"".join(f for name in order for f in self.frames[name])
        self._plans: dict[bytes, HeadPlan | None] = {}

    def plan(self, old_head: bytes) -> HeadPlan | None:
        """The re-tag of one old tag region (None: not for this fast path), worked out once per
        distinct region: the files of one run usually carry the same tag, byte for byte."""
        if old_head in self._plans:
            return self._plans[old_head]
        raw = split(old_head)
        result = None
        if raw is not None and raw.size == len(old_head):
            changed, frames, old = self.retag(raw)
            result = HeadPlan(changed, frames, old_values(old) if changed else {})
        if len(self._plans) >= PLANS_KEPT:
            del self._plans[next(iter(self._plans))]
        self._plans[old_head] = result
        return result

    def retag(self, raw: RawTag) -> tuple[list[str], bytes, dict[str, list[bytes]]]:
        """(changed fields, new frames, old frames of the changed fields)."""
        kept: list[bytes] = []
        old: dict[str, list[bytes]] = {}
        for ident, frame in raw.frames:
            field = self.owner.get(frame_key(ident, frame))
            if field is None:
                kept.append(frame)
            else:
                old.setdefault(field, []).append(frame)
        changed = [name for name, frames in self.frames.items()
                   if sorted(old.get(name, [])) != frames]
        return changed, b"".join(kept) + self.block, {n: old.get(n, []) for n in changed}


def _render(tags: id3.ID3) -> RawTag:
    buffer = io.BytesIO(bytes(128))
    tags.save(buffer, v1=id3.ID3v1SaveOptions.UPDATE, v2_version=4, padding=lambda info: 0)
    raw = split(buffer.getvalue()[:-128])
    assert raw is not None
    return raw


def tag_bytes(frames: bytes, size: int) -> bytes:
    """A whole v2.4 tag region of `size` bytes: header, frames, zero padding."""
    return b"ID3\x04\x00\x00" + to_synchsafe(size - 10) + frames + bytes(size - 10 - len(frames))


def old_values(old: dict[str, list[bytes]]) -> dict[str, Any]:
    """Decode just the frames of the changed fields (for the old -> new report)."""
    frames = b"".join(f for fs in old.values() for f in fs)
    if not frames:
        return {}
    tags = id3.ID3(io.BytesIO(tag_bytes(frames, 10 + len(frames))))
    found = id3_store.read(tags, [name for name in old if name in BY_NAME])
    return {name: found.get(name) for name in old}
