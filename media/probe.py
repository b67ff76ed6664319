"""Probe an audio file: container (by content, never by extension), codec, duration and where the
duration came from, bitrate, sample rate, channels, size and SHA-256.

mutagen first (it reads headers only); ffmpeg second, decoding to the null muxer, when mutagen
cannot read the file or when its length is only an estimate and the caller asks for accuracy.
Every way a file is not usable audio is one MediaError line naming the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from media.oserrors import as_media_errors
from segment.errors import MediaError

MIMES = {"mp3": "audio/mpeg", "mp4": "audio/mp4", "ogg-vorbis": "audio/ogg",
         "ogg-opus": "audio/ogg", "flac": "audio/flac", "wav": "audio/wav"}
CONTAINERS = tuple(MIMES)
OTHER_FORMATS = [(b"FORM", "AIFF"), (b"\x1aE\xdf\xa3", "Matroska/WebM"), (b"#!AMR", "AMR"),
                 (b"MThd", "MIDI"), (b"%PDF", "PDF"), (b"PK\x03\x04", "ZIP"),
                 (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
                 (b"wvpk", "WavPack"), (b"MAC ", "Monkey's Audio"), (b"ADIF", "ADIF AAC")]


@dataclass(frozen=True)
class AudioInfo:
    """Technical facts about one audio file."""

    path: str
    container: str
    codec: str
    mime: str
    duration: float
    duration_source: str  # "header" | "estimate" | "decoded"
    bitrate: int | None
    sample_rate: int | None
    channels: int | None
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _id3_size(head: bytes) -> int:
    """Bytes taken by a leading ID3v2 tag (0 when none)."""
    if len(head) < 10 or not head.startswith(b"ID3"):
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return 10 + size + (10 if head[5] & 0x10 else 0)


def _mpeg_sync(data: bytes) -> bool:
    """An MPEG audio frame header (layer I-III), not ADTS AAC (layer bits 00)."""
    return (len(data) >= 4 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0
            and data[1] & 0x06 != 0 and data[2] & 0xF0 != 0xF0)


def sniff(path: Path) -> str:
    """The container by its first bytes; MediaError for anything segpack does not handle."""
    with as_media_errors(path), open(path, "rb") as handle:
        head = handle.read(4096)
        skip = _id3_size(head)
        after = head[skip:skip + 64] if skip < len(head) else b""
        if skip >= len(head):
            handle.seek(skip)
            after = handle.read(64)
    if not head:
        raise MediaError("empty file (0 bytes), not audio", path)
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"OggS"):
        if b"OpusHead" in head[:128]:
            return "ogg-opus"
        if b"\x01vorbis" in head[:128]:
            return "ogg-vorbis"
        raise MediaError("Ogg file with a codec other than Vorbis or Opus (unsupported)", path)
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if after.startswith(b"fLaC"):
        return "flac"
    if skip:
        if after.startswith(b"\xff") or after.strip(b"\0") == b"" or _mpeg_sync(after):
            return "mp3"
        raise MediaError("an ID3 tag followed by something that is not MPEG audio", path)
    if _mpeg_sync(head):
        return "mp3"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        raise MediaError("raw ADTS AAC stream (unsupported): put it in an M4A container "
                         "(ffmpeg -i in.aac -c copy out.m4a)", path)
    for magic, name in OTHER_FORMATS:
        if head.startswith(magic):
            raise MediaError(f"not a format segpack handles ({name}); use MP3, M4A, Ogg Vorbis, "
                             "Opus, FLAC or WAV", path)
    if _looks_like_text(head):
        raise MediaError("a text file, not audio (whatever its name says)", path)
    raise MediaError("unsupported or unrecognised container (expected MP3, M4A, Ogg Vorbis, "
                     "Opus, FLAC or WAV)", path)


def _looks_like_text(head: bytes) -> bool:
    if b"\0" in head[:1024]:
        return False
    try:
        head[:1024].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > 1000  # cut in the middle of a character at the end
    return True


def load_mutagen(path: Path, container: str) -> Any:
    """The mutagen file object for a sniffed container; MediaError when mutagen refuses it."""
    import mutagen

    cls: type[mutagen.FileType]
    try:
        if container == "mp3":
            from mutagen.mp3 import MP3 as cls
        elif container == "mp4":
            from mutagen.mp4 import MP4 as cls
        elif container == "ogg-vorbis":
            from mutagen.oggvorbis import OggVorbis as cls
        elif container == "ogg-opus":
            from mutagen.oggopus import OggOpus as cls
        elif container == "flac":
            from mutagen.flac import FLAC as cls
        else:
            from mutagen.wave import WAVE as cls
        audio = cls(path)
    except mutagen.MutagenError as exc:
        raise MediaError(f"cannot read as {container}: {_reason(exc)}", path) from None
    if container == "wav" and not getattr(audio.info, "_number_of_samples", 1):
        # mutagen stops at a chunk whose size runs past the end and reports 0 s; so would every
        # player: refuse it rather than tag (or publish) a file with no audio in it
        raise MediaError("WAV file with no audio data (no 'data' chunk found: damaged chunk "
                         "sizes?); re-export it", path)
    return audio


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def _codec(container: str, info: Any) -> str:
    if container == "mp4":
        codec = getattr(info, "codec", "") or ""
        return {"mp4a.40.2": "aac", "mp4a.40.5": "aac-he", "mp4a.40.29": "aac-he-v2",
                "alac": "alac", "mp4a.6b": "mp3", "mp4a.69": "mp3", "ac-3": "ac3",
                "ec-3": "eac3"}.get(codec, codec or "unknown")
    if container == "mp3":
        layer = getattr(info, "layer", 3)
        return "mp3" if layer == 3 else f"mp{layer}"
    return {"ogg-vorbis": "vorbis", "ogg-opus": "opus", "flac": "flac", "wav": "pcm"}[container]


def check_mp3_complete(path: Path, info: Any, size: int, tag_bytes: int) -> None:
    """A truncated MP3 whose Xing/Info header promises more audio than the file holds."""
    from mutagen.mp3 import BitrateMode

    if info.bitrate_mode == BitrateMode.UNKNOWN or not info.bitrate or not info.length:
        return
    expected = info.bitrate * info.length / 8
    present = size - tag_bytes
    if present < 0.9 * expected - 4096:
        raise MediaError(f"truncated MP3: its header promises {info.length:.1f} s but only "
                         f"{100 * present / expected:.0f}% of the audio is there", path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


_TIME = re.compile(rb"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_AUDIO = re.compile(rb"Audio: (\w+)[^,]*, (\d+) Hz, ([^,]+)")


def decoded_duration(path: Path) -> tuple[float, str | None, int | None, int | None]:
    """Decode the first audio stream to the null muxer: (seconds, codec, rate, channels)."""
    from media.ffmpeg import run_ffmpeg

    done = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-f", "null", "-"], check=False)
    found = _TIME.findall(done.stderr)
    if done.returncode != 0 or not found:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(f"ffmpeg cannot decode it: {last[-1] if last else 'no audio'}", path)
    hours, minutes, seconds = found[-1]
    codec = rate = channels = None
    if match := _AUDIO.search(done.stderr):
        codec, rate = match.group(1).decode(), int(match.group(2))
        layout = match.group(3).decode()
        channels = {"mono": 1, "stereo": 2}.get(layout)
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds), codec, rate, channels


def probe(path: str | Path, *, accurate: bool = False, hash: bool = True) -> AudioInfo:
    """Technical facts about `path`; `accurate` decodes with ffmpeg when mutagen only estimates."""
    path = Path(path)
    container = sniff(path)
    size = path.stat().st_size
    audio = load_mutagen(path, container)
    info = audio.info
    duration = float(getattr(info, "length", 0.0) or 0.0)
    source = "header"
    if container == "mp3":
        tag_bytes = getattr(audio.tags, "size", 0) if audio.tags is not None else 0
        check_mp3_complete(path, info, size, tag_bytes)
        from mutagen.mp3 import BitrateMode

        if info.sketchy or info.bitrate_mode == BitrateMode.UNKNOWN:
            source = "estimate"
    if duration <= 0 and container != "wav":
        source = "estimate"
    if accurate and source == "estimate":
        duration, _, _, _ = decoded_duration(path)
        source = "decoded"
    bitrate = getattr(info, "bitrate", None) or None
    if bitrate is None and duration > 0:
        bitrate = round(size * 8 / duration)
    rate = getattr(info, "sample_rate", None) or (48000 if container == "ogg-opus" else None)
    return AudioInfo(str(path), container, _codec(container, info), MIMES[container],
                     round(duration, 3), source, bitrate, rate,
                     getattr(info, "channels", None), size, sha256_of(path) if hash else "")
