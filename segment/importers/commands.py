"""`segpack import article|feed|audio`: options in, importer called, report out.

The importers (`segment.importers.article`, `.feed`, `.tags`) parse; `segment.importers.manifests`
meets their results with the show folder. This module only wires them and prints what was done:
per input the manifest, every field changed or kept (`--dry-run` prints the same and writes
nothing) and what could not be found. `import audio` (and `--audio`) read the audio through
`media`, imported inside those commands only (this is part of the command line, the one place
that wires packages together).

Exit status: 0 when something useful was imported from every input, 1 otherwise.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from segment.clikit import Reporter, print_json, warn
from segment.errors import SegpackError, UsageError
from segment.importers.common import Imported
from segment.importers.manifests import (
    ARTICLE_SKELETON,
    REQUIRED_SKELETON,
    ManifestIndex,
    save,
)
from segment.loading import show_dir_for
from segment.userfiles import file_problem

DRY_RUN = click.option("--dry-run", is_flag=True,
                       help="Print what would change (field by field); write nothing.")
AS_JSON = click.option("--json", "as_json", is_flag=True,
                       help="Machine-readable report on stdout.")
QUIET = click.option("--quiet", "-q", is_flag=True,
                     help="Errors only: no line per input, no progress.")
VERBOSE = click.option("--verbose", "-v", is_flag=True,
                       help="List what each input lacks, also when many lack the same.")


@click.group("import")
def import_group() -> None:
    """Turn article pages, podcast feeds or tagged audio into manifests to review."""


@import_group.command("article")
@click.argument("pages", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              default=Path("segments"), show_default=True,
              help="Folder for the manifests (a show's segments/ folder).")
@click.option("--audio", "audio_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The segment's audio file (one page only); recorded as audio.file.")
@click.option("--publisher", help="Publisher when the page does not say (e.g. VOA).")
@click.option("--language", help="BCP 47 language when the page does not say (e.g. en).")
@DRY_RUN
@AS_JSON
@QUIET
@VERBOSE
def article(pages: tuple[Path, ...], output: Path, audio_file: Path | None,
            publisher: str | None, language: str | None, dry_run: bool, as_json: bool,
            quiet: bool, verbose: bool) -> None:
    """Saved article pages (HTML) or scraped page text -> segments/<id>.md.

    Re-importing a page changes a field only where the page changed since the last import
    and you have not edited it; your edits are kept and listed. Lists what the page lacks
    ("publication date: not in page").
    """
    from segment.importers.article import import_article

    if audio_file is not None:
        if len(pages) != 1:
            raise UsageError("--audio names the audio of one page; import pages one at a time")
        problem = file_problem(audio_file, "an audio file", missing="no such audio file")
        if problem is not None:
            raise UsageError(f"{audio_file}: {problem}")
    _check_language(language)
    index = ManifestIndex(output)
    reports: list[dict[str, Any]] = []
    reporter = Reporter(quiet=quiet or as_json, verbose=verbose)
    for found in each_input(pages, "importing pages", reporter, reports,
                            lambda page: import_article(page, publisher=publisher,
                                                        language=language)):
        if audio_file is not None:
            attach_audio(found, audio_file, output)
        reports.append(save(found, index, ARTICLE_SKELETON, "page", dry_run=dry_run))
    finish(index, reports, 0, as_json, dry_run, quiet=quiet, verbose=verbose)


def each_input(inputs: Sequence[Path], label: str, reporter: Reporter,
               reports: list[dict[str, Any]], read: Callable[[Path], Imported]
               ) -> Iterator[Imported]:
    """What `read` makes of each input, in order, with progress; an input it cannot read is
    an error in `reports` (the others go on)."""
    with reporter:
        for done, path in enumerate(inputs):
            reporter.progress(label, done, len(inputs))
            try:
                found = read(path)
            except SegpackError as exc:
                reports.append({"input": str(path), "error": str(exc)})
                continue
            yield found


def _check_language(language: str | None) -> None:
    if language is None:
        return
    import langcodes

    if not langcodes.tag_is_valid(language):
        raise UsageError(f"--language {language!r} is not a BCP 47 tag such as en, fa or ar")


def attach_audio(found: Imported, audio_file: Path, output: Path) -> None:
    """audio.file relative to the show folder; duration from the audio if the input has none."""
    show_dir = show_dir_for(output / "x.md")
    found.put("audio", "file", Path(os.path.relpath(audio_file, show_dir)).as_posix())
    if "duration" not in found.fields:
        seconds = probe_seconds(audio_file)
        if seconds:
            from segment.timecode import format_duration

            found.set("duration", format_duration(round(seconds, 3)))
            found.notes.append("duration: from the audio file (the input declares none)")
            found.gaps = [g for g in found.gaps if not g.startswith("duration:")]


@import_group.command("feed")
@click.argument("feed", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", "show_dir", type=click.Path(path_type=Path, file_okay=False),
              required=True, help="Show folder to create or update (show.yaml + segments/).")
@click.option("--feed-url", help="The feed's new address (show.yaml feed_url); the old one "
              "is kept as previous_feed_url for the redirect.")
@click.option("--media-base-url", help="Where the built folder will be served "
              "(show.yaml media_base_url).")
@click.option("--owner-email", help="For a podcast:locked feed: the lock owner's email, "
              "saying you are that owner.")
@DRY_RUN
@AS_JSON
@QUIET
@VERBOSE
def feed(feed: Path, show_dir: Path, feed_url: str | None, media_base_url: str | None,
         owner_email: str | None, dry_run: bool, as_json: bool, quiet: bool,
         verbose: bool) -> None:
    """Migrate an existing podcast feed (RSS 2.0 + iTunes + Podcasting 2.0) to a show folder.

    Keeps each item's guid (subscribers see no duplicates), its enclosure as the direct link,
    its show notes as notes and every element segpack does not model as written. Prints per
    channel and per item what was kept, changed and not carried over, and why. Items without
    an enclosure, or repeating an earlier guid, are skipped with a reason.
    """
    from segment.config import load_settings
    from segment.importers.feed import MAX_DURATION, import_feed
    from segment.importers.manifests import plan_show

    for option, value in (("--feed-url", feed_url), ("--media-base-url", media_base_url)):
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise UsageError(f"{option} {value!r} is not an http(s) URL")
    max_duration = load_settings(show_dir).get("max-duration", MAX_DURATION)
    found = import_feed(feed, feed_url=feed_url, owner_email=owner_email,
                        max_duration=max_duration)
    for line in found.skipped:
        warn(f"{feed}: {line}")
    if not found.segments:
        raise SegpackError(f"nothing to import: {found.items} item(s), none with a title and "
                           "an enclosure", feed)
    index = ManifestIndex(show_dir / "segments")
    addresses = {"feed_url": feed_url, "media_base_url": media_base_url}
    reports = [plan_show(show_dir / "show.yaml", found.show, found.gaps, found.notes, index,
                         dry_run=dry_run, options=addresses)]
    reports[0]["migration"] = found.channel.as_dict()
    urls_to_set = reports[0].pop("urls_to_set")
    with Reporter(quiet=quiet or as_json, verbose=verbose) as reporter:
        for done, (item, migration) in enumerate(zip(found.segments, found.migrations,
                                                     strict=True)):
            reporter.progress("planning manifests", done, len(found.segments))
            report = save(item, index, REQUIRED_SKELETON, "feed", dry_run=dry_run)
            report["migration"] = migration.as_dict()
            reports.append(report)
    migration_report(reports, urls_to_set, as_json or quiet)
    finish(index, reports, 0, as_json, dry_run, skipped=found.skipped,
           extra={"urls_to_set": urls_to_set}, quiet=quiet, verbose=verbose)


def migration_report(reports: list[dict[str, Any]], urls_to_set: list[str],
                     as_json: bool) -> None:
    """What was kept, changed and not carried over, per channel and per item (stderr)."""
    from segment.messages import plain

    if as_json:
        return
    for report in reports:
        row = report.get("migration")
        if not row:
            continue
        warn(f"{row['label']}: kept {len(row['kept'])} element(s)"
             + (f", {len(row['verbatim'])} verbatim ({', '.join(sorted(set(row['verbatim'])))})"
                if row["verbatim"] else ""))
        for change in row["changed"]:
            old, new = change["old"], change["new"]
            what = " -> ".join(repr(v) if isinstance(v, str) else plain(v)
                               for v in (old, new) if v is not None)
            warn(f"  changed {change['field']}: {what + ' ' if what else ''}({change['why']})")
        for dropped in row["not_carried_over"]:
            warn(f"  not carried over: {dropped['element']} ({dropped['why']})")
    for url in urls_to_set:
        warn(f"SET BEFORE PUBLISHING: {url} in show.yaml; until then the transcripts, chapters "
             "and media cannot be linked and build refuses (SEG406)")


@import_group.command("audio")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              default=Path("segments"), show_default=True, help="Folder for the manifests.")
@DRY_RUN
@AS_JSON
@QUIET
@VERBOSE
def audio(files: tuple[Path, ...], output: Path, dry_run: bool, as_json: bool, quiet: bool,
          verbose: bool) -> None:
    """Tagged audio files -> manifests: title, transcript (USLT / lyrics), chapters, date."""
    from segment.importers.tags import segment_from_tags

    def read(path: Path) -> Imported:
        problem = file_problem(path, "an audio file", missing="no such audio file")
        if problem is not None:
            raise SegpackError(problem, path)
        tags = dict(read_audio_tags(path))
        tags.setdefault("duration", probe_seconds(path))
        found = segment_from_tags(tags, path)
        attach_audio(found, path, output)
        return found

    index = ManifestIndex(output)
    reports: list[dict[str, Any]] = []
    reporter = Reporter(quiet=quiet or as_json, verbose=verbose)
    for found in each_input(files, "reading audio files", reporter, reports, read):
        reports.append(save(found, index, REQUIRED_SKELETON, "audio tags", dry_run=dry_run))
    finish(index, reports, 0, as_json, dry_run, quiet=quiet, verbose=verbose)


def read_audio_tags(path: Path) -> dict[str, Any]:
    """Tags by segment field name, read through media's one field table."""
    from media.tagging import read_tags_safe

    return read_tags_safe(path)


def probe_seconds(path: Path) -> float | None:
    """The audio's real duration, or None when it cannot be probed (the import still goes on)."""
    from media.probe import probe

    try:
        return float(probe(path, hash=False).duration) or None
    except SegpackError:
        return None


def finish(index: ManifestIndex, reports: list[dict[str, Any]], failed: int, as_json: bool,
           dry_run: bool, skipped: list[str] | None = None,
           extra: dict[str, Any] | None = None, quiet: bool = False,
           verbose: bool = False) -> None:
    """Write everything planned (unless dry), print the report, exit 0 or 1.

    What many inputs lack alike (every page without a publication date) is said once at the
    end with a count, unless `verbose`; `quiet` prints errors only."""
    from segment.report import GROUP_FROM

    shared = Counter(gap for r in reports for gap in set(r.get("gaps", [])))
    common = set() if verbose or quiet else {gap for gap, n in shared.items()
                                             if n >= GROUP_FROM}
    written = [r for r in reports if r.get("manifest") and r.get("input") != "channel"]
    failed = max(failed, sum("error" in r for r in reports))  # refused saves count too
    if not dry_run and written:
        index.flush()
    if as_json:
        print_json({"imported": len(written), "failed": failed, "dry_run": dry_run,
                    "skipped": skipped or [], **(extra or {}), "results": reports})
    for r in reports:
        if "error" in r:
            warn(f"segpack: {r['error']}")
            continue
        if quiet:
            continue
        if not as_json:
            click.echo(f"{r['manifest']}: {r['action']} from {r['input']}")
            if not r["action"].endswith("new"):
                from segment.importers.manifests import Change

                for change in r.get("changes", []):
                    click.echo("  " + Change(**change).line())
                if dry_run:
                    for key in ("body_diff", "body_not_taken"):
                        for line in r.get(key, []):
                            click.echo(f"    {line}")
        for gap in r.get("gaps", []):
            if gap not in common:
                warn(f"  not found: {gap}")
    for gap in sorted(common, key=lambda g: (-shared[g], g)):
        warn(f"not found in {shared[gap]} of {len(reports)} inputs: {gap} (--verbose lists "
             "them by input)")
    raise SystemExit(1 if failed or not written else 0)
