"""An episode's text and image files, published beside the feed: its transcript (plain text
and an HTML page), its captions (the manifest's file, or the WebVTT the build's aligner made)
moved to the published audio's times, its chapters JSON and its image; and the feed's links to
them (`podcast:transcript`, `podcast:chapters`, the item's image) set on its `Episode`.

Kept apart from `feeds.compiler` (the pipeline of one episode) because this is where a new
file an episode publishes goes: the compiler only hands it the segment and the timeline."""

from __future__ import annotations

from pathlib import Path

from feeds.captions import shift_srt, shift_vtt
from feeds.chapters import chapters_json
from feeds.context import Context, LocalFiles, url_suffix
from feeds.episode import Episode
from feeds.podcastindex import Transcript
from feeds.transcripts import (
    HTML_TYPE,
    SRT_TYPE,
    TEXT_TYPE,
    VTT_TYPE,
    html_paragraphs,
    plain_text,
    timed_files,
    transcript_html,
)
from feeds.xmltext import clean
from segment.errors import SegpackError
from segment.models import Segment
from segment.rules import Finding
from segment.timeline import Timeline

TRANSCRIPT_TYPES = {".vtt": VTT_TYPE, ".srt": SRT_TYPE, ".html": HTML_TYPE, ".htm": HTML_TYPE,
                    ".json": "application/json", ".txt": TEXT_TYPE}
Published = dict[str, str | bytes | Path]


def episode_files(seg: Segment, context: Context, ep: Episode, files: LocalFiles,
                  found: list[Finding], timeline: Timeline | None = None,
                  aligned: str | None = None) -> Published:
    """Transcripts, captions, chapters and the episode's image, by path in the output;
    captions (the manifest's, or `aligned`: WebVTT the build's aligner made) at the published
    file's times (`timeline`; `seg`'s chapters already are)."""
    sid, base = seg.id, context.base
    transcript = clean(seg.transcript)  # SEG214 says what is left out
    published: Published = {}
    if transcript.strip():  # a migrated item may have only the feed's transcript files
        ep.transcript_body = html_paragraphs(transcript)
        published[f"transcripts/{sid}.txt"] = plain_text(transcript)
        published[f"transcripts/{sid}.html"] = transcript_html(
            seg, context.show.title, ep.transcript_body, context.show.language)
        ep.transcripts = [Transcript(f"{base}transcripts/{sid}.txt", TEXT_TYPE, seg.language),
                          Transcript(f"{base}transcripts/{sid}.html", HTML_TYPE, seg.language)]
    for suffix, (mime, text) in _timed(seg, files, found, aligned).items():
        if timeline is not None:
            text = (shift_vtt if suffix == ".vtt" else shift_srt)(text, timeline)
        published[f"transcripts/{sid}{suffix}"] = text
        ep.transcripts.append(Transcript(f"{base}transcripts/{sid}{suffix}", mime,
                                         seg.language, rel="captions"))
    if seg.transcript_url:
        ep.transcripts.append(Transcript(seg.transcript_url, TRANSCRIPT_TYPES.get(
            url_suffix(seg.transcript_url), TEXT_TYPE), seg.language))
    ep.transcripts += [Transcript(t.url, t.type, t.language, t.rel) for t in seg.transcripts]
    if seg.chapters_url:  # a migrated feed's own chapters file is what apps know
        ep.chapters_url = seg.chapters_url
    elif seg.chapters:
        published[f"chapters/{sid}.json"] = chapters_json(seg, context.show.title)
        ep.chapters_url = f"{base}chapters/{sid}.json"
    _, ep.image_url, ep.image_src = files.publish_image(seg.image, f"images/{sid}", base,
                                                        published)
    return published


def _timed(seg: Segment, files: LocalFiles, found: list[Finding],
           aligned: str | None) -> dict[str, tuple[str, str]]:
    """The captions at the source's times, {suffix: (type, text)}: the manifest's file (SEG301
    when it cannot be read), else the aligner's WebVTT, else none."""
    if seg.captions:
        captions = files.local(seg.captions, "captions")
        if captions:
            try:
                return timed_files(captions)
            except SegpackError as exc:
                found.append(Finding("SEG301", f"captions: {exc.message}", files.where))
        return {}
    return {".vtt": (VTT_TYPE, aligned)} if aligned else {}
