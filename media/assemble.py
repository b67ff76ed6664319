"""Assemble what gets encoded: optional intro/outro stings and silence trimmed at the ends.

The result is a `Plan`: ffmpeg input arguments plus, when needed, a filter graph ending in
`[out]`, so that the loudness measurement and the encode pass decode exactly the same audio;
and, when the programme is edited, its `Placement`: where the item's own audio starts in the
result, so chapters and captions can be moved to the published file's times.

The programme streams through ffmpeg (`atrim` + `concat`, the ends found by one streaming
`silencedetect` pass), whatever its length: memory stays flat and any channel layout works.
pydub held whole items in memory before and crashed on surround input (a 14-minute 7.1
192 kHz file reached 4.9 GB first); streamed, the same edit peaks at about 110 MB for the
whole process tree (issue 18, item 11; `bench/bench_encode.py` measures it). Only the stings,
short by definition, are held whole: `media.stings` conforms each once (pydub), so its length
in samples is exact.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from media.ffmpeg import run_ffmpeg
from media.stings import RATE, Sting, conformed
from segment.errors import MediaError
from segment.models import AudioSettings
from segment.userfiles import file_problem

#: What counts as silence at the ends (dBFS) and the shortest stretch worth trimming (s).
SILENCE_DB = -50.0
SILENCE_MIN = 0.3

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO = re.compile(r"Stream #\d+:\d+[^:]*: Audio: [^\n]*?, \d+ Hz, (?P<layout>[^,\n]+)")


@dataclass(frozen=True)
class Placement:
    """Where the item's own audio sits in an edited programme: source time t is heard at
    t + offset, from `start` (the intro's length) to `outro` seconds before the end."""

    offset: float
    start: float
    outro: float

    def as_list(self) -> list[float]:
        return [self.offset, self.start, self.outro]


@dataclass
class Plan:
    """What to decode: ffmpeg input args, an optional graph ending in [out], channel count,
    and where the item lands in the result (None: where it was, nothing added or cut)."""

    inputs: list[str]
    graph: str | None
    channels: int
    placement: Placement | None = None


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


def conformed_stings(settings: AudioSettings, show_dir: Path | None,
                     cache: Path | None = None) -> dict[str, Sting]:
    """The show's intro and outro as `media.stings` conforms them (kept in `cache`)."""
    found = {}
    for role in ("intro", "outro"):
        path = resolve_sting(getattr(settings, role), show_dir)
        if path is not None:
            found[role] = conformed(path, role, cache)
    return found


def plan(src: Path, settings: AudioSettings, show_dir: Path | None = None,
         stings: dict[str, Sting] | None = None) -> Plan:
    """The plan for `src` under `settings` (mono stays mono; stereo and more become stereo).
    `stings`: the intro and outro already conformed (else conformed here, `media.stings`)."""
    if stings is None:
        stings = conformed_stings(settings, show_dir)
    channels = header_facts(src)[1]
    if not (stings or settings.trim_silence):
        graph = None
        if channels > 2:  # podcasts are mono or stereo: ffmpeg's own downmix
            graph = "[0:a:0]aformat=channel_layouts=stereo[out]"
        return Plan([*_in(src)], graph, min(channels, 2))
    # a stereo sting makes the whole item stereo (mono speech then plays in both ears)
    widest = max([channels] + [s.channels for s in stings.values()])
    return stream_plan(src, stings.get("intro"), stings.get("outro"), settings.trim_silence,
                       min(widest, 2))


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


def stream_plan(src: Path, intro: Sting | None, outro: Sting | None, trim: bool,
                channels: int) -> Plan:
    """An ffmpeg graph: each part resampled to one format, the body trimmed, then concat."""
    layout = "mono" if channels == 1 else "stereo"
    common = f"aresample={RATE},aformat=sample_fmts=fltp:channel_layouts={layout}"
    inputs: list[str] = []
    chains: list[str] = []
    labels: list[str] = []
    lead = 0.0
    parts = (("i", intro.path if intro else None), ("b", src),
             ("o", outro.path if outro else None))
    for role, path in parts:
        if path is None:
            continue
        index = len(labels)
        inputs += _in(path)
        trim_filter = ""
        if role == "b" and trim:
            start, end = speech_bounds(src)
            lead = round(start, 3)
            bounds = f"start={lead:.3f}" + (f":end={end:.3f}" if end is not None else "")
            trim_filter = f"atrim={bounds},asetpts=PTS-STARTPTS,"
        chains.append(f"[{index}:a:0]{trim_filter}{common}[p{index}]")
        labels.append(f"[p{index}]")
    graph = ";".join(chains) + ";" + "".join(labels) + f"concat=n={len(labels)}:v=0:a=1[out]"
    start = intro.seconds if intro else 0.0
    return Plan(inputs, graph, channels,
                Placement(start - lead, start, outro.seconds if outro else 0.0))
