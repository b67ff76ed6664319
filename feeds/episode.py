"""What the feed and the preview need per segment, once media and files are settled.

The build pipeline fills an `Episode` (where the audio is published, its exact length and type,
the probed duration, the published transcript and chapters files); `feeds.feed` and
`feeds.preview` only render it, so neither knows about caches, probing or the file system.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from feeds.podcastindex import AlternateEnclosure, Transcript
from segment.models import Chapter, Segment


@dataclass
class Enclosure:
    url: str
    length: int
    type: str


@dataclass
class Episode:
    segment: Segment
    enclosure: Enclosure | None = None
    duration: float | None = None
    duration_source: str = "declared"
    """`probed` when measured on the published file, else `declared` (direct link only)."""
    alternates: list[AlternateEnclosure] = field(default_factory=list)
    transcripts: list[Transcript] = field(default_factory=list)
    chapters_url: str | None = None
    image_url: str | None = None
    image_src: str | None = None
    """The episode's artwork as the preview shows it: relative to the output folder when the
    build publishes the file (`images/<id>.png`), else `image_url`."""
    chapters: list[Chapter] = field(default_factory=list)
    """The chapters at the published file's times, as the chapters file and the preview give
    them."""
    media_path: str | None = None
    """The published audio relative to the output folder (`media/<id>.mp3`), when ours."""
    transcript_body: str = ""
    """The transcript as escaped HTML paragraphs (`feeds.transcripts.html_paragraphs`)."""

    @property
    def transcript_page(self) -> str | None:
        """URL of the HTML transcript, linked from the item description."""
        return next((t.url for t in self.transcripts if t.type == "text/html"), None)

    @property
    def sort_key(self) -> tuple:
        """Newest first; undated segments after dated ones, by id (stable, deterministic)."""
        published = self.segment.published
        return (published is None, -published.timestamp() if published else 0, self.segment.id)
