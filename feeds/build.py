"""`segpack build`: a show folder becomes a folder ready to upload.

    show/ (show.yaml, segments/*.md, media/...)  ->  public/feed.xml, media/, transcripts/,
                                                     chapters/, images/, index.html

Steps: take the output's lock; if no input changed since the last build, replay its report
(`feeds.uptodate`); else create a temp folder beside the output and load the show (changed
manifests only, `feeds.load`): worker processes (`feeds.prepare`) parse the manifests and plan,
write and render every self-contained (direct-link) segment. Refuse on errors (and on warnings
with --strict), plan the other episodes here (local files: enclosure, transcripts, chapters),
make tagged copies of local audio (`feeds.media_step`, cached by content), render feed.xml and
index.html around the workers' fragments, write the rest and swap the temp folder in whole once
it is on disk (`feeds.output`).
This module imports heavy libraries only inside `full_build`, so the no-change path stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feeds import uptodate
from feeds.cache import cache_dir_for, code_key
from feeds.output import build_lock, check_output
from segment import __version__
from segment.config import reports
from segment.errors import SegpackError, UsageError
from segment.rules import Finding, Severity


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
    """Load, plan, make media, render; write and swap in unless `options.check`.

    Files are written into the staging folder as they are made (most by the worker processes
    of `feeds.prepare`); a failed or refused build removes it, leaving the output as it was."""
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
    from feeds.load import load_show_cached
    from segment.models import Segment

    root, output = options.show_dir, options.output
    loaded = load_show_cached(root, options.settings, cache_dir_for(output), jobs=options.jobs,
                              staging=None if staging is None else str(staging),
                              old_output=str(output), previous=previous,
                              progress=options.progress)
    folder, counts, save_manifests = loaded.folder, loaded.counts, loaded.save
    result = BuildResult(output, checked_only=options.check, manifests_parsed=counts["parsed"],
                         manifests_cached=counts["cached"], episodes_reused=counts["reused"],
                         working_set=loaded)
    result.findings.extend(folder.findings)
    segments = []
    for item in folder.segments:
        if item.segment is not None and item.segment.draft:
            result.drafts += 1  # unpublished work: its findings do not block publishing
            continue
        result.findings.extend(item.findings)
        if isinstance(item.segment, Segment):
            segments.append((item.path, item.segment))
    if not options.check:
        save_manifests()  # whatever comes next: the next try re-parses only what changed
    return _publish_show(options, key, staging, previous, loaded, result, segments)


def _publish_show(options: BuildOptions, key: str | None, staging: Path | None,
                  previous: dict[str, list], loaded: Any, result: BuildResult,
                  segments: list) -> BuildResult:
    """Plan, make media, render, write and swap in (the part of a build after loading)."""
    from feeds.plan import Planner

    root, output, folder, prepared = (options.show_dir, options.output, loaded.folder,
                                      loaded.rendered)
    if result.errors or folder.show is None:
        return _finish(result, options)

    planner = Planner(root, folder.show, cache_dir_for(output), check=options.check)
    planner.plan(segments)
    result.findings.extend(planner.findings)
    for done in prepared.values():
        result.findings.extend(done.findings)
    _finish(result, options)  # refuse before any media work
    planner.make_media(options.jobs, options.progress)
    result.findings.extend(planner.media_findings)
    result.media_made, result.media_cached = planner.media_made, planner.media_cached
    result.episodes = len(planner.episodes) + len(prepared)
    _finish(result, options)
    files = planner.render(list(prepared.values()))
    if staging is None:
        return result
    from feeds.output import publish
    from segment.parallel import ignoring_interrupts

    written = _publish(files, staging, output, previous)
    for done in prepared.values():
        written.update(done.written)
    # synced, then swapped in whole, or file by file beside the user's own files
    published = publish(staging, output, overwrite=options.overwrite)
    with ignoring_interrupts():  # the output is live: the build completes, Ctrl-C or not
        try:  # and from here on a failure only loses the cache
            planner.save_memo()  # overlapped with deleting the old files
            _save_state(root, output, key, planner, result, written, loaded)
        except (OSError, SegpackError) as exc:
            result.cache_saved = published.finish(exc)
        else:
            result.cache_saved = published.finish()
    return result


def _publish(files: dict[str, Any], staging: Path, output: Path, previous: dict[str, list]
             ) -> dict[str, list]:
    """Write the files the build process made (feed.xml, index.html, files of the segments it
    planned, links to media copies) into `staging`; see `feeds.writing`."""
    from feeds.writing import write_files

    return write_files(files, str(staging), str(output), previous)


def _save_state(root: Path, output: Path, key: str | None, planner: Any,
                result: BuildResult, written: dict[str, list], loaded: Any) -> None:
    """What the next build's no-change test compares: the manifests' stats as the workers
    took them before reading (a manifest edited during the build then counts as changed).

    Not fsynced: a state lost in a crash only costs the next build its shortcuts (no state, or
    an older one whose feed stat no longer matches, means building in full)."""
    from feeds.cache import stat_key, write_marshal

    if key is None:
        return
    inputs = uptodate.inputs_state([root / "show.yaml", *planner.input_files])
    inputs.update(loaded.stats)
    feed = stat_key(output / uptodate.FEED_FILE)
    (cache_dir_for(output) / "state.json").unlink(missing_ok=True)  # before FORMAT 3
    write_marshal(cache_dir_for(output) / uptodate.STATE_FILE, {
        "key": key, "manifests": loaded.manifests, "inputs": inputs,
        "feed": list(feed) if feed else None, "counts": result.counts(), "files": written,
        "findings": [f.as_dict() for f in result.findings]}, sync=False)
