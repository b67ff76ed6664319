"""Caption files moved to the published file's times (`segment.timeline`).

A captions file is timed against the source audio; when the build adds an intro or trims
silence, each cue moves by the same offset, stays within the item's own audio (never shown
over a sting), and a cue left with no time at all (wholly in what was trimmed) is dropped.
WebVTT is rewritten cue by cue: only the timings (and the timestamps inside cue text, as in
karaoke-style cues) change; headers, NOTE and STYLE blocks, identifiers and cue settings stay
as they were. SubRip goes through the `srt` library.

>>> from segment.timeline import Timeline
>>> vtt = ("WEBVTT\\n\\nNOTE made by hand\\n\\nfirst\\n00:00.500 --> 00:03.000 align:start\\n"
...        "Hello <00:01.250>there\\n\\n00:09.000 --> 00:12.000\\nBye\\n")
>>> print(shift_vtt(vtt, Timeline.of((2.0, 2.0, 0.0), duration=12.0)), end="")
WEBVTT
<BLANKLINE>
NOTE made by hand
<BLANKLINE>
first
00:00:02.500 --> 00:00:05.000 align:start
Hello <00:00:03.250>there
<BLANKLINE>
00:00:11.000 --> 00:00:12.000
Bye
"""

from __future__ import annotations

import re

from segment.timecode import vtt_timestamp
from segment.timeline import Timeline

_STAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^(\s*){_STAMP}([ \t]+-->[ \t]+){_STAMP}(.*)$")
_INLINE = re.compile(rf"<{_STAMP}>")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def shift_vtt(text: str, timeline: Timeline) -> str:
    """A WebVTT file's text with every cue at the published file's times (see the module)."""
    blocks = re.split(r"\n{2,}", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for block in blocks:
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None or lines[0].startswith(("NOTE", "STYLE", "REGION", "WEBVTT")):
            kept.append(block)
            continue
        match = _TIMING.match(lines[timing])
        if match is None:  # not a cue timing WebVTT readers accept: left as written
            kept.append(block)
            continue
        g = match.groups()
        source_start, source_end = _seconds(*g[1:5]), _seconds(*g[6:10])
        start = timeline.at(source_start)
        end = timeline.until(source_end, start, item_only=True)
        if end <= start and source_end > source_start:
            continue  # wholly in audio that was cut
        if (start, end) == (source_start, source_end):
            kept.append(block)  # as written, to the byte
            continue
        lines[timing] = f"{g[0]}{vtt_timestamp(start)}{g[5]}{vtt_timestamp(end)}{g[10]}"
        for i in range(timing + 1, len(lines)):
            lines[i] = _INLINE.sub(lambda m, start=start: "<" + vtt_timestamp(timeline.until(
                _seconds(*m.groups()), start, item_only=True)) + ">", lines[i])
        kept.append("\n".join(lines))
    return "\n\n".join(kept)


def shift_srt(text: str, timeline: Timeline) -> str:
    """A SubRip file's text with every cue at the published file's times (renumbered when a
    cue wholly in cut audio is dropped)."""
    from datetime import timedelta

    import srt

    cues: list[srt.Subtitle] = []
    for cue in srt.parse(text):
        source_start, source_end = cue.start.total_seconds(), cue.end.total_seconds()
        start = timeline.at(source_start)
        end = timeline.until(source_end, start, item_only=True)
        if end <= start and source_end > source_start:
            continue
        cues.append(srt.Subtitle(len(cues) + 1, timedelta(seconds=start),
                                 timedelta(seconds=end), cue.content, cue.proprietary))
    return srt.compose(cues, reindex=False)
