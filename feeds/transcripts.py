"""Published transcript files: plain text, a small HTML page, and timed captions when present.

The transcript is the manifest body; `captions` (optional) names a timed file in the show folder
(SubRip .srt or WebVTT .vtt). SubRip is published as is and also as WebVTT (parsed with the
`srt` library), since players differ in which they read.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from feeds.pages import lang_attrs, page_head, text
from feeds.xmltext import clean
from segment.errors import PublishError
from segment.models import Segment

TEXT_TYPE = "text/plain"
HTML_TYPE = "text/html"
VTT_TYPE = "text/vtt"
SRT_TYPE = "application/x-subrip"


def plain_text(transcript: str) -> str:
    """The .txt file from a transcript already cleaned (`xmltext.clean`)."""
    return transcript.strip() + "\n"


def paragraphs(text: str) -> list[str]:
    return [p for p in (part.strip() for part in text.split("\n\n")) if p]


def html_paragraphs(transcript: str) -> str:
    """A cleaned transcript as escaped HTML paragraphs, line breaks kept: rendered once per
    segment and shared by its transcript page and its article in the preview."""
    return "\n".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>"
                     for p in paragraphs(transcript))


def transcript_html(segment: Segment, show_title: str, body: str | None = None,
                    show_language: str | None = None) -> str:
    """A standalone, escaped HTML page: show, title, date, summary, the paragraphs of the
    transcript (`body` when the caller already has them from `html_paragraphs`). In the
    segment's language and the direction of its script (`feeds.direction`), styled by the
    stylesheet the preview uses (`feeds.pages.STYLESHEET`, beside the page), readable in
    print."""
    if body is None:
        body = html_paragraphs(clean(segment.transcript))
    summary = (f'<p class="summary">{text(segment.summary)}</p>\n'
               if segment.summary else "")
    date = (f'<p class="meta"><time datetime="{segment.published.isoformat()}">'
            f"{segment.published.date().isoformat()}</time></p>\n" if segment.published else "")
    show_lang = (lang_attrs(show_language)
                 if show_language and show_language != segment.language else "")
    title = text(segment.title)
    show = f'<a href="../index.html"><bdi{show_lang}>{text(show_title)}</bdi></a>'
    return (
        page_head(f"{title} - transcript", segment.language, "style.css")
        + f'<body class="transcript-page">\n<header>\n<p class="show">{show}</p>\n'
        f"<h1>{title}</h1>\n"
        f"{date}{summary}</header>\n<article>\n{body}\n</article>\n</body>\n</html>\n"
    )


def body_of_page(page: str) -> str:
    """The HTML paragraphs of a `transcript_html` page (what the preview folds in): '<' is
    escaped in them, so the last '</article>' ends them. ValueError when not such a page."""
    start = page.index("<article>\n") + len("<article>\n")
    return page[start:page.rindex("\n</article>")]


def timed_files(path: Path) -> dict[str, tuple[str, str]]:
    """{suffix: (MIME type, text)} to publish for a captions file; PublishError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishError(f"cannot read the captions file: {exc}", path, field="captions") \
            from None
    suffix = path.suffix.lower()
    if suffix == ".vtt":
        if not text.startswith("WEBVTT"):
            raise PublishError("a WebVTT file must start with 'WEBVTT'", path, field="captions")
        return {".vtt": (VTT_TYPE, clean(text))}
    if suffix == ".srt":
        import srt

        try:
            cues = list(srt.parse(text))
        except srt.SRTParseError as exc:
            raise PublishError(f"not a valid SubRip file: {exc}", path,
                               field="captions") from None
        return {".vtt": (VTT_TYPE, clean(srt_to_vtt(cues))),
                ".srt": (SRT_TYPE, clean(srt.compose(cues)))}
    raise PublishError("captions must be a .vtt or .srt file", path, field="captions")


def srt_to_vtt(cues) -> str:
    """WebVTT from parsed SubRip cues (same cues, `.` before milliseconds)."""

    def stamp(delta) -> str:
        millis = round(delta.total_seconds() * 1000)
        hours, rest = divmod(millis, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        seconds, millis = divmod(rest, 1000)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"

    blocks = [f"{stamp(c.start)} --> {stamp(c.end)}\n{c.content.strip()}" for c in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"
