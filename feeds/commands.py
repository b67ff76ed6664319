"""`segpack build`: the click command (the lazy CLI in `segment.cli` points here).

Imports stay light at module level: a no-change rebuild of 10,000 segments must answer from file
stats alone, without loading pydantic models, feedgen or lxml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from segment.clikit import Reporter, end_process, print_json, warn
from segment.errors import UsageError


@click.command()
@click.argument("show_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              default=Path("public"), show_default=True,
              help="Folder to build into (segpack's files in it are replaced on success, "
                   "other files are kept; the build cache goes beside it in .segpack-cache/).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes for reading big shows (400+ manifests) and for media work "
                   "(default: the number of cores).")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Encode on this Dask cluster instead of local processes (default: "
                   "SEGPACK_SCHEDULER; `local` for this machine). The show folder and the "
                   "output's parent folder must be at the same path on its workers.")
@click.option("--check", is_flag=True, help="Validate and plan the build without writing.")
@click.option("--strict/--no-strict", default=None,
              help="Refuse to publish when there are warnings (default: [tool.segpack] "
                   "strict, else no).")
@click.option("--select", multiple=True, metavar="PREFIX",
              help="Report only warnings whose code starts with PREFIX (repeatable).")
@click.option("--ignore", multiple=True, metavar="PREFIX",
              help="Do not report warnings with this prefix (errors always stop a build).")
@click.option("--wait", type=click.FloatRange(min=0), default=120.0, show_default=True,
              help="Seconds to wait for another build of the same output to finish.")
@click.option("--overwrite", is_flag=True,
              help="Replace files in the output folder that segpack did not write where the "
                   "build writes the same names (e.g. an old feed.xml); other files there are "
                   "always kept.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Errors only: no warnings, no progress.")
@click.option("--verbose", "-v", is_flag=True,
              help="Every finding on its own line (repeated ones are otherwise grouped), "
                   "also when nothing changed.")
def build(show_dir: Path, output: Path, jobs: int | None, scheduler: str | None, check: bool,
          strict: bool | None, select: tuple[str, ...], ignore: tuple[str, ...], wait: float,
          overwrite: bool, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Build SHOW_DIR into a folder ready to upload: feed.xml, tagged media/, transcripts/,
    chapters/ and an index.html preview.

    Same inputs give byte-identical output; unchanged segments are reused, not
    parsed, rendered or tagged again. Settings come from [tool.segpack] in the nearest
    pyproject.toml above SHOW_DIR. Exit status: 0 built (warnings allowed), 1 errors
    (or warnings with --strict; the previous output is left as it was), 2 usage error.
    """
    from feeds.build import BuildFailed, BuildOptions
    from feeds.build import build as run_build
    from segment.config import load_settings, with_options
    from segment.executor import ClusterError, executor_for

    check_show_dir(show_dir)
    settings = load_settings(show_dir)
    strict = bool(settings.get("strict", False)) if strict is None else strict
    settings = with_options({k: v for k, v in settings.items() if k != "strict"}, select,
                            ignore)
    jobs = jobs or os.cpu_count() or 1
    # a Dask scheduler out of reach is said here, before anything is written
    executor = None if check else executor_for(jobs, scheduler)

    reporter = Reporter(quiet=quiet or as_json, verbose=verbose)
    options = BuildOptions(show_dir=show_dir, output=output, jobs=jobs, check=check,
                           strict=strict, wait=wait, overwrite=overwrite, settings=settings,
                           executor=executor, progress=reporter.progress)
    try:
        with reporter:  # the bar is taken down however the build ends (Ctrl-C too)
            try:
                result = run_build(options)
            finally:
                if executor is not None:
                    executor.close()
    except BuildFailed as exc:
        reporter.findings(exc.result.findings)
        if as_json:
            print_json(exc.result.as_dict())
        warn(f"segpack: {exc}")
        sys.exit(1)
    except OSError as exc:  # the machine's, not the input's: a full disk, a vanished folder
        reporter.stop()
        warn(f"segpack: build stopped: {exc.strerror or exc} ({exc.filename or output})")
        sys.exit(1)
    except ClusterError as exc:  # the Dask cluster failed the media work
        reporter.stop()
        warn(f"segpack: {exc}: nothing published")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # Ctrl-C: workers ignore it; one line here, nothing published
        reporter.stop()
        warn("segpack: interrupted")
        sys.exit(130)
    if result.up_to_date and not verbose:
        reporter.stop()  # the last build's findings: counted below, not replayed
    else:
        reporter.findings(result.findings)
    if as_json:
        print_json(result.as_dict())
    else:
        _summary(result, output, quiet or verbose)
    end_process(0)


def check_show_dir(show_dir: Path) -> None:
    """Refuse, with what to do, a folder that is not a show folder (e.g. its segments/), or
    not a folder at all (a FIFO, a symlink loop)."""
    from segment.userfiles import folder_problem

    problem = folder_problem(show_dir, "a show folder")
    if problem is not None:
        raise UsageError(f"{show_dir}: {problem}")
    if not show_dir.is_dir() or (show_dir / "show.yaml").is_file() or \
            (show_dir / "segments").is_dir():
        return  # a missing folder, or a show folder (its missing show.yaml is a finding)
    for parent in show_dir.resolve().parents:
        if (parent / "show.yaml").is_file() or (parent / "segments").is_dir():
            inside = parent == Path.cwd() or Path.cwd() in parent.parents
            above = os.path.relpath(parent) if inside else str(parent)
            raise UsageError(f"{show_dir} is not a show folder (it has no show.yaml) but is "
                             f"inside one: segpack build {above}")
    raise UsageError(f"{show_dir} is not a show folder: it has no show.yaml and no segments/ "
                     f"folder (segpack new {show_dir} makes one)")


def _summary(result, output: Path, listed: bool) -> None:
    warnings = len(result.warnings)
    tail = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    if result.checked_only:
        click.echo(f"check passed: {result.episodes} episode{'s' * (result.episodes != 1)} "
                   f"would be built into {output}{tail}")
        return
    if result.up_to_date:
        click.echo("up to date: nothing changed since the last build")
        if warnings and not listed:
            from segment.report import counts_by_code

            warn(f"{warnings} warning{'s' * (warnings != 1)} from that build "
                 f"({counts_by_code(result.warnings)}); segpack build --verbose lists them")
    else:
        click.echo(f"built {result.episodes} episode{'s' * (result.episodes != 1)} "
                   f"({result.media_made} audio file{'s' * (result.media_made != 1)} tagged, "
                   f"{result.media_cached} from cache; {result.drafts} draft"
                   f"{'s' * (result.drafts != 1)} skipped){tail}")
    click.echo(f"feed: {result.feed.resolve()}")
