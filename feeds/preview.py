"""index.html: a static preview of the built show, to check it before uploading.

Plain HTML and a little CSS, no JavaScript. Audio and transcripts are linked relative to the
output folder, so the page works from disk (file://) and once uploaded. Everything from the
manifests is escaped, except what the models already restrict to safe characters (segment ids
are slugs; dates and durations are formatted here).
"""

from __future__ import annotations

from html import escape

from feeds.episode import Episode
from feeds.xmltext import clean
from segment.models import Show
from segment.timecode import format_duration

STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#222}
header img{max-width:12rem;height:auto;border-radius:.5rem}
.episode{border-top:1px solid #ddd;padding:1rem 0}
.meta{color:#666;font-size:.9rem}
audio{width:100%}
"""


def _e(text: str | None) -> str:
    return escape(clean(text or ""))


PREVIEW_TRANSCRIPTS = 100
"""How many episodes (newest first) carry their transcript in the page itself; older ones link
to their transcript page, so the preview of a 10,000-episode show stays a few MB, not 20+."""
ARTICLE_END = "\n</article>"


def episode_html(episode: Episode, audio_src: str | None) -> str:
    """The episode's <article>, without its transcript: `with_transcript` folds that in for
    the newest episodes, once the page's order is known."""
    seg = episode.segment
    meta = []
    if seg.published:  # ISO dates and durations need no escaping, nor does a slug id
        meta.append(f'<time datetime="{seg.published.isoformat()}">'
                    f"{seg.published.date().isoformat()}</time>")
    else:
        meta.append("<span>no publication date</span>")
    if episode.duration is not None:
        meta.append(f"<span>{format_duration(round(episode.duration))}</span>")
    parts = [f'<article class="episode" id="{seg.id}">',
             f"<h2>{_e(seg.title)}</h2>",
             f'<p class="meta">{" &middot; ".join(meta)}</p>']
    if seg.summary:
        parts.append(f'<p class="summary">{_e(seg.summary)}</p>')
    if audio_src:
        parts.append(f'<audio controls preload="none" src="{_e(audio_src)}"></audio>')
    links = []
    if seg.audio.direct_link:
        links.append(f'<a class="direct-link" href="{_e(seg.audio.direct_link)}">'
                     "Direct link</a>")
    if episode.transcript_page:
        links.append(f'<a href="transcripts/{seg.id}.html">Transcript page</a>')
    if seg.source.url:
        links.append(f'<a href="{_e(seg.source.url)}">Article</a>')
    if links:
        parts.append(f'<p class="links">{" | ".join(links)}</p>')
    parts.append("</article>")
    return "\n".join(parts)


def with_transcript(article: str, body: str) -> str:
    """An `episode_html` article with its transcript (`body`, from
    `feeds.transcripts.html_paragraphs`) folded in at the end."""
    cut = len(article) - len(ARTICLE_END)
    return (f'{article[:cut]}\n<details class="transcript"><summary>Transcript</summary>\n'
            f"{body}\n</details>{ARTICLE_END}")


def audio_source(episode: Episode) -> str | None:
    """Our published copy (relative, works offline) or else the enclosure URL."""
    if episode.media_path:
        return episode.media_path
    return episode.enclosure.url if episode.enclosure else None


def preview_page(show: Show, articles: list[str], image_src: str | None) -> str:
    """The page from `episode_html` fragments already in feed order (rendered by whichever
    process planned the episode)."""
    art = (f'<img class="artwork" src="{_e(image_src)}" alt="{_e(show.title)} artwork">\n'
           if image_src else "")
    items = "\n".join(articles)
    count = len(articles)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(show.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(show.title)}</title>\n"
        '<link rel="alternate" type="application/rss+xml" href="feed.xml">\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n<header>\n{art}"
        f"<h1>{_e(show.title)}</h1>\n<p>{_e(show.description)}</p>\n"
        f'<p><a href="feed.xml">Podcast feed (RSS)</a> &middot; {count} episode'
        f"{'s' * (count != 1)}</p>\n</header>\n<main id=\"episodes\">\n{items}\n</main>\n"
        "</body>\n</html>\n"
    )
