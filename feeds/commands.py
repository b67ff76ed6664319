"""`segpack build`: the click command (the lazy CLI in `segment.cli` points here).

Imports stay light at module level: a no-change rebuild of 10,000 segments must answer from file
stats alone, without loading pydantic models, feedgen or lxml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from segment.clikit import end_process, print_json, warn


def _line(finding) -> str:
    return (f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
            f"{finding.message}")


def _report(findings, quiet: bool) -> None:
    ordered = sorted(findings, key=lambda f: (f.path, f.line, f.column, f.code))
    for finding in ordered:
        if not quiet or finding.severity.value == "error":
            warn(_line(finding))


@click.command()
@click.argument("show_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              default=Path("public"), show_default=True,
              help="Folder to build (replaced whole on success; the build cache goes beside "
                   "it in .segpack-cache/).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes for reading big shows (400+ manifests) and for media work "
                   "(default: the number of cores).")
@click.option("--check", is_flag=True, help="Validate and plan the build without writing.")
@click.option("--strict", is_flag=True, help="Refuse to publish when there are warnings.")
@click.option("--wait", type=click.FloatRange(min=0), default=120.0, show_default=True,
              help="Seconds to wait for another build of the same output to finish.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only, not warnings.")
def build(show_dir: Path, output: Path, jobs: int | None, check: bool, strict: bool,
          wait: float, as_json: bool, quiet: bool) -> None:
    """Build SHOW_DIR into a folder ready to upload: feed.xml, tagged media/, transcripts/,
    chapters/ and an index.html preview.

    Same inputs give byte-identical output; unchanged segments are reused, not
    parsed, rendered or tagged again. Exit status: 0 built (warnings allowed), 1 errors
    (or warnings with --strict; the previous output is left as it was), 2 usage error.
    """
    import gc

    from feeds.build import BuildFailed, BuildOptions
    from feeds.build import build as run_build
    from segment.config import load_settings

    gc.disable()  # short-lived, builds many small objects and frees them at exit: GC only costs

    options = BuildOptions(show_dir=show_dir, output=output,
                           jobs=jobs or os.cpu_count() or 1, check=check, strict=strict,
                           wait=wait, settings=load_settings())
    try:
        result = run_build(options)
    except BuildFailed as exc:
        _report(exc.result.findings, quiet)
        if as_json:
            print_json(exc.result.as_dict())
        warn(f"segpack: {exc}")
        sys.exit(1)
    except OSError as exc:  # the machine's, not the input's: a full disk, a vanished folder
        warn(f"segpack: build stopped: {exc.strerror or exc} ({exc.filename or output})")
        sys.exit(1)
    _report(result.findings, quiet)
    if as_json:
        print_json(result.as_dict())
    else:
        _summary(result, output)
    end_process(0)


def _summary(result, output: Path) -> None:
    warnings = len(result.warnings)
    tail = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    if result.checked_only:
        click.echo(f"check passed: {result.episodes} episode{'s' * (result.episodes != 1)} "
                   f"would be built into {output}{tail}")
        return
    if result.up_to_date:
        click.echo(f"up to date: nothing changed since the last build{tail}")
    else:
        click.echo(f"built {result.episodes} episode{'s' * (result.episodes != 1)} "
                   f"({result.media_made} audio file{'s' * (result.media_made != 1)} tagged, "
                   f"{result.media_cached} from cache; {result.drafts} draft"
                   f"{'s' * (result.drafts != 1)} skipped){tail}")
    click.echo(f"feed: {result.feed.resolve()}")

