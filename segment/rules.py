"""The rule registry: every finding segpack reports has a code listed here.

A rule is a code, a short name, a severity and a one-line summary; its docstring (for checks) or
`doc` shows a bad and a good example and is the documentation (`segpack rules`). Rules raised by
parsing and by the models are *declared* (the model field types raise them by code); rules that
look at a whole valid segment are *checks*, registered with `@check`.

Families: SEG1xx manifest syntax, SEG2xx fields, SEG3xx manifest vs audio, SEG4xx show-wide,
SEG5xx editorial quality.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segment.userfiles import file_problem

if TYPE_CHECKING:
    from segment.models import Segment, Show
    from segment.published import Published
    from segment.yamlio import Located


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    doc: str = ""


@dataclass
class Finding:
    """One thing wrong, where it is: the record every formatter prints.

    Its severity is its rule's, wherever it is raised (validate, tag, build): a code has one
    severity, and a code not in the registry is refused when the finding is made."""

    code: str
    message: str
    path: str
    line: int = 1
    column: int = 1
    field: str | None = None

    def __post_init__(self) -> None:
        if self.code not in RULES:
            raise ValueError(f"{self.code}: not a rule in segment.rules; declare it first")

    @property
    def severity(self) -> Severity:
        return RULES[self.code].severity

    def as_tuple(self) -> tuple:
        """Plain values, for caches and for sending between processes (`from_tuple`)."""
        return (self.code, self.message, self.path, self.line, self.column, self.field)

    @classmethod
    def from_tuple(cls, values: tuple | list) -> Finding:
        return cls(*values)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.value, "message": self.message,
                "path": self.path, "line": self.line, "column": self.column, "field": self.field,
                "rule": RULES[self.code].name if self.code in RULES else None}


@dataclass
class Context:
    """What a check sees: the valid segment, where its keys are, and its show (if any)."""

    path: Path
    segment: Segment
    meta: Located
    body_line: int
    show: Show | None
    show_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    published: Published | None = None
    """What the last build published, when the output folder is known (`segment.published`)."""

    def finding(self, code: str, message: str, *keys: str | int) -> Finding:
        line, column = self.meta.position(tuple(keys)) if keys else (1, 1)
        if keys == ("transcript",):
            line, column = self.body_line, 1
        return Finding(code, message, str(self.path), line, column,
                       ".".join(map(str, keys)) or None)


@dataclass
class ShowContext:
    """What a show check sees: the valid show.yaml and where its keys are."""

    path: Path
    show: Show
    meta: Located
    show_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)

    def finding(self, code: str, message: str, *keys: str | int) -> Finding:
        """A finding at the key's line (line 1 when the key is missing)."""
        line, column = self.meta.position(tuple(keys))
        return Finding(code, message, str(self.path), line, column,
                       ".".join(map(str, keys)) or None)


RULES: dict[str, Rule] = {}
CHECKS: list[tuple[Rule, Callable[[Context], Iterator[Finding]]]] = []
SHOW_CHECKS: list[tuple[Rule, Callable[[ShowContext], Iterator[Finding]]]] = []
MEDIA_CHECKS: list[tuple[Rule, Callable[[Context], Iterator[Finding]]]] = []
"""Checks that open the files a manifest names (audio, artwork). `segment` cannot read media:
`media.checks` registers them on import, and the loaders run them when asked (`media=True`:
`validate --media` and every build alike, so the two give one verdict)."""
SHOW_MEDIA_CHECKS: list[tuple[Rule, Callable[[ShowContext], Iterator[Finding]]]] = []
"""The same for the files show.yaml names (its artwork)."""


def declare(code: str, name: str, severity: Severity, summary: str, doc: str = "") -> Rule:
    """Add a rule to the registry; a code or a name used twice is a programming error (two
    modules once both declared SEG215, and the later one silently replaced the other)."""
    if code in RULES:
        raise ValueError(f"rule {code} is declared twice ({RULES[code].name!r} and {name!r})")
    if any(rule.name == name for rule in RULES.values()):
        raise ValueError(f"rule name {name!r} is declared twice")
    RULES[code] = rule = Rule(code, name, severity, summary, doc.strip())
    return rule


def check(code: str, name: str, severity: Severity, summary: str):
    """Register a function `(Context) -> Iterator[Finding]` as rule `code`."""

    def register(func: Callable[[Context], Iterator[Finding]]):
        CHECKS.append((declare(code, name, severity, summary, func.__doc__ or ""), func))
        return func

    return register


def show_check(code: str, name: str, severity: Severity, summary: str):
    """Register a function `(ShowContext) -> Iterator[Finding]` as rule `code`."""

    def register(func: Callable[[ShowContext], Iterator[Finding]]):
        SHOW_CHECKS.append((declare(code, name, severity, summary, func.__doc__ or ""), func))
        return func

    return register


E, W = Severity.ERROR, Severity.WARNING

# SEG1xx: the file is not a usable manifest -------------------------------------------------------
declare("SEG101", "yaml-syntax", E, "YAML syntax error",
        "bad: `title: a: b`  good: `title: 'a: b'`")
declare("SEG102", "unknown-key", E, "key not in the manifest format (typo?)",
        "bad: `tilte: X`  good: `title: X`")
declare("SEG103", "no-front-matter", E, "file does not start with '---' front matter")
declare("SEG104", "not-text", E, "empty, binary, unreadable or not UTF-8")
declare("SEG105", "too-large", E, "file larger than segpack accepts")
declare("SEG106", "yaml-alias", E, "YAML anchors/aliases are refused (billion-laughs guard)")
declare("SEG107", "not-a-mapping", E, "metadata is not a mapping of keys to values")
declare("SEG108", "duplicate-key", E, "the same key twice; YAML would silently keep the last")
declare("SEG109", "no-manifests", E, "a folder given to validate holds no manifests")

# SEG2xx: fields missing or malformed -----------------------------------------------------------
declare("SEG201", "missing-field", E, "a required field is missing",
        "required: id, title and language")
declare("SEG202", "bad-duration", E, "duration is not SS, M:SS or H:MM:SS, or longer than "
        "max-duration (24 h); a soundbite past the end of the audio",
        "bad: `duration: 3m41s`, `duration: 99999999:00:00`  good: `duration: \"3:41\"`; "
        "a longer limit: `max-duration = \"48:00:00\"` in [tool.segpack]")
declare("SEG203", "bad-date", E, "date is not ISO 8601 with a timezone",
        "bad: `published: 2016-03-28`  good: `published: 2016-03-28T14:00:00Z`")
declare("SEG204", "bad-language", E, "language is not a BCP 47 tag",
        "bad: `language: English`  good: `language: en`")
declare("SEG205", "bad-url", E, "URL is not http(s)",
        "bad: `url: javascript:alert(1)`  good: `url: https://www.voanews.com/a/x.html`")
declare("SEG206", "bad-id", E, "id is not a slug",
        "bad: `id: Momentum Against ISIL`  good: `id: momentum-against-isil-builds`")
declare("SEG207", "bad-value", E, "value of the wrong type or out of range")
declare("SEG209", "control-character", E, "text holds control characters feeds and tags reject")

# SEG3xx: manifest vs audio ---------------------------------------------------------------------
declare("SEG302", "path-escapes", E, "a path leaves the show folder (.. or a symlink out)")
declare("SEG303", "duration-mismatch", E, "declared duration differs from the audio by > 1 s")
declare("SEG304", "audio-unreadable", E, "audio file cannot be read as audio")
declare("SEG305", "codec-unsupported", W, "codec podcast apps do not all play")
declare("SEG306", "artwork", W, "artwork not JPEG/PNG, not square, not 1400-3000 px or not RGB")

# SEG4xx: show-wide -----------------------------------------------------------------------------
declare("SEG401", "duplicate-id", E, "two segments share an id")
declare("SEG402", "duplicate-guid", E, "two segments share a GUID")
declare("SEG403", "no-show", E, "folder has segments but no show.yaml, which the feed needs")
declare("SEG404", "no-feed-url", W, "show.yaml has no feed_url (atom:link self, podcast:guid)")
declare("SEG405", "id-filename", W, "manifest id differs from its file name")
declare("SEG406", "no-media-base-url", E, "media to publish but neither media_base_url nor "
        "feed_url says where")


@check("SEG416", "guid-changed", E, "an episode the output's feed publishes would get a new "
       "guid (its id renamed or its guid edited)")
def _guid_changed(ctx: Context) -> Iterator[Finding]:
    """Podcast apps know an episode by its guid: under a new one they list it again, as new.
    Compared with the feed in the output folder (`segpack build -o DIR`; `segpack validate
    --output DIR`), an episode is recognised by its enclosure, its audio's name or its title
    and date. bad: `segments/old-id.md` renamed `new-id.md` (the guid follows the id)
    good: the new manifest keeps the published guid: `guid: "<the guid in feed.xml>"`"""
    if ctx.published is None or ctx.segment.draft:
        return
    from segment.published import Match

    earlier = ctx.published.earlier_guid(ctx.segment)
    if isinstance(earlier, Match):
        import json

        yield ctx.finding("SEG416", f"{earlier.page} publishes this episode (same "
                          f"{earlier.how}) as guid {earlier.guid!r}: under "
                          f"{ctx.segment.item_guid!r} podcast apps would list it twice; keep "
                          f"the published guid: put guid: {json.dumps(earlier.guid)} in this "
                          "manifest", "guid" if "guid" in ctx.meta.data else "id")
    elif earlier is not None:
        yield Finding("SEG417", f"{earlier.reason}: treated as no feed, so this episode's guid "
                      "is not compared with what was published (SEG416); the build replaces "
                      "it", earlier.page)


declare("SEG417", "published-unreadable", W, "a page of the output's published feed cannot be "
        "read (not a regular file, not well-formed XML): treated as absent")


# SEG2xx/5xx checks on a valid segment -----------------------------------------------------------

@check("SEG210", "no-published", W, "no publication date: apps sort and show episodes by it")
def _no_published(ctx: Context) -> Iterator[Finding]:
    """bad: `published: null`  good: `published: 2016-03-28T14:00:00-04:00`"""
    if ctx.segment.published is None:
        yield ctx.finding("SEG210", "no publication date (published): podcast apps need one; "
                          "add it when known", "published")


@check("SEG211", "no-audio", W, "neither audio.file nor audio.direct_link")
def _no_audio(ctx: Context) -> Iterator[Finding]:
    """bad: `audio: {}`  good: `audio: {file: media/x.mp3}`"""
    audio = ctx.segment.audio
    if not audio.file and not audio.direct_link:
        yield ctx.finding("SEG211", "no audio: neither audio.file nor the direct link "
                          "(audio.direct_link) is known", "audio")


@check("SEG212", "no-direct-link", W, "the newsroom's direct link to the audio is unknown")
def _no_direct_link(ctx: Context) -> Iterator[Finding]:
    """bad: `direct_link: null`  good: `direct_link: https://av.voanews.com/.../x.mp3`"""
    audio = ctx.segment.audio
    if audio.file and not audio.direct_link:
        yield ctx.finding("SEG212", "no direct link (audio.direct_link): the newsroom's own "
                          "link to the audio is unknown", "audio", "direct_link")


@check("SEG213", "no-source-url", W, "the article page's URL is unknown")
def _no_source_url(ctx: Context) -> Iterator[Finding]:
    """bad: `source: {url: null}`  good: `source: {url: https://www.voanews.com/a/x.html}`"""
    if not ctx.segment.source.url:
        yield ctx.finding("SEG213", "no source page URL (source.url): the item will have no "
                          "link to its article", "source", "url")


@check("SEG208", "no-transcript", E, "the body (transcript) is empty")
def _no_transcript(ctx: Context) -> Iterator[Finding]:
    """bad: nothing below the closing `---`  good: the transcript there. A segment migrated from
    a feed (it keeps the feed's `guid`) may have none: a feed item needs no text to be played;
    its `transcripts:` files or show `notes`, if any, are published."""
    seg = ctx.segment
    if not seg.transcript.strip() and not (seg.transcripts or seg.transcript_url or seg.notes
                                           or seg.guid):
        yield ctx.finding("SEG208", "no transcript: write it below the closing '---'",
                          "transcript")


@check("SEG217", "no-duration", W, "no duration: the feed gives none unless the audio is local")
def _no_duration(ctx: Context) -> Iterator[Finding]:
    """bad: `duration: null` with only a direct link  good: `duration: "3:41"`"""
    seg = ctx.segment
    if seg.duration is None and not seg.audio.file:
        yield ctx.finding("SEG217", "no duration: the feed will carry no itunes:duration "
                          "(add it, or audio.file to measure it)", "duration")


@check("SEG301", "audio-missing", E, "audio.file does not exist")
def _local_files(ctx: Context) -> Iterator[Finding]:
    """audio.file, image.file, captions and alternates' files are relative to the show folder
    and must stay inside it (SEG302) and be regular files there (SEG301). `segpack build`
    plans with the same `local_file_problem`, so validate and build agree on every path."""
    segment = ctx.segment
    alternates = [(("audio", "alternates", index, "file"), alt.file)
                  for index, alt in enumerate(segment.audio.alternates)]
    for keys, rel in ((("audio", "file"), segment.audio.file),
                      (("image", "file"), segment.image.file), (("captions",), segment.captions),
                      *alternates):
        if not rel:
            continue
        problem = local_file_problem(ctx.show_dir, rel)
        if problem is not None:
            code, message = problem
            yield ctx.finding(code, message, *keys)


@check("SEG311", "captions-invalid", E, "captions file not UTF-8 WebVTT or SubRip: the build "
       "cannot publish it")
def _captions(ctx: Context) -> Iterator[Finding]:
    """bad: `captions: segments/x.txt`, or a .vtt without its `WEBVTT` first line
    good: `captions: segments/x.vtt` starting `WEBVTT` (or a SubRip `.srt`)"""
    from segment.captions import captions_problem

    rel = ctx.segment.captions
    if not rel or local_file_problem(ctx.show_dir, rel):
        return  # SEG301 / SEG302 say what is wrong
    problem = captions_problem(ctx.show_dir / rel)
    if problem is not None:
        yield ctx.finding("SEG311", f"{rel}: {problem}", "captions")


def local_file_problem(show_dir: Path, rel: str) -> tuple[str, str] | None:
    """(code, message) when the file a manifest or show.yaml names (`rel`, relative to the show
    folder) leaves the folder (SEG302: `..`, or a symlink out) or is not a regular file there
    (SEG301: missing, a FIFO, a folder, a symlink loop); None when it is usable."""
    target = show_dir / rel
    if not inside(target, show_dir):
        return "SEG302", f"{rel!r} leaves the show folder; keep files inside it"
    problem = file_problem(target)
    if problem is None:
        return None
    if problem == "not found":
        return "SEG301", f"{rel!r} not found (relative to {show_dir})"
    return "SEG301", f"{rel!r} {problem}"


MAX_DURATION = 24 * 3600.0
"""Longest segment accepted unless `max-duration` says otherwise: a news item, even a long
programme, is hours; 99999999:00:00 is a typo, and would be published as such."""


def max_duration(ctx: Context) -> float:
    """The longest segment these settings accept (seconds)."""
    return float(ctx.settings.get("max-duration", MAX_DURATION))


def _duration_bound(ctx: Context) -> Iterator[Finding]:
    """bad: `duration: 99999999:00:00`  good: `duration: 3:41`"""
    limit = max_duration(ctx)
    if ctx.segment.duration is not None and ctx.segment.duration > limit:
        yield ctx.finding("SEG202", f"duration {_time(ctx.segment.duration)} is longer than "
                          f"{_time(limit)} (max-duration in [tool.segpack]); fix the typo or "
                          "raise the limit", "duration")


def _time(seconds: float) -> str:
    """H:MM:SS, or for a number no duration comes near, '1e+300 seconds' (not 300 digits)."""
    from segment.timecode import format_duration

    return format_duration(seconds) if seconds < 1e13 else f"{seconds:.3g} seconds"


CHECKS.append((RULES["SEG202"], _duration_bound))


def _soundbite_bounds(ctx: Context) -> Iterator[Finding]:
    """A soundbite lies within the audio as a chapter does: it starts before the end and ends
    no later (1 s of rounding allowed), the end being the declared duration, else max-duration.
    bad: `soundbites: [{start: 99999999, duration: 30}]`  good: `[{start: 73.5, duration: 30}]`"""
    duration = ctx.segment.duration
    end = max_duration(ctx) if duration is None else duration
    limit = f"{_time(end)}, " + ("the duration" if duration is not None else
                                 "max-duration in [tool.segpack]")
    for index, bite in enumerate(ctx.segment.soundbites):
        if bite.start >= end:
            yield ctx.finding("SEG202", f"soundbites[{index}] starts at {_time(bite.start)}, "
                              f"after the end of the audio ({limit}); fix the start",
                              "soundbites", index, "start")
        elif bite.start + bite.duration > end + 1:
            yield ctx.finding("SEG202", f"soundbites[{index}] lasts {_time(bite.duration)} "
                              f"from {_time(bite.start)}, past the end of the audio ({limit}); "
                              "shorten it", "soundbites", index, "duration")


CHECKS.append((RULES["SEG202"], _soundbite_bounds))


@check("SEG214", "xml-invalid-character", W, "text holds characters XML cannot carry; the "
       "feed leaves them out")
def _xml_invalid(ctx: Context) -> Iterator[Finding]:
    """XML 1.0 cannot carry NUL, form feed, lone surrogates or U+FFFE/U+FFFF: the feed and pages
    leave them out. bad: a transcript pasted with a form feed  good: the same without it"""
    from segment.xmltext import has_invalid

    seg = ctx.segment
    for name, text in (("title", seg.title), ("summary", seg.summary),
                       ("transcript", seg.transcript)):
        if has_invalid(text):
            yield ctx.finding("SEG214", f"{name}: holds characters XML cannot carry (control "
                              "characters); the feed and pages leave them out", name)


@check("SEG501", "title-empty", E, "title is empty")
def _title_empty(ctx: Context) -> Iterator[Finding]:
    """bad: `title: ''`  good: `title: Momentum Against ISIL Builds`"""
    if not ctx.segment.title.strip():
        yield ctx.finding("SEG501", "title is empty", "title")


@check("SEG502", "title-too-long", W, "title longer than podcast apps show")
def _title_long(ctx: Context) -> Iterator[Finding]:
    """Apple and Spotify truncate long titles; keep them under the limit (default 120)."""
    limit = ctx.settings.get("max-title-length", 120)
    if len(ctx.segment.title) > limit:
        yield ctx.finding("SEG502", f"title is {len(ctx.segment.title)} characters; apps "
                          f"truncate after {limit}", "title")


@check("SEG503", "summary-too-long", W, "summary longer than podcast apps accept")
def _summary_long(ctx: Context) -> Iterator[Finding]:
    """Apple limits descriptions to 4000 characters; the summary is the description."""
    limit = ctx.settings.get("max-summary-length", 4000)
    if ctx.segment.summary and len(ctx.segment.summary) > limit:
        yield ctx.finding("SEG503", f"summary is {len(ctx.segment.summary)} characters; "
                          f"podcast apps cut it at {limit}", "summary")


@check("SEG504", "speech-rate", W, "transcript words per minute implausible for the duration")
def _speech_rate(ctx: Context) -> Iterator[Finding]:
    """News is read at ~130-170 words a minute; far outside 90-220 means the duration or the
    transcript is wrong (e.g. a 30 s duration for a 3-minute script)."""
    low, high = ctx.settings.get("words-per-minute", (90, 220))
    seconds = ctx.segment.duration
    if seconds is None or seconds < 20 or not ctx.segment.transcript:
        return
    rate = word_count(ctx.segment.transcript) / (seconds / 60)
    if not low <= rate <= high:
        yield ctx.finding("SEG504", f"transcript reads at {rate:.0f} words a minute for the "
                          f"declared duration; expected {low}-{high}", "duration")


_STR_ONLY_SPACES = ("\x1c", "\x1d", "\x1e", "\x1f")
"""Characters str.split() counts as whitespace and bytes.split() does not (in ASCII)."""


def word_count(text: str) -> int:
    """`len(text.split())`; for ASCII text split as bytes, which makes no str objects (a
    fifth cheaper on a 250-word transcript, for every segment of every build)."""
    if text.isascii() and not any(c in text for c in _STR_ONLY_SPACES):
        return len(text.encode("ascii").split())
    return len(text.split())


@check("SEG505", "chapters", E, "chapters out of order or past the end of the audio")
def _chapters(ctx: Context) -> Iterator[Finding]:
    """Chapter starts must increase and fall within the duration; an end, when given, must
    come after its start and no later than the end of the audio. Without a duration, within
    max-duration (tags store chapter times in 32-bit milliseconds)."""
    from segment.captions import aligned_in_build

    previous = -1.0
    seg = ctx.segment
    duration = seg.duration
    end = max_duration(ctx) if duration is None else duration
    aligned = ctx.show is not None and aligned_in_build(ctx.show.captions, seg.captions,
                                                        seg.audio.file, seg.transcript,
                                                        seg.transcripts)
    for index, chapter in enumerate(seg.chapters):
        if aligned and chapter.at is not None:
            continue  # the build's alignment gives its start (show.yaml `captions: align`)
        if chapter.start <= previous:
            yield ctx.finding("SEG505", "chapter starts before or with the previous one",
                              "chapters", index, "start")
        elif chapter.start >= end:
            yield ctx.finding("SEG505", "chapter starts after the end of the audio"
                              + (" (max-duration)" if duration is None else ""),
                              "chapters", index, "start")
        if chapter.end is not None and not chapter.start < chapter.end <= end + 1:
            yield ctx.finding("SEG505", "chapter ends before its start or after the end of "
                              "the audio", "chapters", index, "end")
        previous = chapter.start


@check("SEG506", "chapter-anchor", E, "a chapter's text anchor is not in the transcript, is "
       "ambiguous, or has not been aligned")
def _chapter_anchors(ctx: Context) -> Iterator[Finding]:
    """bad: `at: "Palmira"` (not in the text)  good: `at: "Another set-back for ISIL"` or
    `at: 4` (the fourth paragraph), then `segpack align` writes `start`."""
    from segment.anchors import AnchorError, resolve

    for index, chapter in enumerate(ctx.segment.chapters):
        if chapter.at is None:
            continue
        try:
            resolve(chapter.at, ctx.segment.transcript)
        except AnchorError as exc:
            yield ctx.finding("SEG506", f"chapter anchor: {exc}", "chapters", index, "at")


@check("SEG507", "captions-stale", W, "captions made by segpack align for another version of "
       "the transcript")
def _captions_stale(ctx: Context) -> Iterator[Finding]:
    """The transcript (or its language or chapter anchors) changed after `segpack align` made
    the captions: they show the old text. Run `segpack align` again. Captions made by other
    tools carry no note and are not checked."""
    from segment.anchors import AnchorError, resolve
    from segment.captions import read_note, text_key

    seg = ctx.segment
    if not seg.captions:
        return
    note = read_note(ctx.show_dir / seg.captions)
    if note is None:
        return
    try:
        anchors = sorted({resolve(c.at, seg.transcript) for c in seg.chapters
                          if c.at is not None})
    except AnchorError:
        return  # SEG506 says what is wrong
    if note[0] != text_key(seg.transcript, seg.language, anchors):
        yield ctx.finding("SEG507", f"captions ({seg.captions}) were aligned to another "
                          "version of the transcript: run `segpack align` again", "captions")


MAX_SUBTITLE = 255
"""itunes:subtitle's limit: Apple's Podcasts Connect spec limits its tag values to 255
characters (itunes:summary aside, 4000), and the W3C feed validator reports a longer
itunes:subtitle as an error ("length of N exceeds the maximum allowable")."""


@check("SEG508", "subtitle-too-long", E, f"subtitle longer than the {MAX_SUBTITLE} characters "
       "itunes:subtitle may hold")
def _subtitle_long(ctx: Context) -> Iterator[Finding]:
    """The feed publishes `subtitle` as itunes:subtitle, which Apple and the W3C feed
    validator limit to 255 characters (an error there). A longer text belongs in the summary.
    bad: a 357-character `subtitle:` (a migrated feed's)   good: one sentence, the rest in
    `summary:`"""
    yield from _subtitle_finding(ctx.segment.subtitle, ctx.finding)


def _show_subtitle_long(ctx: ShowContext) -> Iterator[Finding]:
    yield from _subtitle_finding(ctx.show.subtitle, ctx.finding)


def _subtitle_finding(subtitle: str | None, finding: Callable[..., Finding]
                      ) -> Iterator[Finding]:
    if subtitle and len(subtitle) > MAX_SUBTITLE:
        yield finding("SEG508", f"subtitle is {len(subtitle)} characters; itunes:subtitle "
                      f"holds at most {MAX_SUBTITLE} (the W3C feed validator refuses it): "
                      "shorten it and keep the full text in the summary", "subtitle")


SHOW_CHECKS.append((RULES["SEG508"], _show_subtitle_long))  # show.yaml's subtitle alike


declare("SEG509", "captions-not-published", W, "captions: align could not time the segment's "
        "text: it is published without captions",
        "The build measured the match between the transcript and the audio and refused the "
        "captions (wrong audio, another reading, an untranslated text); chapters anchored to "
        "the text are left out too. Fix the text or the audio; `segpack align --json` on the "
        "manifest shows where it fails.")


def inside(path: Path, folder: Path) -> bool:
    """True when `path` (symlinks resolved) is inside `folder`. `os.path.realpath`, not
    `Path.resolve()`: on Python 3.10-3.12 that raises RuntimeError on a symlink loop; a loop
    inside the folder counts as inside, and reading it reports the loop."""
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


# Rules for what podcast directories accept register themselves on import.
from segment import directory_rules  # noqa: E402, F401
