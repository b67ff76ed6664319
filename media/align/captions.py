"""Caption files: WebVTT (webvtt-py) and SubRip (srt), with the alignment's cache key inside.

The first NOTE of a WebVTT file written by `segpack align` names what it was aligned from:

    NOTE segpack align 1: text 3f2a..., audio 9c41..., voice en-us, match 0.81

so running `align` again on the same text and audio finds the file up to date and changes
nothing; the key travels with the file through git, with no cache folder to keep.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from media.align.aligner import TimedCue

FORMAT = 1
"""Bumped when the aligner changes what it writes for the same inputs."""
_NOTE = re.compile(r"^NOTE segpack align (\d+): text (\w+), audio (\w+)", re.M)


def text_key(transcript: str, language: str, voice: str, anchors: Sequence[int]) -> str:
    """What the cues and the reference depend on (the audio is keyed separately)."""
    blob = "\x00".join([str(FORMAT), language, voice, ",".join(map(str, anchors)), transcript])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def cached_key(path: Path) -> tuple[str, str] | None:
    """(text key, audio key) recorded in an existing caption file, when it is ours."""
    try:
        head = path.read_text(encoding="utf-8-sig")[:2000]
    except (OSError, UnicodeDecodeError):
        return None
    match = _NOTE.search(head)
    if not match or int(match.group(1)) != FORMAT:
        return None
    return match.group(2), match.group(3)


def cue_starts(path: Path) -> list[float]:
    """Start times of the cues of a WebVTT file (for chapters, on a cached run)."""
    import webvtt

    from segment.timecode import parse_duration

    return [parse_duration(c.start) for c in webvtt.read(str(path)).captions]


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def webvtt_text(cues: Sequence[TimedCue], note: str) -> str:
    import webvtt

    doc = webvtt.WebVTT(header_comments=[note], captions=[
        webvtt.Caption(_stamp(c.start), _stamp(c.end), c.cue.text.split("\n")) for c in cues])
    return doc.content.rstrip("\n") + "\n"


def srt_text(cues: Sequence[TimedCue]) -> str:
    import srt

    return srt.compose([srt.Subtitle(k + 1, timedelta(seconds=c.start),
                                     timedelta(seconds=c.end), c.cue.text)
                        for k, c in enumerate(cues)])


def note_line(text_hash: str, audio_hash: str, voice: str, score: float) -> str:
    return (f"segpack align {FORMAT}: text {text_hash}, audio {audio_hash}, voice {voice}, "
            f"match {score:.2f}")


def read_back(text: str) -> int:
    """Number of cues a second reader (webvtt-py) finds in our WebVTT; raises on bad files."""
    import webvtt

    return len(webvtt.from_buffer(io.StringIO(text)).captions)
