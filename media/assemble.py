"""Assemble what gets encoded: optional intro/outro stings and silence trimmed at the ends.

The result is a `Plan`: ffmpeg input arguments plus, when needed, a filter graph ending in
`[out]`, so that the loudness measurement and the encode pass decode exactly the same audio.

Segment-length items (up to `STREAM_ABOVE` seconds) are assembled in memory with pydub and
handed over as one temporary WAV. Longer programmes never load into memory (pydub would hold
hours of PCM: 5.5 GB for 3 hours): they stream through an ffmpeg graph (`atrim` + `concat`),
with the ends found by one streaming `silencedetect` pass.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from media.ffmpeg import ffmpeg_path, run_ffmpeg
from segment.errors import MediaError
from segment.models import AudioSettings

#: Inputs longer than this (seconds) stream through ffmpeg instead of pydub.
STREAM_ABOVE = 15 * 60
#: What counts as silence at the ends (dBFS) and the shortest stretch worth trimming (s).
SILENCE_DB = -50.0
SILENCE_MIN = 0.3

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO = re.compile(r"Stream #\d+:\d+[^:]*: Audio: [^\n]*?, \d+ Hz, (?P<layout>[^,\n]+)")


@dataclass
class Plan:
    """What to decode: ffmpeg input args, an optional graph ending in [out], channel count."""

    inputs: list[str]
    graph: str | None
    channels: int
    temp_files: list[Path] = field(default_factory=list)


def ffmpeg_input(path: Path | str) -> str:
    """An absolute `file:` URL, so a name like `a:b.mp3` is never taken for a protocol."""
    return "file:" + os.path.abspath(path)


def header_facts(path: Path) -> tuple[float | None, int]:
    """(duration in seconds or None, channel count) from ffmpeg's header read: no decoding."""
    done = run_ffmpeg(["-i", ffmpeg_input(path)], check=False)
    text = done.stderr.decode("utf-8", "replace")
    stream = _AUDIO.search(text)
    if not stream:
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        why = lines[-1].strip() if lines else "no audio stream"
        if "At least one output file" in why:
            why = "no audio stream"
        raise MediaError(f"ffmpeg cannot read audio from it: {why}", path=path)
    from media.loudness import _channels  # the one layout-word parser

    found = _DURATION.search(text)
    duration = None
    if found:
        h, m, s = found.groups()
        duration = int(h) * 3600 + int(m) * 60 + float(s)
    return duration, _channels(stream["layout"])


def resolve_sting(name: str | None, show_dir: Path | None) -> Path | None:
    """An intro/outro path from show.yaml, relative to the show folder (else the cwd)."""
    if not name:
        return None
    path = Path(name)
    if not path.is_absolute():
        path = (show_dir or Path.cwd()) / path
    if not path.is_file():
        raise MediaError("sting not found (paths are relative to the show folder)", path=path)
    return path


@contextlib.contextmanager
def plan(src: Path, settings: AudioSettings, show_dir: Path | None = None) -> Iterator[Plan]:
    """The plan for `src` under `settings`; temporary files go when the block ends."""
    intro = resolve_sting(settings.intro, show_dir)
    outro = resolve_sting(settings.outro, show_dir)
    duration, channels = header_facts(src)
    out_channels = min(channels, 2)
    if not (intro or outro or settings.trim_silence):
        graph = None
        if channels > 2:  # podcasts are mono or stereo: ffmpeg's own downmix
            graph = "[0:a:0]aformat=channel_layouts=stereo[out]"
        yield Plan([*_in(src)], graph, out_channels)
        return
    if duration is not None and duration <= STREAM_ABOVE:
        with tempfile.TemporaryDirectory(prefix="segpack-assemble-") as tmp:
            wav = Path(tmp) / "assembled.wav"
            segment = assemble_in_memory(src, intro, outro, settings.trim_silence, Path(tmp))
            if segment.channels > 2:
                segment = segment.set_channels(2)
            segment.export(wav, format="wav")
            yield Plan([*_in(wav)], None, segment.channels, [wav])
        return
    yield stream_plan(src, intro, outro, settings.trim_silence, out_channels)


def _in(path: Path) -> list[str]:
    return ["-i", ffmpeg_input(path)]


# --- segment length: pydub ---------------------------------------------------------------

def _pydub():
    """pydub, pointed at our ffmpeg (it warns at import when none is on PATH)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Couldn't find ffmpeg": we set it
        warnings.simplefilter("ignore", DeprecationWarning)  # pydub's own audioop import
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_path()
    return AudioSegment


def load_segment(path: Path, tmp: Path):
    """Decode any input to a WAV with ffmpeg, then load it (pydub's WAV path needs no ffprobe)."""
    wav = tmp / f"{len(list(tmp.iterdir()))}.wav"
    run_ffmpeg(["-i", ffmpeg_input(path), "-map", "0:a:0", "-c:a", "pcm_s16le", "-f", "wav",
                str(wav)])
    return _pydub().from_file(wav, format="wav")


def assemble_in_memory(src: Path, intro: Path | None, outro: Path | None, trim: bool,
                       tmp: Path):
    """intro + (trimmed) body + outro as one pydub AudioSegment."""
    _pydub()
    from pydub.silence import detect_leading_silence

    body = load_segment(src, tmp)
    if trim:
        chunk = 10  # ms
        start = detect_leading_silence(body, SILENCE_DB, chunk)
        end = len(body)  # walk back over trailing silence (no reversed copy of the audio)
        while end - chunk >= start and body[end - chunk:end].dBFS < SILENCE_DB:
            end -= chunk
        body = body[start:end] if end > start else body[:0]
    parts = [load_segment(p, tmp) for p in (intro,) if p] + [body]
    parts += [load_segment(p, tmp) for p in (outro,) if p]
    result = parts[0]
    for part in parts[1:]:
        result = result + part  # pydub matches rate/channels/width to the larger of the two
    return result


# --- programme length: ffmpeg streaming ----------------------------------------------------

def speech_bounds(src: Path) -> tuple[float, float | None]:
    """(start, end) of the audio between leading and trailing silence, in one streaming pass."""
    done = run_ffmpeg(["-nostats", "-i", ffmpeg_input(src), "-map", "0:a:0", "-af",
                       f"silencedetect=n={SILENCE_DB}dB:d={SILENCE_MIN}", "-f", "null", "-"],
                      check=False)
    text = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise MediaError("ffmpeg cannot decode it", path=src)
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", text)]
    ends = [float(x) for x in re.findall(r"silence_end: (-?[\d.]+)", text)]
    times = re.findall(r"time=(\d+):(\d\d):(\d\d(?:\.\d+)?)", text)
    total = None
    if times:
        h, m, s = times[-1]
        total = int(h) * 3600 + int(m) * 60 + float(s)
    start = ends[0] if starts and starts[0] <= 0.01 and ends else 0.0
    end = None
    if starts and starts[-1] > start and (len(ends) < len(starts) or
                                         (total is not None and ends[-1] >= total - 0.05)):
        end = starts[-1]
    return start, end


def stream_plan(src: Path, intro: Path | None, outro: Path | None, trim: bool,
                channels: int) -> Plan:
    """An ffmpeg graph: each part resampled to one format, the body trimmed, then concat."""
    layout = "mono" if channels == 1 else "stereo"
    common = f"aresample=44100,aformat=sample_fmts=fltp:channel_layouts={layout}"
    inputs: list[str] = []
    chains: list[str] = []
    labels: list[str] = []
    for role, path in (("i", intro), ("b", src), ("o", outro)):
        if path is None:
            continue
        index = len(labels)
        inputs += _in(path)
        trim_filter = ""
        if role == "b" and trim:
            start, end = speech_bounds(src)
            bounds = f"start={start:.3f}" + (f":end={end:.3f}" if end is not None else "")
            trim_filter = f"atrim={bounds},asetpts=PTS-STARTPTS,"
        chains.append(f"[{index}:a:0]{trim_filter}{common}[p{index}]")
        labels.append(f"[p{index}]")
    graph = ";".join(chains) + ";" + "".join(labels) + f"concat=n={len(labels)}:v=0:a=1[out]"
    return Plan(inputs, graph, channels)
