"""`segpack build`: a show folder becomes a folder ready to upload (the phases, and what runs
where, are in the `feeds` package docstring). Heavy libraries are imported only inside
`full_build`, so the no-change path stays cheap."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds import uptodate
from feeds.cache import cache_dir_for, stat_key
from feeds.output import build_lock, check_output
from feeds.result import BuildFailed, BuildOptions, BuildResult
from feeds.shards import Shards
from feeds.writing import write_files
from segment.config import reports
from segment.errors import PublishError, SegpackError, UsageError
from segment.rules import Finding, Severity

if TYPE_CHECKING:
    from feeds.compile_all import Compiled, Run
    from feeds.compiler import EpisodeBuild
    from feeds.context import Context
    from feeds.enclosures import Audio
    from feeds.shards import ShardWriter

STATE_NEW = "state.new-"
"""The folder of a build's state shards until the build is saved (`_save_state`)."""


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
    key = uptodate.options_key(root.resolve(), output.resolve(), options.settings)
    with build_lock(output, options.wait):
        state = uptodate.previous_state(root, output, key)
        if state is not None:
            result = BuildResult(output, up_to_date=True, **state["counts"])
            result.findings = [Finding.from_tuple(f) for f in state["findings"]]
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


def full_build(options: BuildOptions, key: str | None = None) -> BuildResult:
    """Compile, make media, assemble; write and swap in unless `options.check`.

    Files are written into the staging folder as they are made (most by the worker processes
    of `feeds.compile_all`), and what each episode read and published into a new folder of
    state shards; a failed or refused build removes both, leaving the output as it was."""
    from feeds.output import new_staging, remove_staging
    from feeds.shards import ShardWriter

    output = options.output
    if options.check:
        return _build_into(options, key, None, uptodate.Previous(None, {}, Shards(None, "")))
    previous = uptodate.previous_files(output)  # what may be linked from the last output
    cache = cache_dir_for(output)
    for stale in cache.glob(f"{STATE_NEW}*"):  # a killed build's (the build's lock is held)
        shutil.rmtree(stale, ignore_errors=True)
    parts = ShardWriter(cache, STATE_NEW, key or "")
    staging = new_staging(output)
    try:
        return _build_into(options, key, staging, previous, parts)
    except BuildFailed:
        remove_staging(staging)
        _mark_again(output, previous, parts)
        raise
    except BaseException:
        remove_staging(staging)
        raise
    finally:
        parts.drop()  # unless saved as the state's


def _mark_again(output: Path, previous: uptodate.Previous, parts: ShardWriter) -> None:
    """A refused build linked files of the last output into its staging folder (now removed),
    which moved their ctimes past the last build's mark: mark again when nothing else did
    (`feeds.writing.only_relinked`), so the next build reuses them instead of copying."""
    from feeds.cache import read_state_record
    from feeds.output import mark_published, published_mark
    from feeds.writing import only_relinked

    linked = Shards(parts.folder, parts.key)  # this build's records: what it linked
    if not linked or not previous or published_mark(output) != previous.mark:
        return
    for path, records in previous.every():
        mine = None if path is None else read_state_record(linked.get(path))
        if not only_relinked(str(output), records, {} if mine is None else mine[2]):
            return
    with suppress(OSError):  # not marked: the next build copies, as before
        mark_published(output)


def _build_into(options: BuildOptions, key: str | None, staging: Path | None,
                previous: uptodate.Previous, parts: ShardWriter | None = None) -> BuildResult:
    from feeds.cache import Store, context_key
    from feeds.compile_all import Run, compile_all
    from feeds.compiler import EpisodeBuild
    from feeds.context import show_context
    from feeds.output import publish
    from feeds.pages import STYLE, STYLESHEET  # index.html's, shared with transcript pages
    from feeds.spool import Lazy
    from media import checks  # noqa: F401  (registers the media checks validate --media runs)
    from segment.loading import load_show_file, show_wide_findings
    from segment.parallel import ignoring_interrupts
    from segment.published import published_in, settle

    root, output, cache = options.show_dir, options.output, cache_dir_for(options.output)
    found: list[Finding] = []
    show = None
    if os.path.lexists(root / "show.yaml"):  # a FIFO or a symlink loop is reported
        # the show rules and media checks, as `segpack validate --media` runs them
        show, found = load_show_file(root / "show.yaml", checks=True,
                                     settings=options.settings, media=True)
    else:
        found.append(Finding("SEG403", f"no show.yaml in {root}: the feed needs a title, "
                             "description and language; create it", str(root)))
    paths = uptodate.list_manifests(root)
    if not paths:
        found.append(Finding("SEG109", f"no manifests (*.md) in {root}", str(root)))
    context = None if show is None else show_context(root, show)
    store = None if context is None else Store(
        cache, context_key(root, options.settings, context.inputs), readonly=staging is None)
    run = Run(root, show, options.settings, context, store,
              None if staging is None else str(staging), str(output), previous,
              published_in(output), parts)  # SEG416: guids compared with the feed published
    try:
        done = compile_all(run, paths, options.jobs, options.progress)
        if store is not None:
            store.save()  # whatever comes next: the next try takes what this one compiled
    finally:
        if store is not None:
            store.drop()
    found += show_wide_findings(root / "show.yaml", show,  # made as read: not 100,000 at once
                                Lazy(done.builds, EpisodeBuild.summary))
    result = BuildResult(output, checked_only=options.check, manifests_parsed=len(done.parsed),
                         manifests_cached=len(paths) - len(done.parsed),
                         drafts=sum(b.draft for b in done.builds), working_set=done)
    guids = {b.guid for b in done.builds if b.guid}  # SEG416 never offers one (`settle`)
    result.findings = settle(found + _findings(done.builds), guids)
    _finish(result, options)  # refuse before any media work
    if context is None:  # unreachable: without show.yaml there is an error
        return result
    builds, media_found = _with_media(options, context, run, done, result)
    result.findings = settle(found + media_found + _findings(builds), guids)
    _finish(result, options)
    episodes = sorted((b for b in builds if b.published_episode), key=lambda b: b.sort_key)
    result.episodes = len(episodes)
    result.episodes_reused = sum(b.path not in done.parsed for b in episodes)
    feeds = _feeds(context, episodes, done)
    if staging is None:  # --check: rendered, never written
        for _ in feeds:
            pass
        done.spool.close()
        return result
    written: dict[str, list] = {}  # the show's own files (the episodes': in `parts`)
    for name, feed in feeds:  # one page of a paged feed at a time (`feeds.paging`)
        written.update(write_files({name: feed}, str(staging), str(output), previous.show))
    written.update(_preview(context, episodes, staging, done))  # index.html, as it is made
    done.spool.close()
    written.update(write_files({STYLESHEET: STYLE, **context.files}, str(staging), str(output),
                               previous.show))
    # synced, then swapped in whole, or file by file beside the user's own files
    published = publish(staging, output, overwrite=options.overwrite)
    with ignoring_interrupts():  # the output is live: the build completes, Ctrl-C or not
        try:  # and from here on a failure only loses the cache
            _save_state(root, output, key, result, written, paths, parts, context)
        except (OSError, SegpackError) as exc:
            result.cache_saved = published.finish(exc)
        else:
            result.cache_saved = published.finish()
    return result


def _findings(builds: list[EpisodeBuild]) -> list[Finding]:
    """The episodes' findings; a draft's are not reported (unpublished work)."""
    return [f for build in builds if not build.draft for f in build.findings]


def _with_media(options: BuildOptions, context: Context, run: Run, done: Compiled,
                result: BuildResult) -> tuple[list[EpisodeBuild], list[Finding]]:
    """The builds, those waiting for media compiled again with it: our tagged copies (made
    or taken from the media cache, `feeds.media_step`), or under --check each source as it
    is (probed: no copy is made); and the media step's findings.

    Done `RUN` episodes at a time, each batch's files written, kept (`compile_all.keep`) and
    spooled before the next: what the build process holds of a local-audio archive then does
    not grow with it (issue 17); a batch is ~1,000 ffmpeg jobs, enough to keep any number of
    workers busy."""
    from feeds.compile_all import for_build_process, keep
    from feeds.compiler import EpisodeBuild, compile_episode
    from feeds.media_step import load_memo, save_memo
    from feeds.shards import RUN

    waiting = [b.path for b in done.builds if b.path in done.waiting and b.media]
    result.media_cached = sum(b.media is not None and b.path not in done.parsed
                              for b in done.builds)  # taken from the store, copy and all
    builds = {b.path: b for b in done.builds}
    memo = load_memo(cache_dir_for(options.output))  # the sources' hashes, read once
    found: list[Finding] = []
    counted = _Counted(options.progress, len(waiting))
    for start in range(0, len(waiting), RUN):
        batch = {path: done.spool.take(path) for path in waiting[start:start + RUN]}
        sources = {path: builds[path].media for path in batch}
        counted.left = len(waiting) - start - len(batch)
        audio = _media_batch(options, context, batch, sources, memo, result, found, counted)
        made = [compile_episode(batch[path], context, audio[path]) for path in audio]
        for build, data in zip(made, keep(run, made, done.stats, family="media"),
                               strict=True):  # files written under --check: none
            builds[build.path] = EpisodeBuild.from_data(
                build.path, done.spool.spill(build.path, for_build_process(data)))
    if not options.check:
        save_memo(cache_dir_for(options.output), memo)
    return [builds[b.path] for b in done.builds], found


def _media_batch(options: BuildOptions, context: Context, batch: dict[str, Any],
                 sources: dict[str, Any], memo: dict, result: BuildResult,
                 found: list[Finding], counted: _Counted) -> dict[str, Audio]:
    """The audio each manifest of `batch` publishes (`_with_media`), by the media it needs
    (`sources`); `found` given the media step's findings."""
    from feeds.enclosures import Audio
    from feeds.media_step import make_copies, published_suffix
    from media.probe import probe
    from segment.executor import executor_for

    segments = {path: manifest.segment for path, manifest in batch.items()}
    audio: dict[str, Audio] = {}
    if options.check:
        captions = _check_captions(options, context, sources, segments)
        for path, need in sources.items():
            try:
                info = probe(need.source)
            except SegpackError as exc:
                found.append(Finding("SEG304", f"audio.file: {exc}", str(need.source)))
                continue
            audio[path] = Audio(f"media/{segments[path].id}"
                                f"{published_suffix(context.show, need.source)}", None,
                                info.size, info.mime, float(info.duration),
                                captions=captions.get(path))
        return audio
    copies = make_copies(
        {path: (segments[path], need.source, need.artwork) for path, need in sources.items()},
        context.show, context.root, dict(context.stings), cache_dir_for(options.output),
        options.executor or executor_for(options.jobs), counted.step("making audio"),
        counted.step("aligning captions"), memo=memo)
    for path, copy in copies.items():
        if isinstance(copy, SegpackError):
            found.append(Finding("SEG304", f"audio.file: {copy}", str(sources[path].source)))
            continue
        rel, made = copy
        result.media_made += not made.cached
        result.media_cached += made.cached
        audio[path] = Audio(rel, made.path, made.size, made.mime, made.duration,
                            made.timeline, made.source_duration, made.captions)
    return audio


class _Counted:
    """One progress bar per step across the media step's batches: a batch's (done, total)
    moved past the batches before it, the episodes still to come counted as jobs to do (the
    bar ends at its true total, with the last batch)."""

    def __init__(self, progress: Any, waiting: int) -> None:
        self.progress, self.left = progress, waiting
        self.before: dict[str, int] = {}
        self.last: dict[str, int] = {}

    def step(self, name: str) -> Any:
        if self.progress is None:
            return None
        self.before[name] = self.before.get(name, 0) + self.last.pop(name, 0)

        def told(done: int, total: int) -> None:
            self.last[name] = total
            self.progress(name, self.before[name] + done, self.before[name] + total + self.left)
        return told


def _check_captions(options: BuildOptions, context: Context, waiting: dict[str, Any],
                    segments: dict[str, Any]) -> dict[str, Any]:
    """Under --check, the captions `captions: align` would publish (SEG509 when refused):
    aligned as the build does, the cache read but not written."""
    from feeds.align_step import align_all, wants_alignment
    from feeds.media_step import file_sha256
    from segment.executor import executor_for

    asked = {path: (segments[path], need.source) for path, need in waiting.items()
             if wants_alignment(segments[path], context.show)}
    if not asked:
        return {}
    return align_all(asked, lambda source: file_sha256(source, {}),
                     cache_dir_for(options.output),
                     options.executor or executor_for(options.jobs), keep=False)


def _feeds(context: Context, episodes: list[EpisodeBuild], done: Compiled
           ) -> Iterator[tuple[str, bytes]]:
    """feed.xml (and with show.yaml's `paging`, the archive pages: `feeds.paging`): the
    channel around the episodes' items, in feed order (newest first), read from the spool
    page by page (`feeds.spool.Spool`)."""
    from feeds.paging import documents

    return documents(context.show, done.spool.items(episodes),
                     [b.published for b in episodes], context.base, context.image_url)


def _preview(context: Context, episodes: list[EpisodeBuild], staging: Path, done: Compiled
             ) -> dict[str, list]:
    """index.html, written piece by piece: the episodes' articles in feed order (read from
    the spool as it is written), the newest with their transcript, read back from the
    transcript pages just written (or linked) into `staging`. Its record (`feeds.writing`)."""
    from itertools import chain

    from feeds.preview import PREVIEW_TRANSCRIPTS, preview_parts, with_transcript
    from feeds.transcripts import body_of_page
    from feeds.writing import write_parts

    spool = done.spool
    articles = spool.articles(episodes[:PREVIEW_TRANSCRIPTS])
    newest = []
    for n, build in enumerate(episodes[:PREVIEW_TRANSCRIPTS]):
        page, body = f"transcripts/{build.id}.html", ""  # none: an empty transcript
        try:
            if os.path.isfile(staging / page):  # compiled here, or linked by a worker
                body = body_of_page((staging / page).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # edited by hand, keeping its size and mtime
            raise PublishError(f"{page} in the last output changed in place ({exc}); delete "
                               "the .segpack-cache folder beside the output and build again",
                               page) from None
        newest.append(with_transcript(articles[n], body))
    every = chain(newest, spool.articles(episodes[PREVIEW_TRANSCRIPTS:]))
    return write_parts(str(staging), "index.html",
                       preview_parts(context.show, every, len(episodes), context.image_src))


def _save_state(root: Path, output: Path, key: str | None, result: BuildResult,
                written: dict[str, list], paths: list[str], parts: ShardWriter | None,
                context: Context) -> None:
    """What the next build's no-change test compares (`feeds.uptodate`): every file the build
    read, with its stat as compiling took it (a file edited during the build then counts as
    changed), and every file it published. The episodes' records are already in `parts`
    (written as they were compiled): they become the state's, then the state names them.

    Not fsynced: a state lost in a crash only costs the next build its shortcuts (no state, or
    an older one whose feed stat no longer matches, means building in full)."""
    from secrets import token_hex

    from feeds.cache import PARTS, write_marshal

    if key is None or parts is None:
        return
    cache = cache_dir_for(output)
    inputs = uptodate.inputs_state([root / "show.yaml"])
    inputs.update((path, list(stat[:2])) for path, stat in context.inputs.items() if stat)
    name = f"{PARTS}{token_hex(8)}"
    parts.save(cache / name)
    feed = stat_key(output / uptodate.FEED_FILE)
    write_marshal(cache / uptodate.STATE_FILE, {
        "key": key, "manifests": uptodate.manifests_key(paths), "inputs": inputs,
        "feed": list(feed) if feed else None, "counts": result.counts(), "files": written,
        "findings": [f.as_tuple() for f in result.findings], "parts": name}, sync=False)
    for old in cache.glob(f"{PARTS}*"):  # the last build's, now no state's
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
