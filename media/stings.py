"""Intro and outro stings: short audio, held whole in memory with pydub, conformed once.

A sting is short by definition, so it is the one audio segpack holds whole (the programme itself
streams through ffmpeg, `media.assemble`). Before anything is decoded, its header must say it
lasts at most `MAX_SECONDS`; a longer file (a programme named by mistake) is refused in one
line. It is then decoded once by the ffmpeg segpack uses into the programme's sample format:
44.1 kHz 16-bit, mono or stereo (surround folded to stereo by ffmpeg's downmix, which knows
every layout, and resampled by ffmpeg's resampler, which filters what pydub's `audioop` one
would alias). pydub holds the samples: the digital silence at the sting's outer end (before an
intro, after an outro: dead air nobody puts there on purpose) is cut at the sample, the gap
next to the speech (after an intro, before an outro) is kept as the producer made it, and the
exact length in samples is known, so every time in the programme can be moved by it exactly
(`media.assemble.Placement`).

The conformed sting is kept as a WAV file under a key of its content (`conformed`): the build
keeps it in its cache (`.segpack-cache/<output>/stings/`), other callers in the user cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segment.errors import MediaError
from segment.timecode import format_duration
from segment.userfiles import file_problem

MAX_SECONDS = 60.0
"""The longest intro or outro accepted (a minute: a sting, a sponsor read; not a programme)."""
RATE = 44100
"""Sample rate of everything assembled (`media.assemble`)."""
SILENCE_DBFS = -80.0
"""Samples at or under this level are digital silence (zeros, or a dither's last bits)."""
FORMAT = 1
"""Bump when what `conformed` makes from the same file changes."""
ROLES = ("intro", "outro")


@dataclass(frozen=True)
class Sting:
    """A conformed sting: a WAV at `RATE` of exactly `frames` samples per channel."""

    role: str
    path: Path
    frames: int
    channels: int

    @property
    def seconds(self) -> float:
        return self.frames / RATE

    def absolute(self) -> Sting:
        return Sting(self.role, Path(os.path.abspath(self.path)), self.frames, self.channels)


def default_cache() -> Path:
    """Where conformed stings are kept outside a build: the user cache folder."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("segpack", appauthor=False)) / "stings"


def conformed(source: Path, role: str, cache: Path | None = None) -> Sting:
    """The sting `source` conformed for an `role` ("intro" or "outro"), made once per content
    and kept in `cache` (default: `default_cache()`). MediaError naming the file when it is not
    a regular file, not audio, longer than MAX_SECONDS, or silent."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    problem = file_problem(source, "an audio file")
    if problem is not None:
        raise MediaError(f"{role} {problem} (paths are relative to the show folder)",
                         path=source)
    folder = cache or default_cache()
    digest = hashlib.sha256(f"{FORMAT} {role} {RATE} {SILENCE_DBFS}\n".encode())
    with open(source, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    target = folder / f"{role}-{digest.hexdigest()[:32]}.wav"
    kept = _read_kept(role, target)
    if kept is not None:
        return kept
    audio = load(source, role)
    frames = int(audio.frame_count())
    folder.mkdir(parents=True, exist_ok=True)
    handle_fd, temp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle_fd, "wb") as out:
            audio.export(out, format="wav")  # pydub writes WAV itself (no ffmpeg)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return Sting(role, target, frames, audio.channels)


def _read_kept(role: str, path: Path) -> Sting | None:
    """A sting conformed earlier, when its WAV is whole; None when absent or torn."""
    try:
        with wave.open(str(path), "rb") as kept:
            frames, channels = kept.getnframes(), kept.getnchannels()
            size = path.stat().st_size
    except (OSError, EOFError, wave.Error):
        return None
    if frames <= 0 or size < 44 + frames * channels * 2:
        return None
    return Sting(role, path, frames, channels)


def load(source: Path, role: str) -> Any:
    """The sting as a pydub AudioSegment: bounded from its header, decoded and conformed by
    ffmpeg, its outer digital silence cut. MediaError naming the file otherwise."""
    from media.assemble import ffmpeg_input, header_facts
    from media.ffmpeg import run_ffmpeg

    duration, channels = header_facts(source)
    if duration is not None and duration > MAX_SECONDS:
        raise MediaError(_too_long(role, duration), path=source)
    channels = min(channels, 2)
    done = run_ffmpeg(["-nostdin", "-v", "error", "-i", ffmpeg_input(source), "-map", "0:a:0",
                       "-t", f"{MAX_SECONDS + 1:g}", "-ac", str(channels), "-ar", str(RATE),
                       "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"], check=False)
    if done.returncode != 0 or not done.stdout:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(f"{role}: ffmpeg cannot decode it: "
                         f"{lines[-1] if lines else 'no audio'}", path=source)
    audio = audio_segment()(data=done.stdout[:len(done.stdout) // (2 * channels) * 2 * channels],
                         sample_width=2, frame_rate=RATE, channels=channels)
    if audio.frame_count() > MAX_SECONDS * RATE:  # the header understated it
        raise MediaError(_too_long(role, audio.duration_seconds, "at least "), path=source)
    start, end = sound_bounds(audio)
    if start >= end:
        raise MediaError(f"{role} is silent (nothing above {SILENCE_DBFS:g} dBFS)", path=source)
    if role == "intro":
        return audio.get_sample_slice(start, None)
    return audio.get_sample_slice(None, end)


def audio_segment() -> Any:
    """pydub's AudioSegment, imported quietly: pydub warns at import when no ffmpeg is on PATH
    (segpack decodes with its own, `media.ffmpeg`) and Python 3.11-3.12 that `audioop` is
    deprecated (3.13 on gets it from the audioop-lts package)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    return AudioSegment


def _too_long(role: str, seconds: float, qualifier: str = "") -> str:
    return (f"{role} lasts {qualifier}{format_duration(round(seconds, 1))}; a sting may last at "
            f"most {MAX_SECONDS:g} s (an intro or outro, not a programme): shorten it")


def sound_bounds(audio: Any, chunk: int = 441) -> tuple[int, int]:
    """(first, one past the last) frame above SILENCE_DBFS; (n, n) when none is. Scans
    `chunk`-frame pieces with pydub (its peak is computed in C), then samples in the two
    pieces where the sound starts and ends.

    >>> import array
    >>> quiet = array.array("h", [0, 1, -2, 900, 0, 5000, -1, 0])
    >>> sound_bounds(audio_segment()(data=quiet.tobytes(), sample_width=2, frame_rate=44100,
    ...                           channels=1), chunk=3)
    (3, 6)
    """
    limit = round((1 << 15) * 10 ** (SILENCE_DBFS / 20))
    frames = int(audio.frame_count())

    def loud(index: int) -> bool:
        piece = audio.get_sample_slice(index, min(index + chunk, frames))
        return bool(piece.max > limit)

    def first_loud_frame(piece_start: int) -> int:
        piece = audio.get_sample_slice(piece_start, min(piece_start + chunk, frames))
        samples = piece.get_array_of_samples()
        at = next(i for i, s in enumerate(samples) if abs(s) > limit)
        return piece_start + at // audio.channels

    def last_loud_frame(piece_start: int) -> int:
        piece = audio.get_sample_slice(piece_start, min(piece_start + chunk, frames))
        samples = piece.get_array_of_samples()
        at = max(i for i, s in enumerate(samples) if abs(s) > limit)
        return piece_start + at // audio.channels + 1

    starts = range(0, frames, chunk)
    first = next((s for s in starts if loud(s)), None)
    if first is None:
        return frames, frames
    last = next(s for s in reversed(starts) if loud(s))
    return first_loud_frame(first), last_loud_frame(last)
