"""Captions a build makes itself (show.yaml `captions: align`): the alignment of each segment
that has audio and text but no captions, as `segpack align` makes it (`media.align`).

The aligner times the text against the source audio; the compiler moves the cues to the
published file's times (`feeds.captions`) and publishes them as `podcast:transcript
rel="captions"`; anchored chapters (`at:`) take the time their words are spoken, in the
chapters JSON and in the copy's CHAP frames. A segment whose text and audio do not match (the
aligner's verdict, `media.align.aligner`) is published without captions, with SEG509 naming
the reason. A build that has segments to align and no aligner (the align extra or espeak-ng
missing) stops in one line, as without ffmpeg: a warning would be kept with the build and
outlive the installation. The show folder is never written to.

Results live in the build cache (`captions/<key>.json`) under a content key: the text key
(`segment.captions.text_key`: transcript, language, anchors), the audio's SHA-256, and the
aligner's own code, so a build aligns a segment again only when one of them changes (the
espeak-ng voice follows from the language). Refusals are kept too: the same text and audio get
the same verdict. Alignments not in the cache run through the build's executor (`--jobs`
local processes, or `--scheduler` Dask workers), and the build process alone writes the cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.cache import read_json, write_json
from segment.errors import SegpackError, ToolError
from segment.models import Segment, Show

if TYPE_CHECKING:
    from media.align.command import Work
    from segment.executor import Executor

FOLDER = "captions"
"""The build cache's folder of alignments."""


@dataclass(frozen=True)
class Captions:
    """What the build's aligner made of one segment: WebVTT at the source audio's times and
    the anchored chapters' starts, or why there are none (`refused`)."""

    vtt: str | None = None
    starts: Mapping[int, float] = dataclasses.field(default_factory=dict)
    """{chapter index: start} of the chapters anchored to the text (`at:`)."""
    refused: str | None = None


def wants_alignment(segment: Segment, show: Show) -> bool:
    """show.yaml asks for captions and the segment has audio and text but no captions."""
    from segment.captions import aligned_in_build

    return aligned_in_build(show.captions, segment.captions, segment.audio.file,
                            segment.transcript, segment.transcripts)


def with_starts(segment: Segment, captions: Captions) -> Segment:
    """`segment` with its chapters anchored to the text (`at:`) at the aligned times, in
    order of time; left out when the text could not be aligned (their `start`, if any, is
    not theirs to trust: the build was asked to time them)."""
    if not any(c.at is not None for c in segment.chapters):
        return segment
    chapters = [c.model_copy(update={"start": captions.starts[i]}) if i in captions.starts
                else c for i, c in enumerate(segment.chapters)
                if c.at is None or i in captions.starts]
    chapters.sort(key=lambda c: c.start)
    return segment.model_copy(update={"chapters": chapters})


def left_out(segment: Segment, captions: Captions) -> int:
    """How many anchored chapters `with_starts` leaves out."""
    return sum(c.at is not None and i not in captions.starts
               for i, c in enumerate(segment.chapters))


@functools.cache
def aligner_key() -> str:
    """SHA-256 of the aligner's source (`media.align`): captions made by other aligner code
    are made again; the rest of segpack may change without re-aligning an archive."""
    import media.align

    folder = Path(media.align.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(f"{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _anchors(segment: Segment) -> list[tuple[int, int]] | str:
    """(chapter index, character offset) of every anchored chapter, or why one does not
    resolve (validate reports it as SEG506)."""
    from segment.anchors import AnchorError, resolve

    try:
        return [(i, resolve(c.at, segment.transcript)) for i, c in enumerate(segment.chapters)
                if c.at is not None]
    except AnchorError as exc:
        return f"chapter anchor: {exc}"


def align_all(wanted: Mapping[str, tuple[Segment, Path]], sha256: Callable[[Path], str],
              cache: Path, executor: Executor, *, keep: bool = True,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Captions]:
    """{key: Captions} for every one of `wanted` ({key: (segment, source audio)}): from the
    cache, else aligned through `executor` (and kept in the cache unless `keep` is False:
    `build --check` writes nothing). `sha256(path)` is the source's digest (remembered).
    ToolError when there is something to align and no aligner."""
    from segment.captions import text_key

    done: dict[str, Captions] = {}
    todo: dict[str, tuple[Path, Work, list[tuple[int, int]]]] = {}
    for key, (segment, source) in wanted.items():
        anchors = _anchors(segment)
        if isinstance(anchors, str):
            done[key] = Captions(refused=anchors)
            continue
        offsets = tuple(sorted({offset for _, offset in anchors}))
        try:
            audio = sha256(source)[:24]
        except OSError as exc:
            done[key] = Captions(refused=f"cannot read {source}: {exc.strerror or exc}")
            continue
        note = (text_key(segment.transcript, segment.language, offsets), audio)
        entry = cache / FOLDER / f"{_entry_key(note)}.json"
        hit = read_json(entry)
        if isinstance(hit, dict) and hit.get("status") in ("aligned", "refused"):
            done[key] = _captions(hit, anchors)
            continue
        work = _work(segment, source, offsets, note, executor.remote)
        todo[key] = (entry, work, anchors)
    if not todo:
        return done
    missing = _aligner_missing()
    if missing:  # the machine's set-up, not the segments': stops the build (exit status 2)
        raise ToolError(f"captions: align (show.yaml) needs the aligner here: {missing}")
    keys = list(todo)
    works = [todo[key][1] for key in keys]
    if progress:
        progress(0, len(keys))
    from media.align.command import aligner_tools

    for count, (index, outcome) in enumerate(executor.as_completed(
            align_one, works, [w.key() for w in works], label="align",
            same=aligner_tools if executor.remote else None), start=1):
        key = keys[index]
        entry, _, anchors = todo[key]
        if isinstance(outcome, SegpackError):  # not the text's verdict: not kept
            done[key] = Captions(refused=outcome.message)
        else:
            if keep:
                _keep(entry, outcome)
            done[key] = _captions(outcome, anchors)
        if progress:
            progress(count, len(keys))
    return done


def _entry_key(note: tuple[str, str]) -> str:
    text = "\0".join([*note, aligner_key()])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _work(segment: Segment, source: Path, offsets: tuple[int, ...], note: tuple[str, str],
          absolute: bool) -> Work:
    from media.align.command import Work

    audio = os.path.abspath(source) if absolute else str(source)
    return Work(segment.transcript, segment.language, audio, "", offsets, note, False)


def _aligner_missing() -> str | None:
    """Why the aligner cannot run here (the align extra or espeak-ng missing), or None."""
    try:
        from media.align import AlignerMissing, check_installed

        check_installed()
        from media.align.espeak import espeak_path

        espeak_path()
    except AlignerMissing as exc:
        return exc.message
    except ImportError as exc:
        return f"the aligner is not available ({exc}): pip install 'segpack[align]'"
    return None


def align_one(work: Work) -> dict[str, Any] | SegpackError:
    """One alignment, wherever the executor runs it (writes nothing): `compute`'s report, or
    the trouble as a value. The voice is chosen here, from the language, by the espeak-ng
    that reads the text."""
    try:
        from media.align.command import compute
        from media.align.espeak import voice_for

        voice = voice_for(work.language)
        report = compute(dataclasses.replace(work, voice=voice))
    except SegpackError as exc:
        return exc
    except ImportError as exc:
        return SegpackError(f"the aligner is not available ({exc}): pip install "
                            "'segpack[align]'")
    kept = {name: report.get(name) for name in ("status", "reason", "vtt", "cue_times",
                                                "match", "warnings")}
    return {**kept, "voice": voice}


def _keep(entry: Path, outcome: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # a full disk only costs aligning it again next time
        write_json(entry, outcome)


def _captions(outcome: dict[str, Any], anchors: list[tuple[int, int]]) -> Captions:
    if outcome["status"] != "aligned":
        return Captions(refused=str(outcome.get("reason") or "the aligner refused the text"))
    times = {int(offset): float(t) for offset, t in outcome["cue_times"]}
    starts = {index: times[offset] for index, offset in anchors if offset in times}
    return Captions(outcome["vtt"], starts)
