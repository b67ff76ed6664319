"""Assemble what gets encoded: optional intro/outro stings and silence trimmed at the ends.

The result is a `Plan`: ffmpeg input arguments plus, when needed, a filter graph ending in
`[out]`, so that the loudness measurement and the encode pass decode exactly the same audio.

Every edit streams through ffmpeg (`atrim` + `concat`, the ends found by one streaming
`silencedetect` pass), whatever the length: memory stays flat and any channel layout works.
Items up to 15 minutes used to be assembled in memory with pydub, which crashed on surround
input (it converts only mono to many channels and back) and held the whole decoded item: a
14-minute 7.1 192 kHz file reached 4.9 GB before that crash; streamed, the same edit peaks at
about 110 MB for the whole process tree (issue 18, item 11; `bench/bench_encode.py` measures it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from media.ffmpeg import run_ffmpeg
from segment.errors import MediaError
from segment.models import AudioSettings
from segment.userfiles import file_problem

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
    problem = file_problem(path, "an audio file")
    if problem is not None:
        raise MediaError(f"sting {problem} (paths are relative to the show folder)", path=path)
    return path


def plan(src: Path, settings: AudioSettings, show_dir: Path | None = None) -> Plan:
    """The plan for `src` under `settings` (mono stays mono; stereo and more become stereo)."""
    intro = resolve_sting(settings.intro, show_dir)
    outro = resolve_sting(settings.outro, show_dir)
    channels = header_facts(src)[1]
    if not (intro or outro or settings.trim_silence):
        graph = None
        if channels > 2:  # podcasts are mono or stereo: ffmpeg's own downmix
            graph = "[0:a:0]aformat=channel_layouts=stereo[out]"
        return Plan([*_in(src)], graph, min(channels, 2))
    # a stereo sting makes the whole item stereo (mono speech then plays in both ears)
    widest = max([channels] + [header_facts(p)[1] for p in (intro, outro) if p])
    return stream_plan(src, intro, outro, settings.trim_silence, min(widest, 2))


def _in(path: Path) -> list[str]:
    return ["-i", ffmpeg_input(path)]


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
