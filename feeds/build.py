"""`segpack build`: a show folder becomes a folder ready to upload.

    show/ (show.yaml, segments/*.md, media/...)  ->  public/feed.xml, media/, transcripts/,
                                                     chapters/, images/, index.html

Steps: take the output's lock; if no input changed since the last build, replay its report
(`feeds.uptodate`). Else, in a temp folder beside the output: compile every episode
(`feeds.compile_all`: worker processes, the store for what did not change); refuse on errors
(and on warnings with --strict); make the tagged copies of local audio (`feeds.media_step`,
cached by content) and compile those episodes again with them; assemble feed.xml and index.html
from the episodes' items and articles in feed order; sync the folder once and swap it in whole
(`feeds.output`); save the state for the next build's no-change test.
This module imports heavy libraries only inside `full_build`, so the no-change path stays cheap.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds import uptodate
from feeds.cache import cache_dir_for, code_key, stat_key
from feeds.output import build_lock, check_output
from feeds.writing import write_files
from segment import __version__
from segment.config import reports
from segment.errors import PublishError, SegpackError, ToolError, UsageError
from segment.rules import Finding, Severity

if TYPE_CHECKING:
    from feeds.compile_all import Compiled, Run
    from feeds.compiler import Audio, Context, EpisodeBuild, MediaNeed
    from segment.models import Show

MEMO = "hashes.json"
"""Each audio source's SHA-256 by path + mtime + size (`feeds.media_step.file_sha256`)."""


@dataclass
class BuildOptions:
    show_dir: Path
    output: Path
    jobs: int = 1
    check: bool = False
    strict: bool = False
    wait: float = 120.0
    overwrite: bool = False
    """Replace files in the output that segpack did not write where the build writes the
    same names (`feeds.output`); the user's other files are kept either way."""
    settings: dict[str, Any] = field(default_factory=dict)
    progress: Progress | None = None
    """Told how far the long steps have got: `progress(step, done, total)`, `done == 0` when a
    step starts; called from the build's own thread (the CLI draws a bar or prints lines)."""


Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    output: Path
    episodes: int = 0
    drafts: int = 0
    media_made: int = 0
    media_cached: int = 0
    manifests_parsed: int = 0
    manifests_cached: int = 0
    episodes_reused: int = 0
    """Episodes published as the last build rendered them (their manifests unchanged)."""
    findings: list[Finding] = field(default_factory=list)
    up_to_date: bool = False
    cache_saved: bool = True
    """False when the build was published but its cache could not be saved (a full disk)."""
    checked_only: bool = False
    refused: str | None = None
    working_set: Any = field(default=None, repr=False)
    """What the build loaded and made, kept as long as the result: `segpack build` ends its
    process without freeing it (`segment.clikit.end_process`)."""

    @property
    def feed(self) -> Path:
        return self.output / uptodate.FEED_FILE

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    def counts(self) -> dict[str, Any]:
        return {"episodes": self.episodes, "drafts": self.drafts,
                "media_made": self.media_made, "media_cached": self.media_cached,
                "manifests_parsed": self.manifests_parsed,
                "manifests_cached": self.manifests_cached,
                "episodes_reused": self.episodes_reused}

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.refused is None, "refused": self.refused, "output": str(self.output),
                "feed": None if self.checked_only else str(self.feed),
                "up_to_date": self.up_to_date, "cache_saved": self.cache_saved,
                "check": self.checked_only, **self.counts(),
                "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.as_dict() for f in self.findings]}


class BuildFailed(SegpackError):
    """The input has errors (or warnings under --strict): nothing was published."""

    def __init__(self, message: str, result: BuildResult):
        super().__init__(message)
        self.result = result
        result.refused = message


def build(options: BuildOptions) -> BuildResult:
    """Build `options.show_dir` into `options.output` (see the module doc).

    The garbage collector is off meanwhile (a build makes many small objects and no cycles
    worth collecting: 15-20% less CPU) and back as it was afterwards, however the build ends."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(options)
    finally:
        if enabled:
            gc.enable()


def _build(options: BuildOptions) -> BuildResult:
    root = options.show_dir
    if not root.is_dir():
        raise UsageError(f"{root}: no such show folder (it holds show.yaml and segments/)")
    if options.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    output = options.output
    check_output(output, root, options.overwrite)
    if options.check:
        return _finish(full_build(options), options)
    key = uptodate.options_key(root.resolve(), output.resolve(), options.settings,
                               f"{__version__} {code_key()}")
    with build_lock(output, options.wait):
        state = uptodate.previous_state(root, output, key)
        if state is not None:
            result = BuildResult(output, up_to_date=True, **state["counts"])
            result.findings = [_finding(d) for d in state["findings"]]
            result.media_cached += result.media_made
            result.media_made = 0
            result.manifests_cached += result.manifests_parsed
            result.manifests_parsed = 0
            result.episodes_reused = result.episodes
            return _finish(result, options)
        return full_build(options, key)


def _finish(result: BuildResult, options: BuildOptions) -> BuildResult:
    # settings' select/ignore hide warnings; an error stops the build whatever they say
    result.findings = [f for f in result.findings
                       if f.severity == Severity.ERROR or reports(options.settings, f.code)]
    if result.errors:
        raise BuildFailed(f"{len(result.errors)} error(s): nothing published", result)
    if options.strict and result.warnings:
        raise BuildFailed(f"--strict: {len(result.warnings)} warning(s): nothing published",
                          result)
    return result


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(data["code"], data["message"], data["path"], data["line"], data["column"],
                   data["field"])


def full_build(options: BuildOptions, key: str | None = None) -> BuildResult:
    """Compile, make media, assemble; write and swap in unless `options.check`.

    Files are written into the staging folder as they are made (most by the worker processes
    of `feeds.compile_all`); a failed or refused build removes it, leaving the output as it
    was."""
    from feeds.cache import read_marshal
    from feeds.output import new_staging, previous_files, remove_staging

    output = options.output
    if options.check:
        return _build_into(options, key, None, {})
    state = read_marshal(cache_dir_for(output) / uptodate.STATE_FILE)
    previous = previous_files(output, state)  # what may be linked from the last output
    staging = new_staging(output)
    try:
        return _build_into(options, key, staging, previous)
    except BaseException:
        remove_staging(staging)
        raise


def _build_into(options: BuildOptions, key: str | None, staging: Path | None,
                previous: dict[str, list]) -> BuildResult:
    from feeds.compile_all import compile_all, publish_compiled
    from feeds.compiler import show_context
    from feeds.output import publish
    from segment.loading import duplicate_findings, load_show_file
    from segment.parallel import ignoring_interrupts

    root, output = options.show_dir, options.output
    found: list[Finding] = []
    show = None
    if os.path.lexists(root / "show.yaml"):  # a FIFO or a symlink loop is reported
        show, found = load_show_file(root / "show.yaml")
    else:
        found.append(Finding("SEG403", f"no show.yaml in {root}: the feed needs a title, "
                             "description and language; create it", str(root)))
    paths = uptodate.list_manifests(root)
    if not paths:
        found.append(Finding("SEG109", f"no manifests (*.md) in {root}", str(root)))
    context = None if show is None else show_context(root, show)
    run = _new_run(options, show, context, staging, previous)
    try:
        done = compile_all(run, paths, options.jobs, options.progress)
    except BaseException:
        _drop_shards(run)
        raise
    _save_store(run, cache_dir_for(output))  # whatever comes next: the next try reuses it
    found.extend(duplicate_findings([b.summary() for b in done.builds]))
    found.extend(() if context is None else context.findings)
    result = BuildResult(output, checked_only=options.check, manifests_parsed=len(done.parsed),
                         manifests_cached=len(paths) - len(done.parsed),
                         drafts=sum(b.draft for b in done.builds), working_set=done)
    result.findings = found + _findings(done.builds)
    _finish(result, options)  # refuse before any media work
    if context is None:  # show.yaml is missing or invalid: its findings are errors
        return result
    builds, media_findings = _with_media(options, context, done, result)
    result.findings = found + media_findings + _findings(builds)
    _finish(result, options)
    episodes = sorted((b for b in builds if b.published_episode), key=lambda b: b.sort_key)
    result.episodes = len(episodes)
    result.episodes_reused = sum(b.path not in done.parsed for b in episodes)
    feed = _feed(context, episodes)
    if staging is None:  # --check: rendered, never written
        return result
    written = dict(done.written)
    written.update(publish_compiled(run, [b for b in builds if b.path in done.waiting],
                                    done.stats))
    written.update(write_files({"feed.xml": feed, "index.html": _preview(context, episodes,
                                                                          staging),
                                **context.files}, str(staging), str(output), previous))
    # synced, then swapped in whole, or file by file beside the user's own files
    published = publish(staging, output, overwrite=options.overwrite)
    with ignoring_interrupts():  # the output is live: the build completes, Ctrl-C or not
        try:  # and from here on a failure only loses the cache
            _save_state(root, output, key, result, written, done, builds, context)
        except (OSError, SegpackError) as exc:
            result.cache_saved = published.finish(exc)
        else:
            result.cache_saved = published.finish()
    return result


def _findings(builds: list[EpisodeBuild]) -> list[Finding]:
    """The episodes' findings; a draft's are not reported (unpublished work)."""
    return [f for build in builds if not build.draft for f in build.findings]


def _new_run(options: BuildOptions, show: Show | None, context: Context | None,
             staging: Path | None, previous: dict[str, list]) -> Run:
    """What the workers compile with: the store the last build left, when made under this
    build's context key, and a new folder for this build's shards (none under --check)."""
    from feeds.cache import context_key, new_store, read_store
    from feeds.compile_all import Run

    root, cache = options.show_dir, cache_dir_for(options.output)
    key = None if context is None else context_key(root, options.settings, context.inputs)
    shards = None if key is None or staging is None else str(new_store(cache))
    return Run(root, show, options.settings, context, key,
               {} if key is None else read_store(cache, key),
               None if staging is None else str(staging), str(options.output), previous,
               shards)


def _drop_shards(run: Run) -> None:
    if run.shards is not None:
        shutil.rmtree(run.shards, ignore_errors=True)


def _save_store(run: Run, cache: Path) -> None:
    """Swap this build's shards in as the store, whole; media episodes, compiled later, add
    a shard of their own (`feeds.compile_all.publish_compiled`)."""
    from feeds.cache import LEGACY_STORE, STORE
    from feeds.output import swap_in

    if run.shards is None:
        return
    replaced = swap_in(Path(run.shards), cache / STORE)
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)
    (cache / LEGACY_STORE).unlink(missing_ok=True)
    run.shards = str(cache / STORE)


def _with_media(options: BuildOptions, context: Context, done: Compiled, result: BuildResult
                ) -> tuple[list[EpisodeBuild], list[Finding]]:
    """The builds, those waiting for media compiled again with it: our tagged copies (made
    or taken from the media cache, `feeds.media_step`), or under --check the source audio as
    it is; and the media step's findings."""
    from feeds.compiler import compile_episode

    waiting = {path: manifest.segment for path, manifest in done.waiting.items()}
    needs = {b.path: b.media for b in done.builds if b.path in waiting and b.media}
    result.media_cached = sum(b.media is not None and b.path not in done.parsed
                              for b in done.builds)  # taken from the store, copy and all
    make = _probe_sources if options.check else _make_copies
    audio, found = make(needs, waiting, context, options, result)
    return [compile_episode(done.waiting[b.path], context, audio[b.path])
            if b.path in audio else b for b in done.builds], found


def _make_copies(needs: dict[str, MediaNeed], segments: dict[str, Any], context: Context,
                 options: BuildOptions, result: BuildResult
                 ) -> tuple[dict[str, Audio], list[Finding]]:
    """Tagged copies of the sources, made or from the media cache (by content key)."""
    from feeds.cache import read_json, write_json
    from feeds.compiler import Audio
    from feeds.media_step import MediaJob, file_sha256, job_key, published_suffix, run_jobs
    from media.journal import pending_problem

    cache, show = cache_dir_for(options.output), context.show
    memo = read_json(cache / MEMO)
    memo = memo if isinstance(memo, dict) else {}
    found: list[Finding] = []
    jobs: dict[str, MediaJob] = {}
    for path, need in needs.items():
        segment, suffix = segments[path], published_suffix(show, need.source)
        if problem := pending_problem(need.source):  # never publish a half-written file
            found.append(Finding("SEG304", f"audio.file: {problem}", str(need.source)))
            continue
        try:
            stings = {name: file_sha256(sting, memo) for name, sting in context.stings.items()}
            key = job_key(segment, show, file_sha256(need.source, memo),
                          file_sha256(need.artwork, memo) if need.artwork else None, suffix,
                          stings)
        except OSError as exc:
            found.append(Finding("SEG304", f"audio.file: cannot read {exc.filename}: "
                                 f"{exc.strerror}", str(need.source)))
            continue
        jobs[path] = MediaJob(segment, show, context.root, need.source, need.artwork, key,
                              cache / "media" / key, f"{segment.id}{suffix}")
    progress = options.progress
    results = run_jobs(list(jobs.values()), options.jobs, None if progress is None else
                       lambda done, total: progress("making audio", done, total))
    audio = {}
    for path, job in jobs.items():
        outcome = results[job.segment.id]
        if isinstance(outcome, ToolError):
            raise outcome  # ffmpeg itself falls short: one line, not one per episode
        if isinstance(outcome, SegpackError):
            found.append(Finding("SEG304", f"audio.file: {outcome}", str(job.source)))
            continue
        if outcome.cached:
            result.media_cached += 1
        else:
            result.media_made += 1
        audio[path] = Audio(f"media/{job.name}", outcome.path, outcome.size, outcome.mime,
                            outcome.duration)
    if memo:
        write_json(cache / MEMO, memo)
    return audio, found


def _probe_sources(needs: dict[str, MediaNeed], segments: dict[str, Any], context: Context,
                   options: BuildOptions, result: BuildResult
                   ) -> tuple[dict[str, Audio], list[Finding]]:
    """--check: each source described as it is (no copy is made)."""
    from feeds.compiler import Audio
    from media.probe import probe

    audio, found = {}, []
    for path, need in needs.items():
        try:
            info = probe(need.source)
        except SegpackError as exc:
            found.append(Finding("SEG304", f"audio.file: {exc}", str(need.source)))
            continue
        audio[path] = Audio(f"media/{segments[path].id}{need.source.suffix}", None, info.size,
                            info.mime, float(info.duration))
    return audio, found


def _feed(context: Context, episodes: list[EpisodeBuild]) -> bytes:
    """feed.xml: the channel around the episodes' items, in feed order (newest first)."""
    from datetime import datetime

    from feeds.feed import feed_document

    newest = next((b.published for b in episodes if b.published), None)
    return feed_document(context.show, [b.item for b in episodes],
                         None if newest is None else datetime.fromisoformat(newest),
                         context.base or None, context.image_url)


def _preview(context: Context, episodes: list[EpisodeBuild], staging: Path) -> str:
    """index.html: the episodes' articles in feed order, the newest with their transcript,
    read back from the transcript pages just written (or linked) into `staging`."""
    from feeds.preview import PREVIEW_TRANSCRIPTS, preview_page, with_transcript
    from feeds.transcripts import body_of_page

    articles = [b.article for b in episodes]
    for n, build in enumerate(episodes[:PREVIEW_TRANSCRIPTS]):
        page, body = f"transcripts/{build.id}.html", ""  # none: an empty transcript
        try:
            if page in build.files:
                body = body_of_page((staging / page).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # edited by hand, keeping its size and mtime
            raise PublishError(f"{page} in the last output changed in place ({exc}); delete "
                               "the .segpack-cache folder beside the output and build again",
                               page) from None
        articles[n] = with_transcript(articles[n], body)
    return preview_page(context.show, articles, context.image_src)


def _save_state(root: Path, output: Path, key: str | None, result: BuildResult,
                written: dict[str, list], done: Compiled, builds: list[EpisodeBuild],
                context: Context) -> None:
    """What the next build's no-change test compares: every file the build read, with its
    stat as compiling took it (a file edited during the build then counts as changed).

    Not fsynced: a state lost in a crash only costs the next build its shortcuts (no state, or
    an older one whose feed stat no longer matches, means building in full)."""
    from feeds.cache import write_marshal

    if key is None:
        return
    inputs = uptodate.inputs_state([root / "show.yaml"])
    for recorded in (context.inputs, *(b.inputs for b in builds)):
        inputs.update((path, list(stat[:2])) for path, stat in recorded.items() if stat)
    inputs.update(done.stats)
    feed = stat_key(output / uptodate.FEED_FILE)
    write_marshal(cache_dir_for(output) / uptodate.STATE_FILE, {
        "key": key, "manifests": [b.path for b in done.builds], "inputs": inputs,
        "feed": list(feed) if feed else None, "counts": result.counts(), "files": written,
        "findings": [f.as_dict() for f in result.findings]}, sync=False)
