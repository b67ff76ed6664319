"""The `segpack` command: the one place that wires segment, media and feeds together.

`main(argv) -> int` returns the exit status (0 fine, 1 findings or bad input, 2 usage error),
so tests and other programs can call it. Commands that need media or feeds live beside their
package and are imported only when run, so `segpack validate` stays fast.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click

from segment import __version__
from segment.clikit import (
    LAZY_HELP,
    LazyGroup,
    echo_findings,
    own_process,
    print_json,
    warn,
)
from segment.errors import SegpackError, UsageError

LAZY = {
    "tag": "media.commands:tag",
    "tags": "media.commands:tags",
    "fields": "media.commands:fields",
    "build": "feeds.commands:build",
    "import": "segment.importers.commands:import_group",
    "align": "media.align.command:align",
    "doctor": "media.doctor:doctor",
}
LAZY_HELP.update({
    "tag": "Write a segment's metadata into audio files.",
    "tags": "Read back the tags and technical facts of an audio file.",
    "fields": "List the field table: segment field -> ID3 / MP4 / Vorbis / RSS.",
    "build": "Build a show folder into a publishable folder (feed.xml, media, ...).",
    "import": "Turn article pages, feeds or tagged audio into manifests.",
    "align": "Time a manifest's transcript against its audio: WebVTT captions.",
    "doctor": "Show the versions in use and which ffmpeg, from where, able to do what.",
})


@click.group(cls=LazyGroup, lazy=LAZY, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segpack")
def cli() -> None:
    """Package audio news segments: manifests in git, tagged audio, podcast feeds.

    Exit status: 0 fine (warnings allowed), 1 findings or bad input, 2 usage error.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt",
              type=click.Choice(["text", "json", "github", "junit", "junit-xunit"]),
              default="text", show_default=True,
              help="Output format: junit has a testcase per file (file and line attributes); "
                   "junit-xunit leaves those out for Jenkins' xUnit plugin.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--output-file", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report here instead of standard output.")
@click.option("--strict", is_flag=True, default=None, help="Warnings fail too (exit 1).")
@click.option("--exit-zero", is_flag=True, help="Report only: exit 0 even with findings.")
@click.option("--select", multiple=True, metavar="PREFIX",
              help="Report only warnings whose code starts with PREFIX (repeatable, e.g. "
                   "SEG2); errors always count, as in build.")
@click.option("--ignore", multiple=True, metavar="PREFIX",
              help="Do not report warnings with this prefix (errors always count).")
@click.option("--media", is_flag=True, help="Also check the audio and artwork files (SEG3xx).")
@click.option("--output", "build_output", type=click.Path(path_type=Path, file_okay=False),
              help="The build's output folder (segpack build -o): segments' guids are compared "
                   "with the feed published there (SEG416), as build compares them.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes for big folders (default: all cores; 400+ manifests).")
@click.option("--quiet", "-q", is_flag=True,
              help="No summary line and no progress on standard error.")
def validate(paths: tuple[Path, ...], fmt: str, as_json: bool, output_file: Path | None,
             strict: bool | None, exit_zero: bool, select: tuple[str, ...],
             ignore: tuple[str, ...], media: bool, build_output: Path | None, jobs: int | None,
             quiet: bool) -> None:
    """Check manifests and show folders like a linter; for CI and pre-commit.

    PATHS are manifest files, show.yaml files, show folders, or audio, artwork and captions
    files (the manifests that use them are checked). Settings come from [tool.segpack] in
    the nearest pyproject.toml above each show folder; options here override them.
    """
    from segment.config import find_pyproject, load_settings, reports, with_options
    from segment.progress import Steps, default_mode
    from segment.report import FORMATS
    from segment.rules import Finding
    from segment.validate import settings_folder, validate_paths

    for path in paths:
        if not path.exists():  # a symlink loop is not "missing"; a FIFO is SEG104, later
            from segment.userfiles import file_problem

            raise UsageError(f"{path}: {file_problem(path, missing='no such file or folder')}")
    if media:
        from media import checks  # noqa: F401  (composition root: registers the media checks)
    groups: dict[Path | None, list[Path]] = {}  # paths under the same settings, in order
    for path in paths:
        groups.setdefault(find_pyproject(settings_folder(path)), []).append(path)
    findings: list[Finding] = []
    checked: list[str] = []
    failed = strict_any = False
    steps = Steps(default_mode(quiet), bar_from=50)
    gc.disable()  # many small objects and no cycles: the collector would only cost time
    try:
        for group in groups.values():
            settings = with_options(load_settings(settings_folder(group[0])), select, ignore,
                                    strict)
            report = validate_paths(group, settings, media=media, progress=steps,
                                    jobs=jobs or os.cpu_count() or 1, output=build_output)
            # select/ignore hide warnings; an error counts whatever they say, as in build:
            # a green validate --media is a build that goes (one verdict)
            kept = [f for f in report.findings
                    if f.severity.value == "error" or reports(settings, f.code)]
            findings.extend(kept)
            checked.extend(report.checked)
            strict_any = strict_any or bool(settings.get("strict"))
            failed = failed or any(f.severity.value == "error" or (
                settings.get("strict") and f.severity.value == "warning") for f in kept)
    finally:
        gc.enable()
    if len(groups) > 1:
        findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    files = len(checked)
    text = FORMATS["json" if as_json else fmt](findings, files, checked, strict_any)
    if output_file:
        from segment.manifest import atomic_write

        atomic_write(output_file, text)
    elif fmt == "text" and not as_json:
        echo_findings(text, findings)
    else:
        click.echo(text, nl=False)
    errors = sum(f.severity.value == "error" for f in findings)
    warnings = sum(f.severity.value == "warning" for f in findings)
    if not quiet:
        warn(f"{files} file{'s' * (files != 1)} checked: {errors} error"
             f"{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    sys.exit(0 if exit_zero or not failed else 1)


@cli.command()
@click.argument("show_dir", type=click.Path(path_type=Path))
def new(show_dir: Path) -> None:
    """Start a show folder in SHOW_DIR; never overwrites a file.

    Writes show.yaml with every key explained, segments/ with an example (a draft), a
    placeholder cover (art/segpack-placeholder.png: replace it before submitting the feed to
    directories; validate warns until then, SEG415), a pyproject.toml [tool.segpack] block
    and a .gitignore for what builds make."""
    from media.placeholder import placeholder_png  # composition root: media draws the cover
    from segment.scaffold import create

    for path in create(show_dir, placeholder_png):
        click.echo(f"created {path}")
    click.echo(f"next: edit {show_dir / 'show.yaml'} (and set feed_url before you build), "
               f"write segments/*.md, then: segpack validate {show_dir}; replace the "
               "placeholder artwork with the show's own before submitting the feed")


@cli.command()
@click.argument("kind", type=click.Choice(["manifest", "show", "all"]), default="all")
def schema(kind: str) -> None:
    """Print the JSON Schema of manifests' front matter and of show.yaml (for editors, CI)."""
    from segment.schema import json_schema

    print_json(json_schema(kind))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
def rules(as_json: bool) -> None:
    """List every validation rule: code, name, severity and what it checks."""
    from segment.rules import RULES

    ordered = sorted(RULES.values(), key=lambda r: r.code)
    if as_json:
        print_json([{"code": r.code, "name": r.name, "severity": r.severity.value,
                     "summary": r.summary, "doc": r.doc} for r in ordered])
        return
    for r in ordered:
        click.echo(f"{r.code}  {r.severity.value:<7}  {r.name:<20} {r.summary}")


def main(argv: list[str] | None = None) -> int:
    """Run segpack; return the exit status instead of exiting (for tests and embedding)."""
    try:
        cli.main(args=argv, prog_name="segpack", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except click.exceptions.Abort:
        warn("segpack: aborted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except SegpackError as exc:
        warn(f"segpack: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        warn("segpack: interrupted")
        return 130
    except BrokenPipeError:
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    own_process()
    sys.exit(main())

