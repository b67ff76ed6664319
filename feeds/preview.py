"""index.html: a static preview of the built show, to check it before uploading.

Plain HTML and the stylesheet of `feeds.pages` (linked), no JavaScript. Audio, artwork,
transcripts and the stylesheet are linked relative to the output folder, so the page works from
disk (file://) and once uploaded. Each episode carries its language and the direction of its
script (`lang`, `dir`: an Arabic episode reads right to left in an English show); names of
people, whose script may
be another, are isolated (`<bdi>`). Chapters link to their time in the audio with a media
fragment (`#t=83`), which browsers' own players follow.

Everything from manifests and show.yaml is escaped (`feeds.pages.text`), URLs included, except
what the models restrict to safe characters (segment ids are slugs; dates and durations are
formatted here).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from feeds.episode import Episode
from feeds.pages import STYLESHEET, attr, lang_attrs, page_head, text, ui_lang
from segment.models import Chapter, Person, Segment, Show
from segment.timecode import format_duration

PREVIEW_TRANSCRIPTS = 100
"""How many episodes (newest first) carry their transcript in the page itself; older ones link
to their transcript page, so the preview of a 10,000-episode show stays a few MB, not 20+."""
ARTICLE_END = "\n</article>"


def episode_html(episode: Episode, audio_src: str | None) -> str:
    """The episode's <article>, without its transcript: `with_transcript` folds that in for
    the newest episodes, once the page's order is known."""
    seg = episode.segment
    en = ui_lang(seg.language)
    parts = [f'<article class="episode" id="{seg.id}"{lang_attrs(seg.language)}>']
    if episode.image_src:
        parts.append(f'<img class="art" src="{attr(episode.image_src)}" '
                     f'alt="{text(seg.image.caption)}" loading="lazy">')
    parts += [f"<h2>{text(seg.title)}</h2>", f'<p class="meta">{_meta(episode, en)}</p>']
    if seg.summary:
        parts.append(f'<p class="summary">{text(seg.summary)}</p>')
    if audio_src:
        parts.append(f'<audio controls preload="none" src="{attr(audio_src)}"></audio>')
    if seg.persons:
        parts.append(f'<ul class="persons">{"".join(map(_person, seg.persons))}</ul>')
    if episode.chapters:
        audio = audio_src.split("#", 1)[0] if audio_src else None
        parts.append(f'<ol class="chapters">'
                     f'{"".join(_chapter(c, audio) for c in episode.chapters)}</ol>')
    links = []
    if seg.audio.direct_link:
        links.append(f'<a class="direct-link" href="{attr(seg.audio.direct_link)}">'
                     "Direct link</a>")
    if episode.transcript_page:
        links.append(f'<a href="transcripts/{seg.id}.html">Transcript page</a>')
    if seg.source.url:
        links.append(f'<a href="{attr(seg.source.url)}">Article</a>')
    if links:
        parts.append(f'<p class="links"{en}>{" | ".join(links)}</p>')
    parts.append("</article>")
    return "\n".join(parts)


def _meta(episode: Episode, en: str) -> str:
    """Date, duration, season, episode, type: each isolated, so that in a right-to-left
    episode they follow each other from the right, each still read left to right."""
    seg = episode.segment
    meta = [_date(seg, en)]
    if episode.duration is not None:
        meta.append(f"<bdi>{format_duration(round(episode.duration))}</bdi>")
    if seg.season is not None:
        meta.append(f"<bdi>{text(seg.season_name)}</bdi>" if seg.season_name else
                    f"<bdi{en}>Season {seg.season}</bdi>")
    if seg.episode is not None:
        meta.append(f"<bdi>{text(seg.episode_display)}</bdi>" if seg.episode_display else
                    f"<bdi{en}>Episode {seg.episode}</bdi>")
    if seg.episode_type != "full":
        meta.append(f"<bdi{en}>{seg.episode_type.title()}</bdi>")
    return " &middot; ".join(meta)


def _date(seg: Segment, en: str) -> str:
    if seg.published is None:
        return f"<bdi{en}>no publication date</bdi>"
    return (f'<time datetime="{seg.published.isoformat()}">'  # ISO dates need no escaping
            f"{seg.published.date().isoformat()}</time>")


def _person(person: Person) -> str:
    name = f"<bdi>{text(person.name)}</bdi>"
    if person.href:
        name = f'<a href="{attr(person.href)}">{name}</a>'
    return f'<li>{name} <bdi class="role">{text(person.role)}</bdi></li>'


def _chapter(chapter: Chapter, audio: str | None) -> str:
    """A chapter's start (a link to that time in the audio, when there is audio) and title
    (a link to the chapter's own page, when it has one)."""
    start = format_duration(chapter.start)
    if audio:
        start = f'<a class="time" href="{attr(audio)}#t={_seconds(chapter.start)}">{start}</a>'
    else:
        start = f'<span class="time">{start}</span>'
    title = text(chapter.title)
    if chapter.url:
        title = f'<a href="{attr(chapter.url)}">{title}</a>'
    return f"<li>{start} <span>{title}</span></li>"


def _seconds(value: float) -> str:
    """A media fragment's time (`#t=83`, `#t=83.5`): seconds, as W3C Media Fragments write
    them."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}".rstrip("0").rstrip(".")


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


def preview_page(show: Show, articles: Sequence[str], image_src: str | None) -> str:
    """The page from `episode_html` fragments already in feed order (rendered by whichever
    process planned the episode), in the show's language and its direction."""
    return "".join(preview_parts(show, articles, len(articles), image_src))


def preview_parts(show: Show, articles: Iterable[str], count: int, image_src: str | None
                  ) -> Iterator[str]:
    """`preview_page` in pieces, for the build to write as they come: the page of a
    100,000-episode show is ~75 MB, never held whole."""
    art = (f'<img class="artwork" src="{attr(image_src)}" alt="{text(show.title)} artwork">\n'
           if image_src else "")
    en = ui_lang(show.language)
    yield (
        page_head(text(show.title), show.language, STYLESHEET,
                  '<link rel="alternate" type="application/rss+xml" href="feed.xml">\n')
        + f"<body>\n<header>\n{art}"
        f"<h1>{text(show.title)}</h1>\n<p>{text(show.description)}</p>\n"
        f'<p{en}><a href="feed.xml">Podcast feed (RSS)</a> &middot; {count} episode'
        f"{'s' * (count != 1)}</p>\n</header>\n<main id=\"episodes\">\n"
    )
    for n, article in enumerate(articles):
        yield f"\n{article}" if n else article
    yield "\n</main>\n</body>\n</html>\n"
