"""Media work for a build: tagged (and, if show.yaml asks, encoded/normalised) copies.

Each job copies the source audio (or encodes it with `media.encode.prepare`), writes the
segment's metadata into the copy with `media.tagging.write_tags`, and probes the result with
`media.probe.probe`, so the feed's enclosure length, type and duration describe the published
bytes exactly. Results live in the build cache under a content hash of the source audio and of
everything written into it: unchanged segments skip the work, and `--jobs N` spreads the rest
over N processes. The source file is never modified.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.context
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from feeds.cache import read_json, stat_key, write_json
from segment.errors import MediaError, PublishError, SegpackError, ToolError
from segment.models import Segment, Show

MEDIA_FORMAT = 1
"""Bump when what a job does to a file changes, so cached copies are redone."""
ENCODED_SUFFIX = {"mp3": ".mp3", "aac": ".m4a"}
INFO = "info.json"
MEMO = "hashes.json"
"""Each source's SHA-256 by path + mtime + size (`file_sha256`), kept in the build cache."""


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

    @property
    def target(self) -> Path:
        return self.folder / self.name


@dataclass
class MediaResult:
    path: Path
    size: int
    mime: str
    duration: float
    sha256: str
    cached: bool


def wants_processing(show: Show) -> bool:
    """Encode, normalise, stings or trimming asked for (else the source is copied)."""
    from media.encode import needs_work

    return needs_work(show.audio)


def published_suffix(show: Show, source: Path) -> str:
    return ENCODED_SUFFIX.get(show.audio.encode, source.suffix.lower() or ".audio")


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
    return MediaResult(job.target, info["size"], info["mime"], info["duration"], info["sha256"],
                       cached=True)


def make_copy(job: MediaJob) -> MediaResult:
    """Copy or encode, tag, probe; the result appears in the cache whole or not at all."""
    from media.probe import probe, refuse_padding
    from media.tagging import write_tags

    refuse_padding(job.source)  # before gigabytes of zeros are copied or fed to ffmpeg
    job.folder.parent.mkdir(parents=True, exist_ok=True)
    if job.folder.exists():  # a torn or stale entry: redo it
        shutil.rmtree(job.folder, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=f".{job.key[:16]}.", dir=job.folder.parent))
    try:
        target = work / job.name
        if wants_processing(job.show):
            from media.encode import prepare

            prepare(job.source, target, job.show.audio, show_dir=job.show_dir)
        else:
            shutil.copyfile(job.source, target)
        artwork = job.artwork.read_bytes() if job.artwork else None
        write_tags(target, job.segment, job.show, artwork=artwork)
        info = probe(target, accurate=True)  # decodes only when the header is an estimate
        data = {"size": target.stat().st_size, "mime": info.mime,
                "duration": float(info.duration), "sha256": info.sha256,
                "source": str(job.source)}
        write_json(work / INFO, data)
        try:
            os.replace(work, job.folder)  # fails when another build made it first: fine
        except OSError:
            if cached_result(job) is None:
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = cached_result(job)
    if result is None:
        raise MediaError("the tagged copy vanished from the build cache", job.folder)
    result.cached = False
    return result


def _run_one(job: MediaJob) -> MediaResult | SegpackError:
    try:
        return make_copy(job)
    except SegpackError as exc:  # returned, not raised: keeps the message across processes
        return exc
    except ImportError as exc:
        return PublishError(f"media support is not available ({exc}); cannot tag "
                            f"{job.source.name}", job.source)
    except OSError as exc:
        return MediaError(f"cannot prepare the audio: {exc.strerror or exc}", job.source)


def _preload() -> None:
    """Import the media modules before forking workers, so each does not import them again."""
    try:
        import media.encode
        import media.probe
        import media.tagging  # noqa: F401
    except ImportError:
        pass  # reported per job by _run_one


def make_copies(wanted: dict[str, tuple[Segment, Path, Path | None]], show: Show,
                show_dir: Path, stings: dict[str, Path], cache: Path, workers: int,
                progress: Callable[[int, int], None] | None = None
                ) -> dict[str, tuple[str, MediaResult] | SegpackError]:
    """The tagged copy each of `wanted` ({key: (segment, source audio, artwork)}) publishes,
    made or taken from the media cache: {key: (its name in the output, the copy), or the
    error}. A ToolError (ffmpeg itself falls short) is raised: it is not the audio's fault."""
    from media.journal import pending_problem

    memo = read_json(cache / MEMO)
    memo = memo if isinstance(memo, dict) else {}
    done: dict[str, tuple[str, MediaResult] | SegpackError] = {}
    jobs: dict[str, MediaJob] = {}
    for key, (segment, source, artwork) in wanted.items():
        suffix = published_suffix(show, source)
        if problem := pending_problem(source):  # never publish a half-written file
            done[key] = MediaError(problem)
            continue
        try:
            shas = {name: file_sha256(sting, memo) for name, sting in stings.items()}
            content = job_key(segment, show, file_sha256(source, memo),
                              file_sha256(artwork, memo) if artwork else None, suffix, shas)
        except OSError as exc:
            done[key] = MediaError(f"cannot read {exc.filename}: {exc.strerror}")
            continue
        jobs[key] = MediaJob(segment, show, show_dir, source, artwork, content,
                             cache / "media" / content, f"{segment.id}{suffix}")
    results = run_jobs(list(jobs.values()), workers, progress)
    for key, job in jobs.items():
        outcome = results[job.segment.id]
        if isinstance(outcome, ToolError):
            raise outcome
        done[key] = outcome if isinstance(outcome, SegpackError) else \
            (f"media/{job.name}", outcome)
    if memo:
        write_json(cache / MEMO, memo)
    return done


def run_jobs(jobs: list[MediaJob], workers: int,
             progress: Callable[[int, int], None] | None = None
             ) -> dict[str, MediaResult | SegpackError]:
    """{segment id: result or the error} for every job; cache hits cost a stat.

    `progress(done, total)` counts the jobs not in the cache, from 0 as they start."""
    results: dict[str, MediaResult | SegpackError] = {}
    todo = []
    for job in jobs:
        hit = cached_result(job)
        if hit is not None:
            results[job.segment.id] = hit
        else:
            todo.append(job)
    hits = len(results)
    if todo:
        _preload()
        if progress:
            progress(0, len(todo))
    # Processes pay off for ffmpeg work (encode/normalise); copying and tagging take a few
    # milliseconds a file, less than handing the job to another process (measured in bench/).
    if workers > 1 and len(todo) > 1 and wants_processing(todo[0].show):
        for job, result in zip(todo, _in_workers(todo, workers), strict=True):
            results[job.segment.id] = result
            if progress:
                progress(len(results) - hits, len(todo))
    else:
        for job in todo:
            results[job.segment.id] = _run_one(job)
            if progress:
                progress(len(results) - hits, len(todo))
    return results


def _in_workers(todo: list[MediaJob], workers: int) -> Iterator[MediaResult | SegpackError]:
    """`_run_one` of each job in worker processes, in order. They die with this process
    however it ends (`segment.parallel.worker_started`); when it stops early (Ctrl-C, an
    error), the jobs not started are dropped and the running ones killed at once, ffmpeg and
    all, instead of waiting for every job to finish."""
    from concurrent.futures import ProcessPoolExecutor  # only here: ~4 ms to import

    from segment.parallel import ignoring_interrupts, kill_workers, worker_started

    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)),
                               mp_context=_clean_process_context(),
                               initializer=worker_started, initargs=(os.getpid(),))
    try:
        with ignoring_interrupts():  # the workers (and the forkserver) start here
            done = pool.map(_run_one, todo, chunksize=1)
        yield from done
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        kill_workers(list(getattr(pool, "_processes", None) or ()))  # private; no public way
        raise
    finally:
        pool.shutdown(wait=True)


def _clean_process_context() -> multiprocessing.context.BaseContext:
    """Workers started from a clean single-threaded server, not forked from this process.

    Tagging keeps I/O threads alive (media.journal); forking while one of them holds a lock
    leaves the child waiting on that lock forever (seen: a build after a tag run hung).
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
