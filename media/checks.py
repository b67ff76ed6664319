"""Validation rules that open the media files: SEG303-SEG306 and SEG309 for the audio and artwork
a manifest names, SEG304/SEG312 for its alternate renditions, SEG407/SEG408/SEG415 for the
show's artwork.

They are registered in `segment.rules` (`MEDIA_CHECKS`, `SHOW_MEDIA_CHECKS`) when this module
is imported, and the loaders run them when asked: `segpack validate --media` and `segpack build`
(with or without --check) run the same checks on the same files, so they give one verdict.
The manifest-only checks already report a missing audio file or a path leaving the show folder
(SEG301/SEG302); these look inside the files: is it audio, how long, which codec, and is the
artwork what podcast apps accept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from segment.directory_rules import (
    APPLE_TYPES,
    TYPE_ALIASES,
    alternate_file_type,
    placeholder_message,
)
from segment.errors import SegpackError, ToolError
from segment.models import AUDIO_TYPES, Show
from segment.rules import (
    MEDIA_CHECKS,
    RULES,
    SHOW_MEDIA_CHECKS,
    Context,
    Finding,
    ShowContext,
    local_file_problem,
)
from segment.scaffold import PLACEHOLDER_NAME
from segment.timecode import format_duration
from segment.userfiles import TooLarge, read_regular

PLAYABLE = {"mp3", "aac", "aac-he", "aac-he-v2"}
"""Codecs every major podcast app plays (Apple, Spotify, Google, Overcast, Pocket Casts...)."""

TOLERANCE = 1.0
"""Seconds the declared duration may differ from the real one."""


def edits_length(show: Show | None) -> bool:
    """True when the build adds stings or trims silence: the published audio is then meant to
    last longer or shorter than the item (SEG303 then allows the span between the two)."""
    if show is None:
        return False
    audio = show.audio
    return bool(audio.intro or audio.outro or audio.trim_silence)


def processed(show: Show | None) -> bool:
    """True when the build runs the audio through ffmpeg (encode, normalise, stings, trim):
    the published copy is then MP3 or AAC (`media.encode.codec_for`), whatever the source."""
    if show is None:
        return False
    from media.encode import needs_work

    return needs_work(show.audio)


def _duration_mismatch(declared: float, item: float, rel: str, ctx: Context) -> str | None:
    """SEG303's message, or None. Without stings or trimming the published file is the item:
    the declared duration must be its length. With them the published file lasts from the
    item's own length (less its trimmed silence) to item + intro + outro: a declared
    duration in that span (the page's item length, or the published one) is right; the exact
    published length is only known once the build has made the copy, and the feed carries
    that one (itunes:duration)."""
    shortest = longest = item
    if edits_length(ctx.show):
        assert ctx.show is not None
        for sting in (ctx.show.audio.intro, ctx.show.audio.outro):
            longest += _sting_length(ctx.show_dir, sting)
        if ctx.show.audio.trim_silence:  # how much silence goes is known once decoded
            shortest = 0.0
    if shortest - TOLERANCE <= declared <= longest + TOLERANCE:
        return None
    said = f"duration is {format_duration(declared)} but {rel} lasts " \
        f"{format_duration(round(item, 1))}"
    if longest > item:
        said += f" (published with its intro/outro: up to {format_duration(round(longest, 1))})"
    return said


def _sting_length(show_dir: Path, rel: str | None) -> float:
    """An intro's or outro's length from its header (0 when there is none or it cannot be
    read: show.yaml's own check names that file); probed once per version of the file."""
    if not rel or local_file_problem(show_dir, rel):
        return 0.0
    path = show_dir / rel
    st = path.stat()
    return _probed_length(path, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _probed_length(path: Path, size: int, mtime_ns: int) -> float:
    from media.probe import probe

    try:
        return float(probe(path, hash=False).duration)
    except SegpackError:
        return 0.0


def _audio(ctx: Context) -> Iterator[Finding]:
    """SEG304 audio that cannot be read (or a tag write left pending), SEG303 a declared
    duration more than a second off the audio's. Unless show.yaml has the build encode it
    (then the copy is MP3 or AAC): SEG309 a container published as a type Apple does not list
    (the rule a direct link's type follows), else SEG305 a codec not every app plays."""
    segment, show_dir = ctx.segment, ctx.show_dir
    rel = segment.audio.file
    if not rel or local_file_problem(show_dir, rel):
        return  # SEG301 / SEG302 already say so
    from media.journal import pending_problem  # not for a direct link: mutagen costs ~50 ms
    from media.probe import probe

    path = show_dir / rel
    problem = pending_problem(path)
    if problem is not None:  # reading never replays a journal; `segpack tag` does
        yield ctx.finding("SEG304", f"{rel}: {problem}", "audio", "file")
        return
    try:
        info = probe(path, accurate=True, hash=False)
    except ToolError:
        raise  # ffmpeg's problem, not this file's: stop with one line
    except SegpackError as exc:
        yield ctx.finding("SEG304", f"{rel}: {exc.message}", "audio", "file")
        return
    declared = segment.duration
    if declared is not None:
        mismatch = _duration_mismatch(declared, info.duration, rel, ctx)
        if mismatch:
            yield ctx.finding("SEG303", mismatch + f" ({info.duration_source}); fix the manifest "
                              "or the audio", "duration")
    if processed(ctx.show):
        return
    from media.containers import BY_NAME

    label = BY_NAME[info.container].label
    if TYPE_ALIASES.get(info.mime, info.mime) not in APPLE_TYPES:  # published as it is
        yield ctx.finding("SEG309", f"{rel} is {label}, published as {info.mime}: Apple "
                          "Podcasts lists only audio/mpeg (MP3) and audio/x-m4a (M4A) audio, "
                          "so the episode would not appear there; use an MP3 or M4A file, or "
                          "have the build encode it (audio: {encode: mp3} in show.yaml)",
                          "audio", "file")
    elif info.codec not in PLAYABLE:
        yield ctx.finding("SEG305", f"{rel} is {info.codec} in {info.container}; not every "
                          "podcast app plays it: publish MP3 or AAC (audio.encode in show.yaml)",
                          "audio", "file")


SPELLINGS = {"audio/opus": "audio/ogg", "audio/x-wav": "audio/wav", "audio/wave": "audio/wav",
             "audio/vnd.wave": "audio/wav", "audio/x-flac": "audio/flac"}
"""Other names in use for the types of `media.containers` (RFC 7587, RFC 2361, ...)."""


def _types_of(container: str) -> set[str]:
    """The types a file of `container` may be published as: its row's MIME type and those of
    the suffixes it goes by (an MP4 as audio/mp4 or audio/x-m4a), in Apple's spelling."""
    from media.containers import BY_NAME

    row = BY_NAME[container]
    names = {row.mime, *(AUDIO_TYPES[s] for s in row.suffixes if s in AUDIO_TYPES)}
    return {_spelled(name) for name in names}


def _spelled(mime: str) -> str:
    mime = SPELLINGS.get(mime, mime)
    return TYPE_ALIASES.get(mime, mime)


def _alternates(ctx: Context) -> Iterator[Finding]:
    """The renditions in the show folder (`audio.alternates: [{file}]`) are published as they
    are: SEG304 one that is not audio segpack reads, SEG312 one whose published type (its
    `type:`, else its name's) is not its content's."""
    alternates = ctx.segment.audio.alternates
    if not any(alt.file for alt in alternates):
        return
    from media.containers import BY_NAME
    from media.journal import pending_problem
    from media.probe import probe

    for index, alt in enumerate(alternates):
        rel = alt.file
        if not rel or local_file_problem(ctx.show_dir, rel):
            continue  # SEG301 / SEG302 already say so
        keys = ("audio", "alternates", index, "file")
        path, info = ctx.show_dir / rel, None
        try:
            problem = pending_problem(path)
            info = None if problem else probe(path, hash=False)
        except ToolError:
            raise
        except SegpackError as exc:
            problem = exc.message
        if info is None:
            yield ctx.finding("SEG304", f"audio.alternates[{index}]: {rel}: {problem}", *keys)
            continue
        published = alternate_file_type(alt) or "audio/mpeg"  # what `feeds.enclosures` writes
        if _spelled(published) in _types_of(info.container):
            continue
        row = BY_NAME[info.container]
        right = AUDIO_TYPES.get(row.suffixes[0], row.mime)
        fix = f"write type: {right}" if alt.type else \
            f"name it {row.suffixes[0]} or write type: {right}"
        yield ctx.finding("SEG312", f"audio.alternates[{index}]: {rel} is {row.label} but "
                          f"would be published as {published} (its "
                          f"{'type:' if alt.type else 'name'}); apps would be told the wrong "
                          f"format: {fix}", *((*keys[:3], "type") if alt.type else keys))


def _artwork(ctx: Context) -> Iterator[Finding]:
    """SEG306: the episode's image is not what podcast apps accept; one the build cannot use
    (not JPEG/PNG, over 3000 px or 10 MB, unreadable) is left out of the feed and tags."""
    rel = ctx.segment.image.file
    if not rel or local_file_problem(ctx.show_dir, rel):
        return  # SEG301 / SEG302 already say so
    from media.artwork import MAX_BYTES, MAX_SIDE, image_facts  # Pillow only when needed

    path = ctx.show_dir / rel
    left_out = "; left out of the feed and tags"
    try:
        facts = image_facts(read_regular(path, MAX_BYTES, what="an image file"), path)
    except TooLarge as exc:
        yield ctx.finding("SEG306", f"{rel} is {exc.size / 1e6:.1f} MB; podcast apps want "
                          f"small JPEG/PNG artwork{left_out}", "image", "file")
        return
    except (SegpackError, OSError) as exc:  # not an image, or unreadable since the check
        yield ctx.finding("SEG306", f"{rel}: {getattr(exc, 'message', None) or exc}"
                          f"{left_out}", "image", "file")
        return
    problems = facts.problems()
    if problems:
        unusable = facts.format not in ("JPEG", "PNG") or \
            max(facts.width, facts.height) > MAX_SIDE  # what `media.artwork.load_artwork` refuses
        yield ctx.finding("SEG306", f"{rel} " + "; ".join(problems) +
                          (left_out if unusable else ""), "image", "file")


def _show_artwork(ctx: ShowContext) -> Iterator[Finding]:
    """SEG407/SEG408 for show.yaml's `image.file`, opened as far as its header: directories
    refuse show artwork that is not a 1400-3000 px square JPEG/PNG in RGB (missing files and
    paths out of the folder are SEG301/SEG302, reported without --media). SEG415 for
    segpack's placeholder copied under another name (its PNG text chunk says what it is)."""
    from media.artwork import ADVISED_BYTES, MAX_BYTES, image_file_facts

    rel = ctx.show.image.file
    root = ctx.show_dir
    if not rel or local_file_problem(root, rel):
        return  # SEG301 / SEG302 already say so
    path = root / rel

    def finding(code: str, message: str) -> Finding:
        return ctx.finding(code, message, "image", "file")

    size = path.stat().st_size
    if size > MAX_BYTES:
        yield finding("SEG407", f"{rel} is {size / 1e6:.1f} MB; segpack publishes show "
                      f"artwork up to {MAX_BYTES // 2**20} MB: save it as a compressed "
                      "1400-3000 px JPEG/PNG")
        return
    try:
        facts = image_file_facts(path)
    except SegpackError as exc:
        yield finding("SEG407", f"{rel}: {exc.message}")
        return
    if facts.problems():
        yield finding("SEG407", f"{rel} " + "; ".join(facts.problems()) +
                      ": Apple Podcasts refuses such show artwork")
    if facts.placeholder and Path(rel).name != PLACEHOLDER_NAME:  # else SEG415 without --media
        yield finding("SEG415", placeholder_message(rel))
    if size > ADVISED_BYTES:
        yield finding("SEG408", f"{rel} is {size // 1024} KB; directories advise "
                      f"at most {ADVISED_BYTES // 1024} KB (compress it)")


MEDIA_CHECKS.extend([(RULES["SEG304"], _audio), (RULES["SEG312"], _alternates),
                     (RULES["SEG306"], _artwork)])
SHOW_MEDIA_CHECKS.append((RULES["SEG407"], _show_artwork))
