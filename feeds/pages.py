"""What index.html and the transcript pages share: the head of a page and one small stylesheet.

The stylesheet is one file beside the transcript pages (`STYLESHEET`), linked by every page:
inlined, it would add 1.3 KB to each of 10,000 transcript pages (13 MB to upload). A page read
without it (an app that takes the HTML alone) is still plain, readable HTML. No fonts, images
or scripts from elsewhere; no JavaScript. Logical properties (`inline-start`, `inline-end`)
keep the layout right for right-to-left pages, and a print block drops the players and links
and prints black on white.

Text from manifests and show.yaml is untrusted: every piece of it goes through `text`
(or `attr`), which escape quotes too, so it can sit in an attribute.
"""

from __future__ import annotations

from html import escape

from feeds.direction import direction
from feeds.xmltext import clean

STYLESHEET = "transcripts/style.css"
"""Where the build publishes `STYLE`, relative to the output folder."""
STYLE = (
    "body{font:1.05rem/1.6 system-ui,sans-serif;max-width:44rem;margin:2rem auto;"
    "padding:0 1rem;color:#1f1f1f;background:#fff}"
    "h1{font-size:1.6rem;line-height:1.25;margin:.3rem 0}"
    "h2{font-size:1.25rem;line-height:1.3;margin:.2rem 0}"
    "a{color:#0b57d0}img{max-width:100%;height:auto}"
    ".artwork{width:12rem;border-radius:.5rem}"
    ".episode{border-top:1px solid #ddd;padding:1rem 0;display:flow-root}"
    ".art{float:inline-end;width:7rem;height:7rem;object-fit:cover;border-radius:.4rem;"
    "margin-inline-start:1rem}"
    ".meta,.show,.role{color:#595959;font-size:.9rem}"
    "audio{width:100%}"
    ".persons{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:0 1.2rem}"
    ".chapters{padding-inline-start:0;list-style:none}"
    ".chapters li{display:flex;gap:.8rem}"
    ".time{min-width:3.5rem;font-variant-numeric:tabular-nums}"
    ".transcript-page header{border-bottom:1px solid #ddd;margin-bottom:1.5rem}"
    ".transcript-page .summary{font-size:1.1rem;color:#3d3d3d}"
    ".transcript-page article p{margin:0 0 1em}"
    "@media print{body{max-width:none;margin:0;font-size:11pt;color:#000}"
    "audio,.links{display:none}a{color:inherit;text-decoration:none}"
    ".episode{break-inside:avoid}}\n"
)


def text(value: str | None) -> str:
    """Untrusted text, escaped for HTML content and quoted attributes."""
    return escape(clean(value or ""))


attr = text
"""An attribute value (a URL, a language tag): escaped the same way."""


def lang_attrs(tag: str) -> str:
    """` lang="ar" dir="rtl"`: the language and the direction of its script."""
    return f' lang="{attr(tag)}" dir="{direction(tag)}"'


def ui_lang(tag: str) -> str:
    """` lang="en"` for the page's own English words (labels, link texts) inside text of
    another language, so that screen readers read them as English; '' inside English."""
    return "" if tag.split("-", 1)[0].lower() == "en" else ' lang="en"'


def page_head(title: str, lang: str, stylesheet: str, extra: str = "") -> str:
    """A page's start up to `<body>`: `title` already escaped, `stylesheet` the relative link
    to `STYLESHEET` from the page, `extra` more head elements."""
    return (
        "<!DOCTYPE html>\n"
        f"<html{lang_attrs(lang)}>\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{title}</title>\n{extra}<link rel="stylesheet" href="{stylesheet}">\n'
        "</head>\n"
    )
