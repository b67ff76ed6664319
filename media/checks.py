"""Validation rules that need the media files (`segpack validate --media`): SEG303-SEG306,
and SEG407/SEG408/SEG415 for the show's artwork.

The manifest-only checks already report a missing audio file or a path leaving the show folder
(SEG301/SEG302); these look inside the files: is it audio, how long, which codec, and is the
artwork what podcast apps accept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from segment.directory_rules import placeholder_message
from segment.errors import SegpackError, ToolError
from segment.loading import SegmentFile
from segment.models import Segment, Show
from segment.rules import Finding, local_file_problem
from segment.scaffold import PLACEHOLDER_NAME
from segment.timecode import format_duration
from segment.userfiles import TooLarge, read_regular

PLAYABLE = {"mp3", "aac", "aac-he", "aac-he-v2"}
"""Codecs every major podcast app plays (Apple, Spotify, Google, Overcast, Pocket Casts...)."""

TOLERANCE = 1.0
"""Seconds the declared duration may differ from the real one."""


def media_findings(item: SegmentFile, show_dir: Path) -> Iterable[Finding]:
    """Findings about the audio and artwork files a valid segment points at."""
    segment = item.segment
    if not isinstance(segment, Segment):
        return []
    return list(_audio(item, segment, show_dir)) + list(_artwork(item, segment, show_dir))


def _position(item: SegmentFile, *keys: str) -> tuple[int, int]:
    return _positions(item.path).get(keys, (1, 1))


@lru_cache(maxsize=256)
def _positions(path: Path) -> dict[tuple[str, ...], tuple[int, int]]:
    """Lines of the keys media findings point at (re-read only when there is a finding)."""
    from segment.manifest import read_manifest

    try:
        meta = read_manifest(path).meta
    except SegpackError:
        return {}
    return {keys: meta.position(keys) for keys in
            (("audio", "file"), ("duration",), ("image", "file"))}


def _finding(item: SegmentFile, code: str, message: str, *keys: str) -> Finding:
    line, column = _position(item, *keys)
    return Finding(code, message, str(item.path), line, column, ".".join(keys))


def _audio(item: SegmentFile, segment: Segment, show_dir: Path) -> Iterator[Finding]:
    from media.journal import pending_problem
    from media.probe import probe

    rel = segment.audio.file
    if not rel:
        return
    path = show_dir / rel
    if local_file_problem(show_dir, rel):
        return  # SEG301 / SEG302 already say so
    problem = pending_problem(path)
    if problem is not None:  # reading never replays a journal; `segpack tag` does
        yield _finding(item, "SEG304", f"{rel}: {problem}", "audio", "file")
        return
    try:
        info = probe(path, accurate=True, hash=False)
    except ToolError:
        raise  # ffmpeg's problem, not this file's: stop with one line
    except SegpackError as exc:
        yield _finding(item, "SEG304", f"{rel}: {exc.message}", "audio", "file")
        return
    declared = segment.duration
    if declared is not None and abs(info.duration - declared) > TOLERANCE:
        yield _finding(item, "SEG303", f"duration is {format_duration(declared)} but {rel} lasts "
                       f"{format_duration(round(info.duration, 1))} ({info.duration_source}); "
                       "fix the manifest or the audio", "duration")
    if info.codec not in PLAYABLE:
        yield _finding(item, "SEG305", f"{rel} is {info.codec} in {info.container}; not every "
                       "podcast app plays it: publish MP3 or AAC (audio.encode in show.yaml)",
                       "audio", "file")


def _artwork(item: SegmentFile, segment: Segment, show_dir: Path) -> Iterator[Finding]:
    from media.artwork import MAX_BYTES, image_facts

    rel = segment.image.file
    if not rel:
        return
    path = show_dir / rel
    if local_file_problem(show_dir, rel):
        return  # SEG301 / SEG302 already say so
    try:
        facts = image_facts(read_regular(path, MAX_BYTES, what="an image file"), path)
    except TooLarge as exc:
        yield _finding(item, "SEG306", f"{rel} is {exc.size / 1e6:.1f} MB; "
                       "podcast apps want small JPEG/PNG artwork", "image", "file")
        return
    except (SegpackError, OSError) as exc:  # not an image, or unreadable since the check
        yield _finding(item, "SEG306", f"{rel}: {getattr(exc, 'message', None) or exc}",
                       "image", "file")
        return
    problems = facts.problems()
    if problems:
        yield _finding(item, "SEG306", f"{rel} " + "; ".join(problems), "image", "file")


def show_media_findings(show_path: Path, show: Show) -> list[Finding]:
    """SEG407/SEG408 for show.yaml's `image.file`, opened as far as its header: directories
    refuse show artwork that is not a 1400-3000 px square JPEG/PNG in RGB (missing files and
    paths out of the folder are SEG301/SEG302, reported without --media). SEG415 for
    segpack's placeholder copied under another name (its PNG text chunk says what it is)."""
    from media.artwork import ADVISED_BYTES, MAX_BYTES, image_file_facts

    rel = show.image.file
    root = show_path.parent
    if not rel or local_file_problem(root, rel):
        return []  # SEG301 / SEG302 already say so
    path = root / rel
    line, column = _show_positions(show_path).get(("image", "file"), (1, 1))

    def finding(code: str, message: str) -> Finding:
        return Finding(code, message, str(show_path), line, column, "image.file")

    size = path.stat().st_size
    if size > MAX_BYTES:
        return [finding("SEG407", f"{rel} is {size / 1e6:.1f} MB; segpack publishes show "
                        f"artwork up to {MAX_BYTES // 2**20} MB: save it as a compressed "
                        "1400-3000 px JPEG/PNG")]
    try:
        facts = image_file_facts(path)
    except SegpackError as exc:
        return [finding("SEG407", f"{rel}: {exc.message}")]
    found = []
    if facts.problems():
        found.append(finding("SEG407", f"{rel} " + "; ".join(facts.problems()) +
                             ": Apple Podcasts refuses such show artwork"))
    if facts.placeholder and Path(rel).name != PLACEHOLDER_NAME:  # else SEG415 without --media
        found.append(finding("SEG415", placeholder_message(rel)))
    if size > ADVISED_BYTES:
        found.append(finding("SEG408", f"{rel} is {size // 1024} KB; directories advise "
                             f"at most {ADVISED_BYTES // 1024} KB (compress it)"))
    return found


@lru_cache(maxsize=16)
def _show_positions(path: Path) -> dict[tuple[str, ...], tuple[int, int]]:
    from segment.manifest import read_yaml_file

    try:
        meta = read_yaml_file(path)
    except SegpackError:
        return {}
    return {("image", "file"): meta.position(("image", "file"))}
