"""Rules for what podcast directories accept: Apple Podcasts, Spotify, Podcast Index.

Each rule's severity follows what the directories do: a feed or an episode they refuse is an
error; one they accept but show worse (a dropped tag, a guessed value) is a warning. Sources, as
the README's rule table lists them:

- Apple: "A Podcaster's Guide to RSS" (Podcasts Connect help; archived in the Podcast Index
  namespace repository as `itunes_reference.md`): title, description, `itunes:image`, language,
  `itunes:category` and `itunes:explicit` are required ("or it won't pass validation");
  artwork 1400-3000 px square, JPEG or PNG, RGB; categories from "Apple Podcasts categories";
  episode numbers "mandatory for serial shows", season and episode "a non-zero integer";
  enclosure types audio/x-m4a, audio/mpeg, video/quicktime, video/mp4, video/x-m4v,
  application/pdf, and the file extension decides whether the episode appears.
- Spotify: verifies a submitted feed through the e-mail address in it (`itunes:email`; "Adding
  your email address to your RSS feed", Spotify for Creators support) and needs each
  enclosure's type and length.
- Podcast Index namespace 1.0: `alternateEnclosure` type and length required; `license` an SPDX
  identifier, or a custom name with `url` (`license_url`; required then); `person` group and
  role from the Podcast Taxonomy Project's `taxonomy.json`.

Show-level rules run on show.yaml when it is validated; checks that open the artwork file live in
`media.checks` (`validate --media`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from segment.licences import licence_problem
from segment.rules import (
    CHECKS,
    RULES,
    Context,
    E,
    Finding,
    ShowContext,
    W,
    check,
    declare,
    show_check,
)
from segment.taxonomy import person_problem

if TYPE_CHECKING:
    from segment.models import Alternate

APPLE_TYPES = {"audio/mpeg": (".mp3",), "audio/x-m4a": (".m4a",), "video/mp4": (".mp4",),
               "video/quicktime": (".mov",), "video/x-m4v": (".m4v",),
               "application/pdf": (".pdf",)}
"""Enclosure types Apple's RSS guide lists, with the file extensions it supports for each."""

TYPE_ALIASES = {"audio/mp4": "audio/x-m4a", "audio/m4a": "audio/x-m4a",
                "audio/mp3": "audio/mpeg", "audio/mpeg3": "audio/mpeg",
                "audio/x-mp3": "audio/mpeg", "audio/x-mpeg": "audio/mpeg"}
"""Types readers take but Apple does not document -> the one it does."""


# -- show.yaml --------------------------------------------------------------------------------

@show_check("SEG407", "show-artwork", E, "show artwork missing, or not what Apple accepts")
def _show_artwork(ctx: ShowContext) -> Iterator[Finding]:
    """Apple requires `itunes:image`: a 1400-3000 px square JPEG or PNG in RGB (the file is
    opened by `validate --media`).
    bad: no `image:` in show.yaml   good: `image: {file: art/cover.png}`"""
    image = ctx.show.image
    if not image.file and not image.url:
        yield ctx.finding("SEG407", "no show artwork (image.file or image.url): Apple Podcasts "
                          "refuses a feed without itunes:image; add a 1400-3000 px square "
                          "JPEG/PNG", "image")
        return
    # a missing, looped or escaping image.file is SEG301/SEG302 from load_show_file, the path
    # rule every file a manifest or show.yaml names follows (`local_file_problem`)


@show_check("SEG415", "placeholder-artwork", W, "the show artwork is segpack's placeholder")
def _placeholder_artwork(ctx: ShowContext) -> Iterator[Finding]:
    """`segpack new` gives a show a placeholder cover so that it validates from the start;
    directories would list the show under it. Known by its file name here (the file is not
    opened), and by the `segpack-placeholder` PNG text chunk with `validate --media`.
    bad: `image: {file: art/segpack-placeholder.png}`   good: `image: {file: art/cover.png}`"""
    from segment.scaffold import PLACEHOLDER_NAME  # show checks only: not for `segpack tag`

    image = ctx.show.image
    for key, where in (("file", image.file), ("url", image.url and urlsplit(image.url).path)):
        if where and posixpath.basename(where) == PLACEHOLDER_NAME:
            yield ctx.finding("SEG415", placeholder_message(where), "image", key)


def placeholder_message(name: str) -> str:
    return (f"{name} is segpack's placeholder artwork (from segpack new): directories would "
            "list the show under it; put the show's own 1400-3000 px square JPEG/PNG in its "
            "place, under another name, before submitting the feed")


declare("SEG408", "show-artwork-bytes", W, "show artwork file larger than directories advise",
        "NPR One and Spotify asked for at most 512 KB; Apple asks for compressed artwork "
        "(`validate --media`). bad: a 4 MB PNG   good: the same image as a 300 KB JPEG")


@show_check("SEG409", "category", E, "category missing, unknown or not nested as Apple lists it")
def _categories(ctx: ShowContext) -> Iterator[Finding]:
    """Apple requires at least one category from its list, subcategories under their parent.
    bad: `categories: [Newz, Daily News]`   good: `categories: [News/Daily News]`"""
    from segment.categories import check_category  # show checks only: not for `segpack tag`

    if not ctx.show.categories:
        yield ctx.finding("SEG409", "no categories: Apple Podcasts requires one from its list, "
                          "e.g. categories: [News/Daily News]",
                          "categories")
    for index, entry in enumerate(ctx.show.categories):
        verdict = check_category(entry)
        if verdict is not None:
            yield ctx.finding("SEG410" if verdict.warning else "SEG409", verdict.problem,
                              "categories", index)


declare("SEG410", "category-obsolete", W, "category Apple no longer lists (or that a reader "
        "does not know)", "Pre-2019 names: directories file the show under no category.\n"
        "bad: `Government & Organizations`   good: `Government`")


@show_check("SEG411", "owner-email", E, "no owner e-mail: Spotify cannot verify the feed")
def _owner_email(ctx: ShowContext) -> Iterator[Finding]:
    """Spotify (and Podcast Index's `podcast:locked`) verify ownership through the e-mail in
    the feed. bad: no `owner:`   good: `owner: {name: VOA, email: podcasts@example.org}`"""
    if ctx.show.owner is None:
        yield ctx.finding("SEG411", "no owner (owner: {name, email}): Spotify sends its "
                          "verification code to the feed's itunes:email; add it", "owner")


@show_check("SEG412", "explicit-unset", W, "explicit not stated; the feed declares the show clean")
def _explicit(ctx: ShowContext) -> Iterator[Finding]:
    """Apple requires `itunes:explicit`; segpack writes false unless show.yaml says otherwise.
    bad: no `explicit:`   good: `explicit: false`"""
    if "explicit" not in ctx.meta.data:
        yield ctx.finding("SEG412", "explicit is not set: the feed tells Apple Podcasts the show "
                          "is clean (explicit: false); say explicit: true or false", "explicit")


@show_check("SEG413", "license", W, "license neither an SPDX identifier nor with a url")
def _show_license(ctx: ShowContext) -> Iterator[Finding]:
    """Podcast Index: a custom licence needs `url`; apps drop a licence they cannot link.
    bad: `license: All rights reserved`   good: `license: CC-BY-4.0` or
    `license: All rights reserved` with `license_url: https://example.org/terms`"""
    problem = ctx.show.license and licence_problem(ctx.show.license, ctx.show.license_url)
    if problem:
        yield ctx.finding("SEG413", problem, "license")


# -- segments ---------------------------------------------------------------------------------

def _segment_license(ctx: Context) -> Iterator[Finding]:
    seg = ctx.segment
    problem = seg.license and licence_problem(seg.license, seg.license_url)
    if problem:
        yield ctx.finding("SEG413", problem, "license")


CHECKS.append((RULES["SEG413"], _segment_license))  # the same rule as the show's license


@check("SEG215", "person-taxonomy", W, "person group/role not in the Podcasting 2.0 taxonomy")
def _persons(ctx: Context) -> Iterator[Finding]:
    """Apps file an unknown group under Cast and an unknown role as host.
    bad: `{name: A, group: crew, role: producer}`
    good: `{name: A, group: creative direction, role: producer}`"""
    for index, person in enumerate(ctx.segment.persons):
        problem = person_problem(person.group, person.role)
        if problem:
            key = "role" if problem.startswith("role") else "group"
            yield ctx.finding("SEG215", f"persons[{index}]: {problem}", "persons", index, key)


@check("SEG216", "episode-number", E, "season or episode 0: Apple wants numbers from 1")
def _zero_numbers(ctx: Context) -> Iterator[Finding]:
    """Apple: season and episode are non-zero integers. bad: `episode: 0`  good: `episode: 1`"""
    for key in ("season", "episode"):
        if getattr(ctx.segment, key) == 0:
            yield ctx.finding("SEG216", f"{key} is 0: Apple Podcasts wants a number from 1",
                              key)


@check("SEG414", "serial-episode", E, "a serial show's episode has no episode number")
def _serial(ctx: Context) -> Iterator[Finding]:
    """Apple: episode numbers are mandatory for serial shows (`type: serial` in show.yaml).
    bad: no `episode:`   good: `episode: 3`"""
    seg = ctx.segment
    if ctx.show is not None and ctx.show.type == "serial" and seg.episode is None and \
            seg.episode_type == "full" and not seg.draft:
        yield ctx.finding("SEG414", "no episode number: show.yaml says type: serial, and Apple "
                          "Podcasts requires an episode number for every episode of a serial "
                          "show", "id")


@check("SEG308", "alternate-incomplete", W, "an alternate rendition without length or type")
def _alternates(ctx: Context) -> Iterator[Finding]:
    """Podcast Index requires `type` and `length` on `podcast:alternateEnclosure`; apps drop
    one without them. bad: `alternates: [https://x/a.m4a]`
    good: `alternates: [{url: https://x/a.m4a, length: 1234567, type: audio/x-m4a}]`"""
    audio = ctx.segment.audio
    for index, alt in enumerate(audio.alternates):
        if alt.file:  # published beside the feed: its length is the file's, its type by suffix
            missing = [] if alternate_file_type(alt) else ["type"]
        else:
            missing = [name for name, value in (("length", alt.length), ("type", alt.type))
                       if value is None]
        if missing:
            yield ctx.finding("SEG308", f"audio.alternates[{index}] has no "
                              f"{' or '.join(missing)}: podcast apps drop an alternate "
                              "enclosure without them; write {url, length, type}",
                              "audio", "alternates", index)
    if audio.file and audio.direct_link and audio.length is None:
        yield ctx.finding("SEG308", "audio.length: the direct link is published as an "
                          "alternate enclosure, and apps drop it without its size in bytes; "
                          "add audio.length", "audio", "direct_link")


declare("SEG312", "alternate-type", E, "an alternate file is published as a type its content "
        "is not", "`validate --media` and `build` open each `audio.alternates` file: one that "
        "is not audio is SEG304, one whose `type:` (else its name) says another format is "
        "this. bad: `{file: media/x.ogg}` holding MP3   good: `{file: media/x.mp3}`")


def alternate_file_type(alt: Alternate) -> str | None:
    """The type an `audio.alternates` file is published as: its `type:`, else its suffix's
    (`feeds.enclosures` writes audio/mpeg when neither says: SEG308)."""
    from segment.models import AUDIO_TYPES  # models are loaded when a check runs

    return alt.type or AUDIO_TYPES.get(posixpath.splitext(alt.file or "")[1].lower())


def _suffix(url: str) -> str:
    return posixpath.splitext(urlsplit(url).path)[1].lower()


def _guessed_type(link: str) -> str | None:
    """The type a direct link's extension implies. `segment.models` is imported here, not at
    the top: this module registers with `segment.rules`, which the no-change build imports and
    which must not pull in pydantic (~100 ms); a check only runs on a model that exists."""
    from segment.models import AUDIO_TYPES

    return AUDIO_TYPES.get(_suffix(link))


@check("SEG307", "enclosure-unknown", W, "direct link without audio.length or audio.type: the "
       "enclosure says length 0 or a guessed type")
def _enclosure_unknown(ctx: Context) -> Iterator[Finding]:
    """An episode whose only audio is a direct link publishes it as the enclosure, with the
    length and type the manifest gives (a build never goes to the network).
    bad: `audio: {direct_link: https://x/a.mp3}`
    good: `audio: {direct_link: https://x/a.mp3, length: 1234567, type: audio/mpeg}`"""
    audio = ctx.segment.audio
    if audio.file or not audio.direct_link:
        return
    if audio.length is None:
        yield ctx.finding("SEG307", "audio.length: the size behind the direct link is unknown; "
                          "the enclosure says length 0 (add audio.length in bytes)",
                          "audio", "direct_link")
    if audio.type is None and _guessed_type(audio.direct_link) is None:
        yield ctx.finding("SEG307", "audio.type: the direct link's type is unknown; the "
                          "enclosure says audio/mpeg (add audio.type)", "audio", "direct_link")


@check("SEG309", "enclosure-type", E, "enclosure of a type Apple Podcasts does not list")
def _enclosure_type(ctx: Context) -> Iterator[Finding]:
    """An episode whose only audio is a direct link publishes that link as its enclosure; Apple
    lists only MP3 and M4A audio (and MP4/MOV/M4V video, PDF). A local file the build does not
    encode is published as it is: `validate --media` and `build` give it the same rule by its
    content (`media.checks`). bad: `direct_link: .../x.ogg`, `file: media/x.flac`
    good: `direct_link: .../x.mp3` (or a local file that `audio.encode` turns into MP3/AAC)"""
    audio = ctx.segment.audio
    if audio.file or not audio.direct_link:
        return
    declared = audio.type or _guessed_type(audio.direct_link)
    if declared is None:
        return  # SEG307 says the type is unknown
    mime = TYPE_ALIASES.get(declared, declared)
    if mime not in APPLE_TYPES:
        yield ctx.finding("SEG309", f"the enclosure is {declared}: Apple Podcasts lists only "
                          "audio/mpeg (MP3) and audio/x-m4a (M4A) audio, so the episode would "
                          "not appear there; link an MP3 or M4A file",
                          "audio", "type" if audio.type else "direct_link")


@check("SEG310", "enclosure-type-alias", W, "enclosure type written differently from Apple's "
       "list, or a file extension Apple does not list")
def _enclosure_alias(ctx: Context) -> Iterator[Finding]:
    """Apple decides by the URL's extension and documents one type per format.
    bad: `type: audio/mp4` for an .m4a   good: `type: audio/x-m4a`"""
    audio = ctx.segment.audio
    if audio.file or not audio.direct_link:
        return
    if audio.type in TYPE_ALIASES:
        yield ctx.finding("SEG310", f"audio.type {audio.type}: Apple's RSS guide gives "
                          f"{TYPE_ALIASES[audio.type]} for this format; write that", "audio",
                          "type")
    mime = TYPE_ALIASES.get(audio.type or "", audio.type) or _guessed_type(audio.direct_link)
    suffix = _suffix(audio.direct_link)
    if mime in APPLE_TYPES and suffix not in APPLE_TYPES[mime]:
        yield ctx.finding("SEG310", f"the direct link ends in {suffix or 'no extension'!r}: "
                          "Apple Podcasts decides by the URL's extension whether the episode "
                          f"appears ({', '.join(APPLE_TYPES[mime])} for {mime})",
                          "audio", "direct_link")
