"""`segpack new SHOW_DIR`: a show folder to start from, that validates as it is.

Apple refuses a feed without show artwork (SEG407), and only the producer has the real one, so
the show gets a placeholder cover (drawn by `media.placeholder`, which the CLI passes in: this
package draws nothing) at `PLACEHOLDER_ARTWORK`; SEG415 warns until it is replaced, so
`validate --strict` fails and nobody submits the placeholder to directories unknowingly.

Every key of show.yaml and of a manifest is written out, the optional ones commented, each with
what it is for: the files are the documentation a producer reads first. The example segment is
a draft, so a build publishes nothing until a real segment is written. Nothing is overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

SHOW_YAML = """\
# The show: the podcast channel. Required: title, description, language; the commented keys
# are optional (remove the '# ' to use one). `segpack validate .` checks this folder,
# `segpack schema show` prints the JSON Schema (for an editor's YAML language server).
title: {title}  # the podcast's name, as podcast apps show it
description: >-  # what the show is about, on its page in podcast apps
  {title}: audio news segments.
language: en  # BCP 47 tag of the spoken language: en, en-US, ar, fa, pt-BR ...
# link: https://www.example.org/  # the newsroom's page for the show
# author: Newsroom Name  # itunes:author
# publisher: Newsroom Name
owner: {{name: Newsroom Name, email: podcasts@example.org}}  # Spotify mails a code here
image:  # the show's artwork, required by Apple: a square JPEG/PNG, 1400-3000 px, RGB
  file: {artwork}  # segpack's placeholder: put your own in its place (SEG415 until then)
  # url: https://www.example.org/artwork.jpg  # or where it is online (then remove file)
  # caption: The show's logo
categories: [News]  # Apple Podcasts categories; a subcategory as Parent/Child: News/Daily News
explicit: false  # Apple wants it said: true or false
# type: episodic  # episodic (newest first) or serial (in order)
# feed_url: https://media.example.org/{slug}/feed.xml  # where feed.xml is; podcast:guid follows it
# media_base_url: https://media.example.org/{slug}/  # where the built folder (public/) is uploaded
# guid: 00000000-0000-5000-8000-000000000000  # podcast:guid, only for a show moved from elsewhere
# locked: false  # podcast:locked: true asks other hosts not to import the feed
# license: cc-by-4.0  # podcast:license
# copyright: Newsroom Name
# medium: podcast  # podcast, music, video, film, audiobook, newsletter or blog
# Kept from a feed moved here with `segpack import feed` (published again as they were):
# previous_feed_url: https://old-host.example.net/feed.xml  # redirect it (itunes:new-feed-url)
# block: false  # itunes:block and podcast:block: true asks directories not to list the show
# block_services: {{google: false}}  # podcast:block per service
# complete: false  # itunes:complete: no more episodes will come
# locked_owner: podcasts@example.org  # podcast:locked owner (else the owner's email)
# license_url: https://creativecommons.org/licenses/by/4.0/  # podcast:license url
# subtitle: A short line  # itunes:subtitle
# itunes_title: Show name  # itunes:title
# description_html: <p>About the show.</p>  # the description with its HTML (sanitised when built)
# summary: What the show is about.  # itunes:summary, when the old feed had its own
# funding: [{{url: https://www.example.org/give, text: Support us}}]  # podcast:funding
# locations: [{{name: "Austin, TX", rel: creator, geo: "geo:30.26,-97.74"}}]  # podcast:location
# images: [{{href: https://www.example.org/art.png, purpose: artwork}}]  # podcast:image
# value: {{type: lightning, method: keysend, recipients: []}}  # podcast:value
# trailers: [{{url: https://www.example.org/t.mp3, title: Trailer, published: "Thu, 01 Apr 2021"}}]
# podroll: [{{feed_guid: 917393e3-1b1e-5cef-ace4-edaa54e1f810}}]  # podcast:podroll
# verbatim: []  # feed elements segpack does not model, as XML, published again as written
# audio:  # what segpack build does to the audio files
#   encode: keep  # keep, mp3 or aac (.m4a)
#   bitrate: 96k
#   normalise: false  # true: -16 LUFS stereo, -19 LUFS mono, true peak -1 dBTP
#   loudness: {{stereo: -16, mono: -19, true_peak: -1}}
#   intro: stings/intro.wav  # played before every segment; relative to this folder
#   outro: stings/outro.wav
#   trim_silence: false
# paging: {{items_per_page: 300}}  # feed.xml: the newest 300; the rest in archive/N.xml (RFC 5005)
# captions: align  # build times each text to its audio: captions (needs segpack[align], espeak-ng)
"""

EXAMPLE_ID = "example-segment"

PLACEHOLDER_ARTWORK = "art/segpack-placeholder.png"
"""Where `new` puts the placeholder cover, relative to the show folder. SEG415 knows the
placeholder by this file name (`PLACEHOLDER_NAME`), without opening the file."""
PLACEHOLDER_NAME = PLACEHOLDER_ARTWORK.rsplit("/", 1)[-1]
PLACEHOLDER_KEYWORD = "segpack-placeholder"
"""The PNG text chunk the placeholder carries: `validate --media` reads it from the header, so a
copy under another name is recognised too."""

MANIFEST = """\
---
# A segment manifest: one file per segment in segments/, named after its id. Required: id,
# title, language and the transcript (the text below the closing ---).
# `draft: true` (last key) keeps this example out of the feed: delete this file, or the line,
# once it describes a real segment.
id: {id}  # a slug; the item GUID derives from it, so never change it once published
title: Example segment  # as podcast apps show it
summary: One or two sentences about the segment.  # the episode description
duration: "1:00"  # SS, M:SS or H:MM:SS, in quotes; checked against the audio
language: en  # BCP 47
published: null  # ISO 8601 with a timezone, e.g. 2024-03-28T14:00:00Z
audio:
  file: null  # e.g. media/{id}.mp3, relative to the show folder
  direct_link: null  # the newsroom's own link to the audio file
  # length: 1600000  # bytes behind direct_link, when known
  # type: audio/mpeg  # MIME type behind direct_link
  # alternates: [{{file: media/{id}-64k.mp3, title: 64k}}]  # or {{url, length, type}}
  # alternate_enclosures: [{{type: audio/opus, sources: [{{uri: https://x.org/{id}.opus}}]}}]
source:
  url: null  # the article page
  publisher: null
# image: {{file: media/{id}.jpg, caption: What the picture shows}}  # or url: https://...
# authors: [Jane Reporter]
# persons: [{{name: Jane Reporter, role: host, group: cast}}]  # podcast:person
# chapters: [{{start: "0:00", title: Introduction}}]  # start, title; end, url, image optional
# captions: media/{id}.vtt  # a timed transcript: WebVTT (.vtt) or SubRip (.srt)
# season: 1
# episode: 1
# episode_type: full  # full, trailer or bonus
# explicit: false
# keywords: [news]
# license: cc-by-4.0
# copyright: Newsroom Name
# transcript_url: https://www.example.org/{id}.txt  # kept from an imported feed
# chapters_url: https://www.example.org/{id}.json  # kept from an imported feed
# guid: https://www.example.org/?p=1  # kept from an imported feed; a new segment derives it
# Kept from a feed moved here with `segpack import feed` (published again as they were):
# notes: <p>Show notes, HTML.</p>  # description and content:encoded; sanitised when built
# subtitle: A short line  # itunes:subtitle
# itunes_title: Example  # itunes:title, when not the title
# rss_author: desk@example.org (Jane Reporter)  # the item's RSS <author>
# season_name: Rivers  # podcast:season name
# episode_display: Ep. 1  # podcast:episode display
# block: false  # itunes:block: keep this episode out of Apple's directory
# transcripts: [{{url: https://www.example.org/{id}.vtt, type: text/vtt, rel: captions}}]
# soundbites: [{{start: 12.5, duration: 30, title: The best half minute}}]  # podcast:soundbite
# locations: [{{name: "Auburn, Washington", rel: subject}}]  # podcast:location
# images: [{{href: https://www.example.org/{id}.png, purpose: artwork}}]  # podcast:image
# license_url: https://creativecommons.org/licenses/by/4.0/  # podcast:license url
# value: {{type: lightning, method: keysend, recipients: []}}  # podcast:value
# verbatim: []  # feed elements segpack does not model, as XML, published again as written
draft: true
---
The transcript goes here, below the closing ---: plain text, a blank line between paragraphs.
"""

PYPROJECT = """\
# segpack's settings for this show: validate, build and tag read them from the show folder up.
[tool.segpack]
select = ["SEG"]  # rule code prefixes to report; the longest matching prefix wins
ignore = []  # e.g. ["SEG212"] for a podcast whose newsroom publishes no direct links
strict = false  # true: warnings fail validate and stop a build, as errors do
max-title-length = 120  # SEG502 above this
max-summary-length = 4000  # SEG503 above this
words-per-minute = [90, 220]  # SEG504 outside this speech rate
"""

GITIGNORE = """\
# What segpack build makes: the folder to upload, and its cache.
public/
.segpack-cache/
"""


def _slug(show_dir: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "-", show_dir.resolve().name.lower()).strip("-") or "show"


def show_title(show_dir: Path) -> str:
    """The title a new show in `show_dir` gets: its folder name in words ("My News Show")."""
    return " ".join(w.capitalize() for w in _slug(show_dir).split("-"))


def files_for(show_dir: Path, artwork: bytes) -> dict[Path, str | bytes]:
    """The files `new` writes, by path, for a show in `show_dir` (`artwork`: the placeholder
    cover's PNG bytes)."""
    slug = _slug(show_dir)
    return {show_dir / "show.yaml": SHOW_YAML.format(title=show_title(show_dir), slug=slug,
                                                     artwork=PLACEHOLDER_ARTWORK),
            show_dir / PLACEHOLDER_ARTWORK: artwork,
            show_dir / "segments" / f"{EXAMPLE_ID}.md": MANIFEST.format(id=EXAMPLE_ID),
            show_dir / "pyproject.toml": PYPROJECT,
            show_dir / ".gitignore": GITIGNORE}


def create(show_dir: Path, draw_placeholder: Callable[[str], bytes]) -> list[Path]:
    """Write the files of a new show, its placeholder cover drawn by `draw_placeholder(title)`;
    refuse (nothing written) if any of them exists."""
    from segment.errors import UsageError
    from segment.manifest import atomic_write
    from segment.userfiles import folder_problem

    problem = folder_problem(show_dir, "a folder; segpack new makes a show folder")
    if problem is not None:
        raise UsageError(f"{show_dir}: {problem}")
    files = files_for(show_dir, draw_placeholder(show_title(show_dir)))
    there = [path for path in files if path.exists() or path.is_symlink()]
    there += [path.parent for path in files if path.parent != show_dir and
              (path.parent.exists() or path.parent.is_symlink()) and not path.parent.is_dir()]
    if there:
        names = ", ".join(str(p.relative_to(show_dir)) for p in there)
        raise UsageError(f"{show_dir} already has {names}; segpack new never overwrites: "
                         "pick a new folder (or move those aside)")
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, content)
    return list(files)
