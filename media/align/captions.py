"""Caption files: WebVTT (webvtt-py) and SubRip (srt).

The WebVTT file's first NOTE says what it was aligned from (`segment.captions`), so running
`align` again on the same text and audio finds it up to date and changes nothing; the key
travels with the file through git, with no cache folder to keep.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from media.align.aligner import TimedCue
from segment.timecode import vtt_timestamp


def cue_starts(path: Path) -> list[float]:
    """Start times of the cues of a WebVTT file (for chapters, on a cached run)."""
    import webvtt

    from segment.timecode import parse_duration

    return [parse_duration(c.start) for c in webvtt.read(str(path)).captions]


def webvtt_text(cues: Sequence[TimedCue], note: str) -> str:
    import webvtt

    doc = webvtt.WebVTT(header_comments=[note], captions=[
        webvtt.Caption(vtt_timestamp(c.start), vtt_timestamp(c.end), c.cue.text.split("\n"))
        for c in cues])
    return doc.content.rstrip("\n") + "\n"


def srt_text(cues: Sequence[TimedCue]) -> str:
    import srt

    return srt.compose([srt.Subtitle(k + 1, timedelta(seconds=c.start),
                                     timedelta(seconds=c.end), c.cue.text)
                        for k, c in enumerate(cues)])


def read_back(text: str) -> int:
    """Number of cues a second reader (webvtt-py) finds in our WebVTT; raises on bad files."""
    import webvtt

    return len(webvtt.from_buffer(io.StringIO(text)).captions)
