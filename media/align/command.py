"""`segpack align`: timed captions for manifests, written beside them and recorded in them."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from segment.clikit import print_json, warn
from segment.errors import ManifestError, SegpackError, UsageError
from segment.models import Segment
from segment.userfiles import file_problem


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

    if file_problem(manifest) == "not found":  # a FIFO or a loop: read_manifest says so
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
    problem = file_problem(audio, "an audio file", missing="does not exist")
    if problem is not None:
        raise ManifestError(f"audio file {audio} {problem}", manifest, field="audio.file")
    return Job(manifest, segment, show_dir, audio, anchors)


@dataclass(frozen=True)
class Work:
    """One alignment to compute, as plain data: what a worker process or a Dask worker needs
    (the audio by a path it can open) and nothing it could write to."""

    transcript: str
    language: str
    audio: str
    voice: str
    offsets: tuple[int, ...]
    note_keys: tuple[str, str]
    """(text key, audio key) the captions' NOTE records (`segment.captions`)."""
    want_srt: bool

    def key(self) -> str:
        """Content hash: equal keys, equal captions."""
        from segment.captions import FORMAT

        return "-".join([str(FORMAT), *self.note_keys, self.voice.replace("/", "_"),
                         "srt" if self.want_srt else "vtt"])


@dataclass
class Plan:
    """What `run_job` does with a manifest: its report so far, and the work still to do
    (None when its captions are up to date)."""

    report: dict[str, Any]
    work: Work | None
    want_srt: bool
    captions_rel: str
    """The captions' path relative to the show folder, as `captions:` records it."""
    cue_times: dict[int, float] = field(default_factory=dict)
    """{cue start offset: time} of up-to-date captions."""


def run_job(job: Job, *, voice: str | None, want_srt: bool, force: bool,
            progress: Any = None) -> dict[str, Any]:
    """Align one manifest here (or find it up to date); returns its JSON report."""
    plan = plan_job(job, voice=voice, want_srt=want_srt, force=force)
    return finish_job(job, plan, None if plan.work is None else compute(plan.work, progress))


def plan_job(job: Job, *, voice: str | None, want_srt: bool, force: bool,
             absolute: bool = False) -> Plan:
    """The manifest's report so far and, unless its captions are up to date, the `Work` to do
    (with the audio's absolute path when it runs elsewhere)."""
    from media.align import captions
    from media.align.espeak import voice_for
    from media.probe import sha256_of
    from segment.captions import read_note
    from segment.captions import text_key as make_text_key
    from segment.rules import local_file_problem

    seg = job.segment
    chosen = voice_for(seg.language, voice)
    offsets = tuple(sorted({offset for _, offset in job.anchors}))
    text_key = make_text_key(seg.transcript, seg.language, offsets)
    audio_key = sha256_of(job.audio)[:24]
    vtt = job.manifest.with_suffix(".vtt")
    rel = Path(os.path.relpath(vtt.parent.resolve() / vtt.name, job.show_dir.resolve())).as_posix()
    # the captions' name may already be taken by a link out of the show or a loop: the path
    # rule build and validate use (SEG302/SEG301), one line, not a traceback
    if os.path.lexists(vtt) and (problem := local_file_problem(job.show_dir, rel)):
        raise ManifestError(f"{problem[1]} ({problem[0]})", job.manifest, field="captions",
                            code=problem[0])
    report: dict[str, Any] = {"manifest": str(job.manifest), "captions": str(vtt),
                              "audio": str(job.audio), "voice": chosen}
    cached = not force and read_note(vtt) == (text_key, audio_key, chosen) and \
        (not want_srt or job.manifest.with_suffix(".srt").is_file())
    if cached:
        report.update(status="unchanged")
        return Plan(report, None, want_srt, rel,
                    _cue_times_for(seg, chosen, offsets, captions.cue_starts(vtt)))
    audio = job.audio.resolve() if absolute else job.audio
    return Plan(report, Work(seg.transcript, seg.language, str(audio), chosen, offsets,
                             (text_key, audio_key), want_srt), want_srt, rel)


def compute(work: Work, progress: Any = None) -> dict[str, Any]:
    """Align `work`: the report's measures, and the caption files' text unless refused. Writes
    nothing: runs wherever the executor puts it (`segment.executor`)."""
    from media.align import captions
    from media.align.aligner import align_transcript
    from segment.captions import note_line

    alignment = align_transcript(work.transcript, work.language, Path(work.audio),
                                 voice=work.voice, anchors=work.offsets, progress=progress)
    done: dict[str, Any] = {
        "match": alignment.score, "unmatched": alignment.unmatched,
        "audio_seconds": alignment.audio_seconds,
        "cues": [{"start": c.start, "end": c.end, "text": c.cue.spoken,
                  "confidence": c.confidence, "sentence": c.cue.sentence,
                  "paragraph": c.cue.paragraph} for c in alignment.cues]}
    if not alignment.acceptable:
        done.update(status="refused", reason=alignment.verdict())
        return done
    text = captions.webvtt_text(alignment.cues, note_line(*work.note_keys, work.voice,
                                                          alignment.score))
    captions.read_back(text)
    done.update(status="aligned", warnings=alignment.warnings, vtt=text,
                srt=captions.srt_text(alignment.cues) if work.want_srt else None,
                cue_times=[(c.cue.start, c.start) for c in alignment.cues])
    return done


def compute_or_error(work: Work) -> dict[str, Any] | SegpackError:
    """`compute` in a worker: a manifest's own trouble comes back as a value (the others go
    on); a missing aligner, the same everywhere, stops the run."""
    from media.align import AlignerMissing

    try:
        return compute(work)
    except AlignerMissing:
        raise
    except SegpackError as exc:
        return exc


def aligner_tools() -> str:
    """What captions depend on besides segpack's code and the job: the espeak-ng, ffmpeg and
    numpy versions. A Dask worker must have the same (`segment.dask_executor`)."""
    import subprocess

    import numpy

    from media.align.espeak import espeak_path
    from media.ffmpeg import tool

    espeak = subprocess.run([espeak_path(), "--version"], capture_output=True, text=True,
                            timeout=30).stdout.split(" Data at")[0].strip()
    return f"{espeak}, ffmpeg {tool()[1].version}, numpy {numpy.__version__}"


def finish_job(job: Job, plan: Plan, done: dict[str, Any] | None) -> dict[str, Any]:
    """Write what `compute` made (captions beside the manifest, `captions:` and chapter starts
    in it: this process is their one writer) and complete the report."""
    from segment.manifest import atomic_write

    report = plan.report
    cue_times = plan.cue_times
    if done is not None:
        done = dict(done)  # two manifests alike share one result (the same content key)
        files = {name: done.pop(name, None) for name in ("vtt", "srt", "cue_times")}
        report.update(done)
        if done["status"] == "refused":
            return report
        vtt = job.manifest.with_suffix(".vtt")
        atomic_write(vtt, files["vtt"])
        if files["srt"] is not None:
            atomic_write(job.manifest.with_suffix(".srt"), files["srt"])
        for line in done["warnings"]:
            warn(f"{job.manifest}: {line}")
        cue_times = dict(files["cue_times"])
    if plan.want_srt:
        report["srt"] = str(job.manifest.with_suffix(".srt"))
    seg = job.segment
    chapters = {index: cue_times[offset] for index, offset in job.anchors}
    report["chapters"] = [{"title": seg.chapters[i].title, "at": seg.chapters[i].at,
                           "start": t} for i, t in sorted(chapters.items())]
    report["manifest_updated"] = _record(job, plan.captions_rel, chapters)
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
    text = read_text(job.manifest)
    yaml_text, body, _ = split_front_matter(text, job.manifest)
    yaml = _round_trip_yaml(yaml_text)  # the manifest's own layout: no other line moves
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
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Manifests aligned at once, in local processes (default: the number of "
                   "cores).")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Align on this Dask cluster instead (default: SEGPACK_SCHEDULER; `local` "
                   "for this machine). The manifests and audio must be at the same path on "
                   "its workers.")
def align(manifests: tuple[Path, ...], audio: Path | None, want_srt: bool, voice: str | None,
          force: bool, as_json: bool, jobs: int | None, scheduler: str | None) -> None:
    """Time a manifest's transcript against its audio: WebVTT captions beside the manifest.

    Offline: espeak-ng reads the text, and its reading is matched to the audio. The match is
    measured; when text and audio do not match (wrong audio, another reading, an untranslated
    text) the captions are refused and nothing is written. Chapters with `at:` (a paragraph
    number or first words) get the time their words are spoken. Re-running on unchanged text
    and audio changes nothing. Many manifests are aligned side by side (--jobs, or a Dask
    cluster with --scheduler); the captions and manifests are written by this process only.

    Exit status: 0 every manifest aligned or up to date, 1 captions refused or a manifest
    unusable (the others are still done), 2 usage error.
    """
    if audio is not None and len(manifests) != 1:
        raise UsageError("--audio goes with a single manifest")
    import os

    from media.align import AlignerMissing, check_installed
    from segment.executor import InProcess, executor_for

    check_installed()
    executor = executor_for(jobs or os.cpu_count() or 1, scheduler)
    reports: list[dict[str, Any] | None] = [None] * len(manifests)
    failed = 0

    def done(index: int, report: dict[str, Any]) -> None:
        nonlocal failed
        reports[index] = report
        manifest = manifests[index]
        if report["status"] == "refused":
            failed += 1
            warn(f"{manifest}: captions refused: {report['reason']}")
        elif report["status"] == "error":
            failed += 1
            warn(f"segpack: {report['reason']}")
        elif not as_json:
            _say(report)

    def error(index: int, exc: SegpackError) -> dict[str, Any]:
        return {"manifest": str(manifests[index]), "status": "error", "reason": str(exc)}

    with executor:
        planned: dict[int, tuple[Job, Plan]] = {}
        for index, manifest in enumerate(manifests):
            try:
                job = load_job(manifest, audio)
                plan = plan_job(job, voice=voice, want_srt=want_srt, force=force,
                                absolute=executor.remote)
            except (UsageError, AlignerMissing):
                raise  # the same for every manifest: say it once
            except SegpackError as exc:
                done(index, error(index, exc))
                continue
            if plan.work is None:
                done(index, finish_job(job, plan, None))
            else:
                planned[index] = (job, plan)
        if isinstance(executor, InProcess) or (len(planned) == 1 and not executor.remote):
            for index, (job, plan) in planned.items():  # here, each with its own bar
                assert plan.work is not None
                try:
                    with _progress(job.manifest.name) as progress:
                        done(index, finish_job(job, plan, compute(plan.work, progress)))
                except (UsageError, AlignerMissing):
                    raise
                except SegpackError as exc:
                    done(index, error(index, exc))
        else:
            _align_many(executor, planned, done, error)
    if as_json:
        print_json(reports if len(reports) != 1 else reports[0])
    if failed:
        raise SystemExit(1)


def _align_many(executor: Any, planned: dict[int, tuple[Job, Plan]], done: Any,
                error: Any) -> None:
    """`compute` of every planned manifest through `executor`, each finished (written) here
    as it comes back, with a bar for the whole run."""
    from segment.progress import Steps, default_mode

    order = list(planned)
    works = [work for index in order if (work := planned[index][1].work) is not None]
    steps = Steps(default_mode())
    steps.start(f"aligning {len(order)} manifests ({executor.describe()})", len(order))
    try:
        for position, outcome in executor.as_completed(
                compute_or_error, works, [work.key() for work in works], label="align",
                same=aligner_tools if executor.remote else None):
            index = order[position]
            job, plan = planned[index]
            if isinstance(outcome, SegpackError):
                done(index, error(index, outcome))
            else:
                try:
                    done(index, finish_job(job, plan, outcome))
                except SegpackError as exc:
                    done(index, error(index, exc))
            steps.advance(1)
    finally:
        steps.stop()


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
