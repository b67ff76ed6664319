"""The audio containers segpack reads, tags and publishes: one row each.

A row says how the container is recognised by its first bytes (never by its name), which
mutagen class reads it, which tag family (`media.fieldtable`: ID3, MP4 or Vorbis comments)
holds its metadata, its MIME type, and the file names it goes by. `media.probe` sniffs and
loads through it, `media.tagging` picks the tag family, `segpack tag` compares the name with
the content. Adding a container with an existing tag family is one row (tests/test_containers.py
adds AIFF that way). Typing a direct link by its suffix alone (no file to look at) is
`segment.models.AUDIO_TYPES`, kept in `segment` since it may not import `media`; a test checks
each container's usual suffix has its entry there.

Rows are tried in order: the first whose `magic` matches the file's first bytes wins (MP3 last:
a frame sync is the loosest test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def mpeg_sync(data: bytes) -> bool:
    """An MPEG audio frame header (layer I-III), not ADTS AAC (layer bits 00)."""
    return (len(data) >= 4 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0
            and data[1] & 0x06 != 0 and data[2] & 0xF0 != 0xF0)


Magic = Callable[[bytes, bytes, bool], bool]
"""(the first 4 KB, the bytes after a leading ID3v2 tag, whether there is one) -> a match."""


@dataclass(frozen=True)
class Container:
    name: str
    label: str
    """How people name it (messages)."""
    magic: Magic
    mutagen: str
    """The mutagen class that reads it, as `module:Class`."""
    family: str
    """Its tag family: "id3", "mp4" or "vorbis"."""
    mime: str
    """The type published for it (enclosure type, `segpack tags`): for MP4 audio Apple's
    `audio/x-m4a`, the type its RSS guide lists (README, "What podcast directories accept"),
    which `segment.models.AUDIO_TYPES` gives a `.m4a` link too."""
    suffixes: tuple[str, ...]
    """File names it goes by, the usual one first."""
    codec: str | None = None
    """Its codec, when the container has only one (else read from the stream)."""


CONTAINERS = (
    Container("mp4", "MP4/M4A", lambda head, after, tagged: head[4:8] == b"ftyp",
              "mutagen.mp4:MP4", "mp4", "audio/x-m4a", (".m4a", ".mp4", ".m4b", ".aac", ".m4p")),
    Container("ogg-opus", "Ogg Opus",
              lambda head, after, tagged: head[:4] == b"OggS" and b"OpusHead" in head[:128],
              "mutagen.oggopus:OggOpus", "vorbis", "audio/ogg", (".opus", ".ogg", ".oga"),
              "opus"),
    Container("ogg-vorbis", "Ogg Vorbis",
              lambda head, after, tagged: head[:4] == b"OggS" and b"\x01vorbis" in head[:128],
              "mutagen.oggvorbis:OggVorbis", "vorbis", "audio/ogg", (".ogg", ".oga"), "vorbis"),
    Container("wav", "WAV", lambda head, after, tagged: head[:4] == b"RIFF" and
              head[8:12] == b"WAVE", "mutagen.wave:WAVE", "id3", "audio/wav", (".wav", ".wave"),
              "pcm"),
    Container("flac", "FLAC", lambda head, after, tagged: after[:4] == b"fLaC",
              "mutagen.flac:FLAC", "vorbis", "audio/flac", (".flac",), "flac"),
    Container("mp3", "MP3", lambda head, after, tagged: mpeg_sync(after) or (tagged and (
              after[:1] == b"\xff" or after.strip(b"\0") == b"")),
              "mutagen.mp3:MP3", "id3", "audio/mpeg", (".mp3",)),
)
BY_NAME = {row.name: row for row in CONTAINERS}


def listed() -> str:
    """The containers by name, for messages: "MP4/M4A, Ogg Opus, ... or MP3"."""
    labels = [row.label for row in CONTAINERS]
    return f"{', '.join(labels[:-1])} or {labels[-1]}"
