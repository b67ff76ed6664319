"""Media work for a build: tagged (and, if show.yaml asks, encoded/normalised) copies.

Each job copies the source audio (or encodes it with `media.encode.prepare`), writes the
segment's metadata into the copy with `media.tagging.write_tags`, and probes the result with
`media.probe.probe`, so the feed's enclosure length, type and duration describe the published
bytes exactly. Results live in the build cache under a content hash of the source audio and of
everything written into it: unchanged segments skip the work, and the rest runs through the
build's executor (`segment.executor`): `--jobs N` local processes, or a Dask cluster with
`--scheduler`. The source file is never modified.

A job makes its copy in a folder of its own under the run's scratch folder
(`media/.incoming-*` in the cache, on the file system the workers share) and returns what it
made as plain data; the build process alone moves it into the cache (one rename), so a worker
killed mid-job, or a build killed anywhere, leaves the cache as a local build would: entries
whole or absent, and scratch that the next build removes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.cache import read_json, stat_key, write_json
from segment.errors import MediaError, PublishError, SegpackError, ToolError
from segment.models import Segment, Show

if TYPE_CHECKING:
    from feeds.align_step import Captions
    from media.assemble import Placement
    from media.stings import Sting
    from segment.executor import Executor

MEDIA_FORMAT = 2
"""Bump when what a job does to a file changes, so cached copies are redone (2: stings
conformed with their outer digital silence cut; chapters at the published file's times)."""
INFO = "info.json"
MEMO = "hashes.json"
"""Each source's SHA-256 by path + mtime + size (`file_sha256`), kept in the build cache."""
SCRATCH = ".incoming-"
"""Scratch folders of a run's jobs, in the cache's media folder (`run_jobs`)."""


@dataclass
class MediaJob:
    """One published copy to make: from `source` into `folder/name`."""

    segment: Segment
    show: Show
    show_dir: Path
    source: Path
    artwork: Path | None
    key: str
    folder: Path
    name: str
    scratch: Path | None = None
    """Where the job makes its copy (a folder of its own in it) for the build to move into
    `folder`; None: beside `folder`."""
    stings: dict[str, Sting] = dataclasses.field(default_factory=dict)
    """The show's intro and outro, conformed by the build (`media.stings`)."""

    @property
    def target(self) -> Path:
        return self.folder / self.name

    def for_workers(self, scratch: Path, absolute: bool) -> MediaJob:
        """This job with its scratch folder, its paths absolute for workers elsewhere."""
        if not absolute:
            return dataclasses.replace(self, scratch=scratch)

        def full(path: Path) -> Path:
            return Path(os.path.abspath(path))

        return dataclasses.replace(self, scratch=full(scratch), show_dir=full(self.show_dir),
                                   source=full(self.source),
                                   artwork=None if self.artwork is None else full(self.artwork),
                                   stings={k: s.absolute() for k, s in self.stings.items()})


@dataclass
class MediaResult:
    path: Path
    size: int
    mime: str
    duration: float
    sha256: str
    cached: bool
    timeline: list[float] | None = None
    """Where the item's own audio sits in the copy (`segment.timeline.Timeline`), when the
    show's stings or trimming moved it."""
    source_duration: float | None = None
    """The source's own length, when the copy's differs from the declared duration."""
    captions: Captions | None = None
    """What the build's aligner made of the segment (`feeds.align_step`; not kept in
    info.json: the captions have their own cache)."""


def wants_processing(show: Show) -> bool:
    """Encode, normalise, stings or trimming asked for (else the source is copied)."""
    from media.encode import needs_work

    return needs_work(show.audio)


def published_suffix(show: Show, source: Path) -> str:
    """The published copy's suffix. Encoded (or normalised...): .mp3 or .m4a, the codec ffmpeg
    is given agreeing with it (`media.encode.suffix_for`). Copied: the suffix of the container
    the bytes are (`media.containers`), the source's own when it is one of them: Apple decides
    by the URL's extension and apps by the enclosure's type (the content's), so both must say
    the same; a WAV named x.mp3 becomes <id>.wav (and SEG309 refuses it), an MP3 named x.m4a
    <id>.mp3. A file that is no audio keeps its name: its job says what is wrong."""
    from media.encode import needs_work, suffix_for

    if needs_work(show.audio):
        return suffix_for(show.audio, source)
    from media.containers import BY_NAME
    from media.probe import sniff

    suffix = source.suffix.lower() or ".audio"
    try:
        suffixes = BY_NAME[sniff(source)].suffixes
    except (SegpackError, OSError):
        return suffix
    return suffix if suffix in suffixes else suffixes[0]


def file_sha256(path: Path, memo: dict[str, list]) -> str:
    """SHA-256 of a file, remembered by path + mtime + size across builds."""
    key = stat_key(path)
    hit = memo.get(str(path))
    if hit and key and hit[:2] == list(key):
        return hit[2]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if key:
        memo[str(path)] = [*key, digest.hexdigest()]
    return digest.hexdigest()


def job_key(segment: Segment, show: Show, source_sha: str, artwork_sha: str | None,
            suffix: str, extra: dict[str, str] | None = None) -> str:
    """Content hash of everything that shapes the published copy (`extra`: stings' hashes)."""
    text = json.dumps({"format": MEDIA_FORMAT, "source": source_sha, "artwork": artwork_sha,
                       "suffix": suffix, "extra": extra or {},
                       "segment": segment.model_dump(mode="json"),
                       "show": show.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def cached_result(job: MediaJob) -> MediaResult | None:
    """The copy in the cache, or None when there is none (or it is not whole).

    Entries are never linked anywhere (`feeds.writing` publishes copies), so nothing edits them
    in place. One that has another name all the same (an older segpack hard-linked it into the
    output, where anyone could tag it in place) is used only if its bytes are still the ones
    recorded."""
    info = read_json(job.folder / INFO)
    if not isinstance(info, dict):
        return None
    try:
        st = os.stat(job.target)
    except OSError:
        return None
    if st.st_size != info.get("size"):
        return None
    if st.st_nlink > 1 and file_sha256(job.target, {}) != info.get("sha256"):
        return None
    return MediaResult(job.target, info["size"], _published_type(job.target, info),
                       info["duration"], info["sha256"], cached=True,
                       timeline=info.get("timeline"),
                       source_duration=info.get("source_duration"))


def _published_type(copy: Path, info: dict[str, Any]) -> str:
    """The copy's type from the container table (`media.containers`), by the container
    `info.json` names; an entry an older segpack made names none (and says audio/mp4 for M4A,
    where the table now says Apple's audio/x-m4a): its first bytes tell."""
    from media import containers
    from media.probe import sniff

    try:
        return containers.BY_NAME[info.get("container") or sniff(copy)].mime
    except (KeyError, SegpackError):
        return str(info["mime"])


def make_copy(job: MediaJob) -> tuple[str, dict[str, Any]]:
    """Copy or encode, tag, probe, into a new folder under the job's scratch folder: (that
    folder, what `info.json` in it says). Writes nothing else (`adopt` moves it in).

    The chapters written into the copy's tags are at the copy's own times (`segment
    .timeline`): moved by the intro and the silence trimmed, the last one ending with it."""
    from media.probe import probe, refuse_padding
    from media.tagging import write_tags

    refuse_padding(job.source)  # before gigabytes of zeros are copied or fed to ffmpeg
    scratch = job.scratch or job.folder.parent
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{job.key[:16]}.", dir=scratch))
    try:
        target = work / job.name
        timeline = None
        if wants_processing(job.show):
            from media.encode import prepare

            report = prepare(job.source, target, job.show.audio, show_dir=job.show_dir,
                             stings=job.stings)
            timeline = _timeline(job, target, report.placement)
        else:
            shutil.copyfile(job.source, target)
        segment = job.segment
        if segment.chapters:
            from segment.timeline import Timeline

            line = Timeline(*timeline) if timeline else Timeline.of(
                None, probe(target, accurate=True, hash=False).duration)
            segment = line.published(segment).model_copy(update={"duration": line.duration})
        artwork = job.artwork.read_bytes() if job.artwork else None
        write_tags(target, segment, job.show, artwork=artwork)
        info = probe(target, accurate=True)  # decodes only when the header is an estimate
        data = {"size": target.stat().st_size, "mime": info.mime, "container": info.container,
                "duration": float(info.duration), "sha256": info.sha256,
                "source": str(job.source), "timeline": timeline,
                "source_duration": _source_duration(job, timeline, float(info.duration))}
        write_json(work / INFO, data)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return str(work), data


def _timeline(job: MediaJob, target: Path, placement: Placement | None) -> list[float] | None:
    """(offset, start, end, duration) of an edited copy (`segment.timeline.Timeline`); None
    when nothing was added or cut. The length is the decoded one when the episode has times
    to move (a header's counts the encoder's padding: 47 ms more in a 15 s MP3)."""
    from media.probe import decoded_duration, probe

    if placement is None:
        return None
    seg = job.segment
    if seg.chapters or seg.soundbites or seg.captions:
        length = decoded_duration(target)[0]
    else:
        length = probe(target, hash=False).duration
    end = max(placement.start, length - placement.outro)
    return [placement.offset, placement.start, end, length]


def _source_duration(job: MediaJob, timeline: list[float] | None,
                     published: float) -> float | None:
    """The source's own length, for SEG303, when the copy is edited and its length is not
    the declared one (else None: nothing to compare it with)."""
    from media.checks import TOLERANCE
    from media.probe import probe

    declared = job.segment.duration
    if timeline is None or declared is None or abs(published - declared) <= TOLERANCE:
        return None
    return float(probe(job.source, accurate=True, hash=False).duration)


def adopt(job: MediaJob, made: str) -> MediaResult:
    """Move the folder `make_copy` made into the cache as the job's entry (the build process
    does this, and nothing else writes there): it appears whole or not at all."""
    if job.folder.exists():  # a torn or stale entry (`cached_result` passed it by): redo it
        shutil.rmtree(job.folder, ignore_errors=True)
    try:
        os.replace(made, job.folder)
    except OSError:
        if cached_result(job) is None:
            raise
    finally:
        shutil.rmtree(made, ignore_errors=True)  # when the entry was there already
    result = cached_result(job)
    if result is None:
        raise MediaError("the tagged copy vanished from the build cache", job.folder)
    result.cached = False
    return result


def _run_one(job: MediaJob) -> tuple[str, dict[str, Any]] | SegpackError:
    """`make_copy` wherever the executor runs it; the audio's trouble comes back as a value."""
    try:
        return make_copy(job)
    except SegpackError as exc:  # returned, not raised: keeps the message across processes
        return exc
    except ImportError as exc:
        return PublishError(f"media support is not available ({exc}); cannot tag "
                            f"{job.source.name}", job.source)
    except OSError as exc:
        return MediaError(f"cannot prepare the audio: {exc.strerror or exc}", job.source)


def tools() -> str:
    """What a copy's bytes depend on besides segpack's code and the job: the ffmpeg and
    mutagen versions. A Dask worker must have the same as the build (`segment.dask_executor`)."""
    import mutagen

    from media.ffmpeg import tool

    return f"ffmpeg {tool()[1].version}, mutagen {mutagen.version_string}"


def _preload() -> None:
    """Import the media modules before forking workers, so each does not import them again."""
    try:
        import media.encode
        import media.probe
        import media.tagging  # noqa: F401
    except ImportError:
        pass  # reported per job by _run_one


def make_copies(wanted: dict[str, tuple[Segment, Path, Path | None]], show: Show,
                show_dir: Path, stings: dict[str, Path], cache: Path, executor: Executor,
                progress: Callable[[int, int], None] | None = None,
                align_progress: Callable[[int, int], None] | None = None,
                memo: dict | None = None) -> dict[str, tuple[str, MediaResult] | SegpackError]:
    """The tagged copy each of `wanted` ({key: (segment, source audio, artwork)}) publishes,
    made or taken from the media cache: {key: (its name in the output, the copy), or the
    error}. A ToolError (ffmpeg itself falls short) is raised: it is not the audio's fault.

    With show.yaml's `captions: align`, segments without captions are aligned first
    (`feeds.align_step`): the copy's CHAP frames then have the anchored chapters' aligned
    starts, and each result carries its captions (or why there are none). `memo`: the
    source hashes (`load_memo`) of a caller that calls this batch after batch and saves them
    once (`save_memo`); else they are read and saved here."""
    from feeds.align_step import align_all, wants_alignment, with_starts
    from media.journal import pending_problem
    from media.stings import FORMAT as STING_FORMAT
    from media.stings import conformed

    own = memo is None
    memo = load_memo(cache) if memo is None else memo
    done: dict[str, tuple[str, MediaResult] | SegpackError] = {}
    ready = {}
    if wanted and wants_processing(show):
        for role, sting in stings.items():  # conformed here, once: a worker writes no cache
            try:
                ready[role] = conformed(sting, role, cache / "stings")
            except MediaError as exc:
                raise PublishError(f"{getattr(show.audio, role)}: {exc.message}",
                                   show_dir / "show.yaml", field=f"audio.{role}") from None
    usable = {}
    for key, (segment, source, artwork) in wanted.items():
        if problem := pending_problem(source):  # never publish a half-written file
            done[key] = MediaError(problem)
        else:
            usable[key] = (segment, source, artwork)
    captions = align_all({key: (segment, source) for key, (segment, source, _) in usable.items()
                          if wants_alignment(segment, show)},
                         lambda path: file_sha256(path, memo), cache, executor,
                         progress=align_progress)
    jobs: dict[str, MediaJob] = {}
    for key, (segment, source, artwork) in usable.items():
        suffix = published_suffix(show, source)
        if key in captions:  # the CHAP frames at the aligned starts
            segment = with_starts(segment, captions[key])
        try:
            shas = {name: f"{STING_FORMAT} {file_sha256(sting, memo)}"
                    for name, sting in stings.items()}
            content = job_key(segment, show, file_sha256(source, memo),
                              file_sha256(artwork, memo) if artwork else None, suffix, shas)
        except OSError as exc:
            done[key] = MediaError(f"cannot read {exc.filename}: {exc.strerror}")
            continue
        jobs[key] = MediaJob(segment, show, show_dir, source, artwork, content,
                             cache / "media" / content, f"{segment.id}{suffix}", stings=ready)
    results = run_jobs(list(jobs.values()), executor, progress)
    for key, job in jobs.items():
        outcome = results[job.segment.id]
        if isinstance(outcome, ToolError):
            raise outcome
        done[key] = outcome if isinstance(outcome, SegpackError) else \
            (f"media/{job.name}", dataclasses.replace(outcome, captions=captions.get(key)))
    if own:
        save_memo(cache, memo)
    return done


def load_memo(cache: Path) -> dict:
    """The source files' hashes by path and stat (`file_sha256`), as the last build left them."""
    memo = read_json(cache / MEMO)
    return memo if isinstance(memo, dict) else {}


def save_memo(cache: Path, memo: dict) -> None:
    if memo:
        write_json(cache / MEMO, memo)


def run_jobs(jobs: list[MediaJob], executor: Executor,
             progress: Callable[[int, int], None] | None = None
             ) -> dict[str, MediaResult | SegpackError]:
    """{segment id: result or the error} for every job; cache hits cost a stat.

    `progress(done, total)` counts the jobs not in the cache, from 0 as they start. Copying
    and tagging take a few milliseconds a file, less than handing the job to another process
    (measured in bench/): only ffmpeg work (encode, normalise, stings) goes to `executor`'s
    workers; the rest is done here."""
    from segment.executor import InProcess

    results: dict[str, MediaResult | SegpackError] = {}
    todo = []
    for job in jobs:
        hit = cached_result(job)
        if hit is not None:
            results[job.segment.id] = hit
        else:
            todo.append(job)
    if not todo:
        return results
    hits = len(results)
    _preload()
    if progress:
        progress(0, len(todo))
    spread = wants_processing(todo[0].show) and (executor.remote or len(todo) > 1)
    runner = executor if spread else InProcess()
    scratch = _new_scratch(todo[0].folder.parent)
    try:
        shipped = [job.for_workers(scratch, runner.remote) for job in todo]
        keys = [hashlib.sha256(f"{job.key} {job.scratch}".encode()).hexdigest()[:32]
                for job in shipped]
        for index, made in runner.as_completed(_run_one, shipped, keys, label="media",
                                               same=tools if runner.remote else None):
            job = todo[index]
            if isinstance(made, SegpackError):
                results[job.segment.id] = made
            else:
                try:
                    results[job.segment.id] = adopt(job, made[0])
                except (OSError, SegpackError) as exc:
                    results[job.segment.id] = exc if isinstance(exc, SegpackError) else \
                        MediaError(f"cannot keep the copy: {exc.strerror or exc}", job.source)
            if progress:
                progress(len(results) - hits, len(todo))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def _new_scratch(media: Path) -> Path:
    """This run's scratch folder in the cache's media folder, after removing those runs
    killed before their end left (builds of one output run one at a time: `build_lock`)."""
    media.mkdir(parents=True, exist_ok=True)
    for stale in media.glob(f"{SCRATCH}*"):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=SCRATCH, dir=media))
