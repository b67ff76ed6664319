"""Probe an audio file: container (by content, never by extension), codec, duration and where the
duration came from, bitrate, sample rate, channels, size and SHA-256.

mutagen first (it reads headers only); ffmpeg second, decoding to the null muxer, when the
length is only an estimate and the caller asks for accuracy, and always when the header and the
file's size disagree: a duration that puts the average bitrate outside what real encodes of the
codec use (a 40 s MP3 whose Xing header claims 10 h averages 71 bit/s), or an MP3 whose header
accounts for far fewer bytes than the file holds. A file that is mostly zeros after its audio
(40 s of MP3 and then 2 GB of zeros) is refused, since it would be published as a 2 GB
enclosure; the zeros are found from the end of the file, never decoded (ffmpeg takes 20 s and
4 GB of memory to skip 2 GB of them). Every way a file is not usable audio is one MediaError
line naming the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from media import containers
from media.oserrors import as_media_errors
from segment.errors import MediaError
from segment.userfiles import open_regular

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


def sniff(path: Path) -> str:
    """The container by its first bytes; MediaError for anything segpack does not handle."""
    with as_media_errors(path), open_regular(path, what="an audio file") as handle:
        head = handle.read(4096)
        skip = _id3_size(head)
        after = head[skip:skip + 64] if skip < len(head) else b""
        if skip >= len(head):
            handle.seek(skip)
            after = handle.read(64)
    if not head:
        raise MediaError("empty file (0 bytes), not audio", path)
    for row in containers.CONTAINERS:  # `media.containers`: the first whose magic matches
        if row.magic(head, after, bool(skip)):
            return row.name
    if head.startswith(b"OggS"):
        raise MediaError("Ogg file with a codec other than Vorbis or Opus (unsupported)", path)
    if skip:
        raise MediaError("an ID3 tag followed by something that is not MPEG audio", path)
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        raise MediaError("raw ADTS AAC stream (unsupported): put it in an M4A container "
                         "(ffmpeg -i in.aac -c copy out.m4a)", path)
    for magic, name in OTHER_FORMATS:
        if head.startswith(magic):
            raise MediaError(f"not a format segpack handles ({name}); use "
                             f"{containers.listed()}", path)
    if _looks_like_text(head):
        raise MediaError("a text file, not audio (whatever its name says)", path)
    raise MediaError("unsupported or unrecognised container (expected "
                     f"{containers.listed()})", path)


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
    import importlib

    import mutagen

    module, name = containers.BY_NAME[container].mutagen.split(":")
    cls: type[mutagen.FileType] = getattr(importlib.import_module(module), name)
    try:
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
    return containers.BY_NAME[container].codec or "unknown"


def check_mp3_complete(path: Path, info: Any, size: int, tag_bytes: int) -> bool:
    """Raise for a truncated MP3 whose Xing/Info header promises more audio than the file's
    `size - tag_bytes` bytes hold; True when the header accounts for far fewer bytes than that
    (the header and the size disagree: decode)."""
    from mutagen.mp3 import BitrateMode

    if info.bitrate_mode == BitrateMode.UNKNOWN or not info.bitrate or not info.length:
        return False
    expected = info.bitrate * info.length / 8
    present = size - tag_bytes
    if present < 0.9 * expected - 4096:
        raise MediaError(f"truncated MP3: its header promises {info.length:.1f} s but only "
                         f"{100 * present / expected:.0f}% of the audio is there", path)
    return present > 1.5 * expected + 65536


#: Average bitrates (bit/s) that real encodes of each lossy codec fall within. A duration that
#: puts the file's audio bytes outside them disagrees with the file's size.
PLAUSIBLE_BPS = {"mp3": (4_000, 330_000), "mp2": (4_000, 400_000), "mp1": (4_000, 450_000),
                 "opus": (2_000, 520_000), "vorbis": (4_000, 520_000)}
OTHER_LOSSY_BPS = (4_000, 1_700_000)
"""AAC (up to 576 kbit/s stereo), AC-3 and E-AC-3 (up to 640 kbit/s and beyond)."""


def size_disagrees(codec: str, info: Any, duration: float, audio_bytes: int) -> bool:
    """True when `duration` cannot be right for `audio_bytes` of this codec.

    >>> size_disagrees("mp3", None, 36000.0, 160_000)   # a 40 s file claiming 10 h
    True
    >>> size_disagrees("mp3", None, 40.0, 160_000)      # 32 kbit/s
    False
    >>> from types import SimpleNamespace as Info          # 2 s of 22.05 kHz 16-bit mono WAV
    >>> size_disagrees("pcm", Info(sample_rate=22050, channels=1), 97391.5, 88278)
    True
    >>> size_disagrees("pcm", Info(sample_rate=22050, channels=1), 2.0, 88278)
    False
    """
    if duration <= 0 or audio_bytes <= 0:
        return False
    bps = audio_bytes * 8 / duration
    if codec in ("flac", "pcm", "alac"):  # lossless: never much above the PCM rate
        rate, channels = getattr(info, "sample_rate", 0), getattr(info, "channels", 0)
        bits = getattr(info, "bits_per_sample", 0) or 16
        if not (rate and channels):
            return False
        pcm = rate * channels * bits
        # PCM is never compressed: a WAV whose data chunk claims more bytes than the file
        # holds (0xFFFFFFFF, left by a tool writing to a pipe) gets a duration it cannot have
        return bps > 1.2 * pcm + 64_000 or (codec == "pcm" and bps < 0.9 * pcm)
    low, high = PLAUSIBLE_BPS.get(codec, OTHER_LOSSY_BPS)
    return not low <= bps <= high


ZERO_TAIL_MIN = 1 << 20
"""Zeros at the end worth a word (bytes); some tools pad to a sector or a few KB."""


def trailing_tags(handle: Any, size: int) -> int:
    """Bytes at the end of the file taken by tags that follow the audio: an ID3v1 record
    (128 bytes from `TAG`) and an APEv2 tag (32-byte `APETAGEX` footer, the size it gives, and
    a header when its flags say so), in that order from the end, as taggers leave them."""
    end = size
    if end >= 128:
        handle.seek(end - 128)
        if handle.read(3) == b"TAG":
            end -= 128
    if end >= 32:
        handle.seek(end - 32)
        footer = handle.read(32)
        if footer.startswith(b"APETAGEX"):
            length = int.from_bytes(footer[12:16], "little")
            header = 32 if int.from_bytes(footer[20:24], "little") & (1 << 31) else 0
            if length >= 32 and length + header <= end:
                end -= length + header
    return size - end


def zero_tail(path: Path, size: int) -> int:
    """How many bytes at the end of the file are zeros (0 unless the last 64 KB all are),
    not counting an ID3v1 or APEv2 tag after them (`trailing_tags`): zeros followed by a
    128-byte TAG record are padding still.

    Read backwards in 4 MB steps compared whole with zeros (memcmp speed), so 2 GB of zeros
    cost about a second of reading, not a decode."""
    step = 1 << 16
    with open(path, "rb") as handle:
        tags = trailing_tags(handle, size)
        size -= tags
        end = size
        while end > 0:
            start = max(0, end - step)
            handle.seek(start)
            chunk = handle.read(end - start)
            if chunk != bytes(len(chunk)):
                return size - start - len(chunk.rstrip(b"\0"))
            end = start
            step = 1 << 22
    return size


def check_padding(path: Path, size: int, zeros: int) -> None:
    """Refuse a file that is mostly zeros after its audio: it would be published whole."""
    if zeros < ZERO_TAIL_MIN or zeros < size // 10:
        return
    raise MediaError(f"{_mb(size)} file, but its last {_mb(zeros)} ({100 * zeros / size:.0f}%) "
                     f"are zeros after {_mb(size - zeros)} of audio: padding that podcast apps "
                     "would download; re-export the audio", path)


def refuse_padding(path: Path) -> None:
    """`check_padding` for a file about to be copied or encoded: before any gigabyte of zeros
    is copied into a build, or fed to ffmpeg (which holds them in memory)."""
    try:
        if sniff(path) == "wav":  # in PCM, zeros are silence
            return
    except MediaError:
        return  # not one of our containers (AIFF, WebM...): ffmpeg may still encode it
    size = path.stat().st_size
    check_padding(path, size, zero_tail(path, size))


def _hms(seconds: float) -> str:
    """'10:00:00', '0:40' (as a player shows a duration)."""
    from segment.timecode import format_duration

    return format_duration(round(seconds))


def _mb(size: int) -> str:
    """'2.1 GB', '160 KB': sizes as people read them (decimal units, like file managers)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


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
    from media.ffmpeg import run_ffmpeg, tool_problem

    done = run_ffmpeg(["-i", "file:" + str(Path(path).resolve()), "-map", "0:a:0", "-f", "null",
                       "-"], check=False)
    found = _TIME.findall(done.stderr)
    if b"Output file is empty" in done.stderr:  # 4.2 and 5.1 say time=00:00:00.00, 7.0 N/A
        found = []
    if done.returncode != 0 or not found:
        problem = tool_problem(done.stderr.decode("utf-8", "replace"))
        if problem:
            raise problem
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if done.returncode == 0 or not last:
            raise MediaError("ffmpeg finds no audio to decode in it", path)
        raise MediaError(f"ffmpeg cannot decode it: {last[-1]}", path)
    hours, minutes, seconds = found[-1]
    codec = rate = channels = None
    if match := _AUDIO.search(done.stderr):
        codec, rate = match.group(1).decode(), int(match.group(2))
        layout = match.group(3).decode()
        channels = {"mono": 1, "stereo": 2}.get(layout)
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds), codec, rate, channels


def probe(path: str | Path, *, accurate: bool = False, hash: bool = True) -> AudioInfo:
    """Technical facts about `path`; `accurate` decodes with ffmpeg when mutagen only estimates
    (and any probe decodes when the header and the file's size disagree)."""
    path = Path(path)
    container = sniff(path)
    size = path.stat().st_size
    audio = load_mutagen(path, container)
    info = audio.info
    codec = _codec(container, info)
    zeros = 0 if container == "wav" else zero_tail(path, size)  # in WAV, zeros are silence
    check_padding(path, size, zeros)
    tag_bytes = getattr(audio.tags, "size", 0) if container == "mp3" and audio.tags else 0
    if container != "wav":  # ID3v1/APEv2 after the audio (an APE tag may hold a cover)
        with open(path, "rb") as handle:
            tag_bytes += trailing_tags(handle, size)
    audio_bytes = size - zeros - tag_bytes
    duration = float(getattr(info, "length", 0.0) or 0.0)
    source = "header"
    disagree = False
    if container == "mp3":
        disagree = check_mp3_complete(path, info, audio_bytes, 0)
        from mutagen.mp3 import BitrateMode

        if info.sketchy or info.bitrate_mode == BitrateMode.UNKNOWN:
            source = "estimate"
    if duration <= 0 and container != "wav":
        source = "estimate"
    disagree = disagree or size_disagrees(codec, info, duration, audio_bytes)
    bitrate = getattr(info, "bitrate", None) or None
    if disagree or (accurate and source == "estimate"):
        claimed = duration
        try:
            duration = decoded_duration(path)[0]
        except MediaError as exc:
            if not disagree:
                raise
            raise MediaError(f"its header claims {_hms(claimed)} of audio, which its "
                             f"{_mb(audio_bytes)} cannot hold, and {exc.message}", path) from None
        source = "decoded"
        if container == "mp3" and size_disagrees(codec, info, duration, audio_bytes) and \
                audio_bytes * 8 > PLAUSIBLE_BPS[codec][1] * duration:
            # every byte after the ID3v2 tag is MPEG frames: what the decoded audio cannot
            # account for is padding or foreign data, which podcast apps would download
            raise MediaError(f"{_mb(size)} file, but its {_hms(duration)} of audio fill at "
                             f"most {_mb(round(PLAUSIBLE_BPS[codec][1] * duration / 8))}: "
                             "the rest is padding or data that is not audio, which podcast "
                             "apps would download; re-export the audio", path)
        bitrate = round(audio_bytes * 8 / duration) if duration > 0 else bitrate
    if bitrate is None and duration > 0:
        bitrate = round(size * 8 / duration)
    rate = getattr(info, "sample_rate", None) or (48000 if container == "ogg-opus" else None)
    return AudioInfo(str(path), container, codec, containers.BY_NAME[container].mime,
                     round(duration, 3), source, bitrate, rate,
                     getattr(info, "channels", None), size, sha256_of(path) if hash else "")
