"""`segpack align`: timed captions for manifests, written beside them and recorded in them."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from segment.clikit import print_json, warn
from segment.errors import ManifestError, SegpackError, UsageError
from segment.models import Segment


@dataclass
class Job:
    manifest: Path
    segment: Segment
    show_dir: Path
    audio: Path
    anchors: list[tuple[int, int]] = field(default_factory=list)
    """(chapter index, character offset) of every anchored chapter."""


def load_job(manifest: Path, audio: Path | None) -> Job:
    """The manifest as align needs it: valid, except that anchored chapters may lack `start`."""
    from pydantic import ValidationError

    from segment.anchors import AnchorError, resolve
    from segment.loading import model_findings, show_dir_for
    from segment.manifest import read_manifest

    if not manifest.is_file():
        raise UsageError(f"{manifest}: no such manifest")
    raw = read_manifest(manifest)
    data = dict(raw.meta.data)
    if raw.body.strip():
        data["transcript"] = raw.body
    chapters = data.get("chapters")
    if isinstance(chapters, list):  # not aligned yet: any start will do to load it
        data["chapters"] = [dict(c, start=0) if isinstance(c, dict) and "start" not in c
                            and c.get("at") is not None else c for c in chapters]
    try:
        segment = Segment.model_validate(data)
    except ValidationError as exc:
        first = model_findings(exc, Segment, manifest, raw.meta, raw.body_line)[0]
        raise ManifestError(f"{first.message} ({first.code}); fix it first (segpack validate)",
                            manifest, first.line, first.field, first.code) from None
    show_dir = show_dir_for(manifest)
    anchors = []
    for index, chapter in enumerate(segment.chapters):
        if chapter.at is not None:
            try:
                anchors.append((index, resolve(chapter.at, segment.transcript)))
            except AnchorError as exc:
                line, _ = raw.meta.position(("chapters", index, "at"))
                raise ManifestError(f"chapter anchor: {exc} (SEG506)", manifest, line,
                                    f"chapters.{index}.at", "SEG506") from None
    if audio is None:
        if not segment.audio.file:
            raise ManifestError("no audio to align: audio.file is not set; pass --audio FILE",
                                manifest, field="audio.file")
        audio = show_dir / segment.audio.file
    if not audio.is_file():
        raise ManifestError(f"audio file {audio} does not exist", manifest, field="audio.file")
    return Job(manifest, segment, show_dir, audio, anchors)


def run_job(job: Job, *, voice: str | None, want_srt: bool, force: bool,
            progress: Any = None) -> dict[str, Any]:
    """Align one manifest (or find it up to date); returns its JSON report."""
    from media.align import captions
    from media.align.aligner import align_transcript
    from media.align.espeak import voice_for
    from media.probe import sha256_of
    from segment.captions import note_line, read_note
    from segment.captions import text_key as make_text_key
    from segment.manifest import atomic_write

    seg = job.segment
    chosen = voice_for(seg.language, voice)
    offsets = tuple(sorted({offset for _, offset in job.anchors}))
    text_key = make_text_key(seg.transcript, seg.language, offsets)
    audio_key = sha256_of(job.audio)[:24]
    vtt = job.manifest.with_suffix(".vtt")
    srt = job.manifest.with_suffix(".srt")
    rel = vtt.resolve().relative_to(job.show_dir.resolve()).as_posix()
    report: dict[str, Any] = {"manifest": str(job.manifest), "captions": str(vtt),
                              "audio": str(job.audio), "voice": chosen}
    cached = not force and read_note(vtt) == (text_key, audio_key, chosen) and \
        (not want_srt or srt.is_file())
    if cached:
        starts = captions.cue_starts(vtt)
        report.update(status="unchanged")
        cue_times = _cue_times_for(seg, chosen, offsets, starts)
    else:
        alignment = align_transcript(seg.transcript, seg.language, job.audio, voice=chosen,
                                     anchors=offsets, progress=progress)
        report.update(match=alignment.score, unmatched=alignment.unmatched,
                      audio_seconds=alignment.audio_seconds,
                      cues=[{"start": c.start, "end": c.end, "text": c.cue.spoken,
                             "confidence": c.confidence, "sentence": c.cue.sentence,
                             "paragraph": c.cue.paragraph} for c in alignment.cues])
        if not alignment.acceptable:
            report.update(status="refused", reason=alignment.verdict())
            return report
        note = note_line(text_key, audio_key, chosen, alignment.score)
        text = captions.webvtt_text(alignment.cues, note)
        captions.read_back(text)
        atomic_write(vtt, text)
        if want_srt:
            atomic_write(srt, captions.srt_text(alignment.cues))
        report.update(status="aligned")
        report["warnings"] = alignment.warnings
        for line in alignment.warnings:
            warn(f"{job.manifest}: {line}")
        cue_times = {c.cue.start: c.start for c in alignment.cues}
    if want_srt:
        report["srt"] = str(srt)
    chapters = {index: cue_times[offset] for index, offset in job.anchors}
    report["chapters"] = [{"title": seg.chapters[i].title, "at": seg.chapters[i].at,
                           "start": t} for i, t in sorted(chapters.items())]
    report["manifest_updated"] = _record(job, rel, chapters)
    return report


def _cue_times_for(seg: Segment, voice: str, offsets: tuple[int, ...],
                   starts: list[float]) -> dict[int, float]:
    """{cue start offset: time} from a cached caption file (cues are rebuilt from the text)."""
    from media.align.cues import build_cues

    cues = build_cues(seg.transcript, seg.language, offsets)
    if len(cues) != len(starts):
        return {}
    return {c.start: t for c, t in zip(cues, starts, strict=True)}


def _record(job: Job, captions_rel: str, chapter_starts: dict[int, float]) -> bool:
    """Write `captions:` and the anchored chapters' `start` into the manifest, keeping its
    comments and order; False when it already says so."""
    from segment.manifest import (
        FENCE,
        _round_trip_yaml,
        atomic_write,
        read_text,
        split_front_matter,
    )
    from segment.timecode import format_duration

    seg = job.segment
    current = {i: c.start for i, c in enumerate(seg.chapters)}
    raw_has_start = _raw_starts(job.manifest)
    if seg.captions == captions_rel and all(
            raw_has_start.get(i) and abs(current[i] - t) < 0.0005
            for i, t in chapter_starts.items()):
        return False
    yaml = _round_trip_yaml()
    yaml.width = 4096  # rewrite no line the update does not touch
    yaml.representer.add_representer(type(None), _null)
    text = read_text(job.manifest)
    yaml_text, body, _ = split_front_matter(text, job.manifest)
    doc = yaml.load(yaml_text)
    doc["captions"] = captions_rel
    for index, seconds in chapter_starts.items():
        chapter = doc["chapters"][index]
        if "start" in chapter:
            chapter["start"] = format_duration(seconds)
        else:
            chapter.insert(0, "start", format_duration(seconds))
    stream = io.StringIO()
    yaml.dump(doc, stream)
    atomic_write(job.manifest, f"{FENCE}\n{stream.getvalue()}{FENCE}\n{body.strip()}\n")
    return True


def _null(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _raw_starts(manifest: Path) -> dict[int, bool]:
    """Which chapters have a `start` written in the file (load_job fills in missing ones)."""
    from segment.manifest import read_manifest

    chapters = read_manifest(manifest).meta.data.get("chapters") or []
    return {i: isinstance(c, dict) and "start" in c for i, c in enumerate(chapters)}


@click.command()
@click.argument("manifests", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--audio", type=click.Path(path_type=Path, dir_okay=False),
              help="Align to this file instead of the manifest's audio.file (one manifest).")
@click.option("--srt", "want_srt", is_flag=True, help="Also write SubRip (.srt) beside the .vtt.")
@click.option("--voice", help="espeak-ng voice to read the text with (default: from the "
              "manifest's language; `espeak-ng --voices` lists them).")
@click.option("--force", is_flag=True, help="Align again even when the captions are up to date.")
@click.option("--json", "as_json", is_flag=True, help="Report per-cue timings and confidence "
              "as JSON.")
def align(manifests: tuple[Path, ...], audio: Path | None, want_srt: bool, voice: str | None,
          force: bool, as_json: bool) -> None:
    """Time a manifest's transcript against its audio: WebVTT captions beside the manifest.

    Offline: espeak-ng reads the text, and its reading is matched to the audio. The match is
    measured; when text and audio do not match (wrong audio, another reading, an untranslated
    text) the captions are refused and nothing is written. Chapters with `at:` (a paragraph
    number or first words) get the time their words are spoken. Re-running on unchanged text
    and audio changes nothing.

    Exit status: 0 every manifest aligned or up to date, 1 captions refused or a manifest
    unusable (the others are still done), 2 usage error.
    """
    if audio is not None and len(manifests) != 1:
        raise UsageError("--audio goes with a single manifest")
    from media.align import AlignerMissing, check_installed

    check_installed()
    reports = []
    failed = 0
    for manifest in manifests:
        try:
            job = load_job(manifest, audio)
            with _progress(manifest.name) as progress:
                report = run_job(job, voice=voice, want_srt=want_srt, force=force,
                                 progress=progress)
        except (UsageError, AlignerMissing):
            raise  # the same for every manifest: say it once
        except SegpackError as exc:
            failed += 1
            warn(f"segpack: {exc}")
            reports.append({"manifest": str(manifest), "status": "error", "reason": str(exc)})
            continue
        reports.append(report)
        if report["status"] == "refused":
            failed += 1
            warn(f"{manifest}: captions refused: {report['reason']}")
        elif not as_json:
            _say(report)
    if as_json:
        print_json(reports if len(reports) != 1 else reports[0])
    if failed:
        raise SystemExit(1)


def _say(report: dict[str, Any]) -> None:
    if report["status"] == "unchanged":
        line = f"{report['captions']}: up to date"
    else:
        line = (f"{report['captions']}: {len(report['cues'])} cues, match "
                f"{report['match']:.2f} ({report['voice']})")
    if report.get("srt"):
        line += f" + {Path(report['srt']).name}"
    if report["chapters"]:
        line += f"; {len(report['chapters'])} chapter start(s) set"
    click.echo(line)


_STAGES = {"synthesis": (0.0, 0.3), "decode": (0.3, 0.4), "alignment": (0.7, 0.3)}
"""(start, share) of each stage in a manifest's progress."""


class _progress:
    """Progress of one manifest's alignment (segment.progress: a bar on a terminal, a line
    now and then in a log), in thousandths: synthesis, decoding, then the path."""

    def __init__(self, name: str):
        from segment.progress import Steps, default_mode

        self.name = name
        self.steps = Steps(default_mode())

    def __enter__(self):
        self.steps.start(f"aligning {self.name}", 1000)

        def update(stage: str, fraction: float) -> None:
            base, share = _STAGES.get(stage, (0.0, 1.0))
            target = int(1000 * (base + share * fraction))
            if target > self.steps.done:
                self.steps.advance(target - self.steps.done)

        return update

    def __exit__(self, *exc: object) -> None:
        self.steps.stop()
