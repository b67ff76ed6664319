"""Published times: a segment's times (chapters, soundbites, caption cues) are written against
its source audio; the feed publishes a file that may start with an intro, have silence trimmed
and end with an outro. A `Timeline` maps one onto the other, so every time the build publishes
refers to the published file.

Source time t is heard at t + offset (offset = the intro's length - the silence trimmed before
the item). A start is kept within the item's own audio (never inside a sting or past the end of
what was kept); an end within the published file.

>>> line = Timeline.of((2.0, 2.0, 1.0), duration=15.0)  # 2 s intro, 1 s outro, 12 s item
>>> line.at(10), line.at(0), line.at(13.5), line.until(13.5, line.at(13.5))
(12.0, 2.0, 14.0, 15.0)
>>> Timeline.of((1.5, 2.0, 0.0), duration=10.0).at(0)  # 0.5 s of silence trimmed
2.0
>>> Timeline.of(None, duration=5.0).at(7)  # nothing edited: only kept within the file
5.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from segment.models import Segment


@dataclass(frozen=True)
class Timeline:
    offset: float
    start: float
    """Where the item's own audio starts in the published file (the intro's length)."""
    end: float
    """Where it ends (before the outro)."""
    duration: float
    """The published file's length."""

    @classmethod
    def of(cls, placement: Sequence[float] | None, duration: float) -> Timeline:
        """From a placement (offset, start, outro seconds: `media.assemble.Placement`), or
        None when the audio was published as it is, and the published duration."""
        offset, start, outro = placement or (0.0, 0.0, 0.0)
        return cls(offset, start, max(start, duration - outro), duration)

    @property
    def edited(self) -> bool:
        return bool(self.offset or self.start or self.end != self.duration)

    def at(self, seconds: float) -> float:
        """Where a start at `seconds` of the source is heard in the published file."""
        return round(min(max(seconds + self.offset, self.start), self.end), 3)

    def until(self, seconds: float, start: float, *, item_only: bool = False) -> float:
        """Where an end at `seconds` of the source falls, not before `start`: within the
        published file, or within the item's own audio when `item_only` (captions)."""
        last = self.end if item_only else self.duration
        return round(max(min(seconds + self.offset, last), start), 3)

    def published(self, segment: Segment) -> Segment:
        """`segment` with its chapters and soundbites at the published file's times."""
        chapters = []
        for chapter in segment.chapters:
            start = self.at(chapter.start)
            end = None if chapter.end is None else self.until(chapter.end, start)
            chapters.append(chapter.model_copy(update={"start": start, "end": end}))
        bites = []
        for bite in segment.soundbites:
            start = self.at(bite.start)
            length = round(min(bite.duration, self.end - start), 3)
            if length > 0:  # a soundbite wholly in what was trimmed is not published
                bites.append(bite.model_copy(update={"start": start, "duration": length}))
        return segment.model_copy(update={"chapters": chapters, "soundbites": bites})
