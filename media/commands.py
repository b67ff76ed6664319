"""The `segpack tag`, `segpack tags` and `segpack fields` commands (loaded lazily by the CLI)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from segment.clikit import Reporter, print_json, warn
from segment.errors import ManifestError, SegpackError, UsageError
from segment.models import Segment, Show
from segment.rules import Severity


def load_inputs(manifest: Path, show_file: Path | None) -> tuple[Segment, Show | None, Path]:
    """The segment (must be valid), its show (explicit, else show.yaml of its show folder)."""
    from segment.loading import SHOW_FILE, load_segment, load_show_file, show_dir_for
    from segment.userfiles import file_problem

    show_dir = show_file.parent if show_file else show_dir_for(manifest)
    show = None
    path = show_file or show_dir / SHOW_FILE
    if show_file is not None and file_problem(show_file) == "not found":
        raise UsageError(f"{show_file}: no such show file")
    if os.path.lexists(path):  # a FIFO or a symlink loop is reported by load_show_file
        show, found = load_show_file(path)
        if show is None:
            first = found[0]
            raise ManifestError(f"{first.message} ({first.code}); fix show.yaml first",
                                first.path, first.line, first.field)
    if file_problem(manifest) == "not found":
        raise UsageError(f"{manifest}: no such manifest")
    from segment.config import load_settings

    item = load_segment(manifest, show, show_dir, load_settings(show_dir))
    # an invalid manifest, or a valid one breaking a rule about what is written (SEG501 empty
    # title, SEG505 chapters out of order or past the end) is refused before any file changes
    blocking = item.findings if not isinstance(item.segment, Segment) else [
        f for f in item.findings if f.severity == Severity.ERROR and f.code not in MEDIA_PATHS]
    if blocking:
        first = blocking[0]
        more = len(blocking) - 1
        raise ManifestError(f"{first.message} ({first.code})" + (f"; and {more} more: run "
                            "segpack validate" if more else ""), first.path, first.line,
                            first.field)
    assert isinstance(item.segment, Segment)
    return item.segment, show, show_dir


PROGRESS_FROM = 50
"""Files from which a terminal gets a bar and a count instead of a line per file."""

MEDIA_PATHS = frozenset(("SEG301", "SEG302"))
"""Rules about the manifest's own media paths, which `tag` does not use: it writes the files it
is given, and checks the artwork path itself (`artwork_for`)."""


def artwork_for(segment: Segment, show: Show | None, show_dir: Path) -> bytes | None:
    """The segment's image file, else the show's, checked and read (None when neither has one)."""
    from media.artwork import load_artwork
    from segment.errors import MediaError
    from segment.rules import inside

    rel = segment.image.file or (show.image.file if show else None)
    if rel and not inside(show_dir / rel, show_dir):
        raise MediaError(f"image.file: {rel!r} leaves the show folder; keep artwork inside it "
                         "(SEG302)", show_dir / rel)
    return load_artwork(show_dir / rel) if rel else None


def content_note(path: Path, container: str) -> str | None:
    """A warning when the name says one format and the bytes another (we go by the bytes)."""
    from media import containers

    row = containers.BY_NAME[container]
    if path.suffix.lower() in row.suffixes:
        return None
    return (f"{path}: the content is {row.label} whatever the name says; tagged as "
            f"{row.label} (rename it to *{row.suffixes[0]})")


@dataclass(frozen=True)
class TagWork:
    """Files to tag with one segment's metadata: a job for `tag_files`, wherever it runs."""

    paths: tuple[str, ...]
    segment: Segment
    show: Show | None
    artwork: bytes | None
    clean: bool
    dry_run: bool
    on_done: Any = field(default=None, compare=False)
    """Called with each file as it is done, where the job runs in this process (a bar)."""

    def key(self) -> str:
        """Content hash: the metadata, the options, and each file as it is now."""
        import json

        digest = hashlib.sha256(json.dumps([
            self.segment.model_dump(mode="json"),
            self.show.model_dump(mode="json") if self.show else None,
            hashlib.sha256(self.artwork).hexdigest() if self.artwork else None,
            self.clean, self.dry_run], sort_keys=True).encode())
        for path in self.paths:
            try:
                st = os.stat(path)
                digest.update(f"{path}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
            except OSError:
                digest.update(f"{path}\0-\0".encode())
        return digest.hexdigest()[:32]


def tag_files(work: TagWork) -> list[tuple[Any, str | None]]:
    """`write_many` over `work.paths`: per file, its changes (or its error) and its container.
    Runs where the executor puts it: the files are tagged in place where they are, under the
    same rollback journal and lock as always, so a killed worker leaves each old or new."""
    from media.tagging import write_many

    paths = [Path(p) for p in work.paths]
    containers: dict[Path, str] = {}
    results = write_many(paths, work.segment, work.show, clean=work.clean,
                         dry_run=work.dry_run, artwork=work.artwork, containers=containers,
                         on_done=work.on_done)
    return [(result, containers.get(path)) for path, result in zip(paths, results, strict=True)]


TAG_CHUNK = 64
"""Files per job on a cluster: each job is one `write_many` (one group commit)."""


def tag_chunks(paths: list[Path]) -> list[list[int]]:
    """Positions of `paths` in jobs of about `TAG_CHUNK` files, a file named twice (or through
    a symlink or a hard link) always in the same job, where `write_many` tags it once."""
    from media.tagging import same_file_keys

    groups: dict[str, list[int]] = {}
    for index, key in enumerate(same_file_keys(paths)):
        groups.setdefault(key, []).append(index)
    chunks: list[list[int]] = [[]]
    for real in sorted(groups):
        if len(chunks[-1]) >= TAG_CHUNK:
            chunks.append([])
        chunks[-1].extend(groups[real])
    return [chunk for chunk in chunks if chunk]


@click.command()
@click.argument("audio", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--from", "manifest", required=True, metavar="SEGMENT.md",
              type=click.Path(path_type=Path, dir_okay=False), help="The segment manifest.")
@click.option("--show", "show_file", metavar="show.yaml", type=click.Path(path_type=Path),
              help="Show file (default: show.yaml of the manifest's show folder, if any).")
@click.option("--dry-run", is_flag=True, help="Print old -> new per field; write nothing.")
@click.option("--clean", is_flag=True, help="Drop every other tag in the file too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--quiet", "-q", is_flag=True, help="Errors only: no line per file, no progress.")
@click.option("--verbose", "-v", is_flag=True,
              help="A line per file even when a progress bar is drawn.")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Tag on this Dask cluster, 64 files a job (default: SEGPACK_SCHEDULER; "
                   "`local`: here). The files must be at the same path on its workers.")
def tag(audio: tuple[Path, ...], manifest: Path, show_file: Path | None, dry_run: bool,
        clean: bool, as_json: bool, quiet: bool, verbose: bool, scheduler: str | None) -> None:
    """Write a segment's metadata into AUDIO files (MP3, M4A, Ogg, Opus, FLAC, WAV).

    Unrelated tags already in the files are kept unless --clean. Writes are crash-safe: the
    file is patched in place under a rollback journal when the tags fit, else rewritten via a
    copy renamed over it. The audio itself is never changed.
    """
    from media.probe import sniff
    from segment.executor import executor_for

    executor = executor_for(1, scheduler)
    segment, show, show_dir = load_inputs(manifest, show_file)
    artwork = artwork_for(segment, show, show_dir)
    paths = list(audio)
    containers: dict[Path, str] = {}
    reporter = Reporter(quiet=quiet or as_json or dry_run, verbose=verbose,
                        bar_from=PROGRESS_FROM)
    progress = reporter.steps.mode == "bar" and len(paths) >= PROGRESS_FROM
    with reporter, executor:
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            reporter.progress("tagging", done, len(paths))

        def on_done(_: object) -> None:  # file by file, when tagged here
            advance(1)

        if executor.remote:
            chunks = tag_chunks(paths)
            works = [TagWork(tuple(os.path.abspath(paths[i]) for i in chunk), segment, show,
                             artwork, clean, dry_run) for chunk in chunks]
        else:
            chunks = [list(range(len(paths)))]
            works = [TagWork(tuple(map(str, paths)), segment, show, artwork, clean, dry_run,
                             on_done)]
        results: list[Any] = [None] * len(paths)
        reporter.progress("tagging", 0, len(paths))
        keys = [w.key() for w in works] if executor.remote else None
        for position, outcome in executor.as_completed(tag_files, works, keys, label="tag"):
            for index, (result, container) in zip(chunks[position], outcome, strict=True):
                results[index] = result
                if container is not None:
                    containers[paths[index]] = container
            if executor.remote:
                advance(len(outcome))
    report: list[dict[str, Any]] = []
    failed = written = 0
    lines: list[str] = []  # printed at once: a thousand files, one write
    for path, result in zip(paths, results, strict=True):
        if isinstance(result, SegpackError):
            failed += 1
            warn(f"segpack: {result}")
            report.append({"path": str(path), "error": str(result)})
            continue
        container = containers.get(path) or sniff(path)
        note = content_note(path, container)
        if note:
            warn(f"segpack: warning: {note}")
        if as_json:
            report.append({"path": str(path), "container": container,
                           "written": bool(result) and not dry_run,
                           "changes": [c.as_dict() for c in result]})
            continue
        if result and not dry_run:
            written += 1
        if (progress and not verbose) or quiet:
            continue
        count = len(result)
        if dry_run:
            lines.append(f"{path}: {count} field{'s' * (count != 1)} would change")
            for change in result:
                c = change.as_dict()
                lines.append(f"  {c['field']}: {_short(c['old'])} -> {_short(c['new'])}")
        else:
            lines.append(f"{path}: " + (f"{count} field{'s' * (count != 1)} written" if result
                                        else "up to date"))
    if lines:
        click.echo("\n".join(lines))
    if progress:
        warn(f"{len(paths)} files: {written} written, {failed} failed")
    if as_json:
        print_json(report)
    if failed:
        raise SystemExit(1)


def _short(value: Any, limit: int = 70) -> str:
    """A value as a producer reads it (lists joined, true/false; no Python reprs), cut to
    `limit` characters with the full length said."""
    from segment.messages import plain

    if value is None:
        return "(none)"
    if isinstance(value, dict) and {"mime", "bytes"} <= set(value):  # artwork, described
        return f"{value['mime']}, {value['bytes']:,} bytes, sha256 {value['sha256'][:12]}..."
    text = plain(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 3] + f"... ({len(text)} chars)"


def _technical(key: str, value: Any) -> str:
    """A technical fact with its unit."""
    from segment.timecode import format_duration

    if value is None:
        return "-"
    if key == "duration":
        return f"{value:.3f} s ({format_duration(round(value))})"
    if key == "bitrate":
        return f"{value / 1000:g} kb/s"
    if key == "sample_rate":
        return f"{value} Hz"
    if key == "size":
        return f"{value:,} bytes"
    return str(value)


def tags_json(tags: dict[str, Any]) -> dict[str, Any]:
    """Tags as JSON: artwork described (MIME, size, SHA-256) rather than dumped."""
    out = dict(tags)
    art = out.get("artwork")
    if isinstance(art, (bytes, bytearray)):
        from media.artwork import image_mime

        out["artwork"] = {"mime": image_mime(bytes(art)), "bytes": len(art),
                          "sha256": hashlib.sha256(art).hexdigest()}
    return out


@click.command()
@click.argument("audio", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--accurate", is_flag=True, help="Decode with ffmpeg when the duration is an "
              "estimate (slower).")
def tags(audio: Path, as_json: bool, accurate: bool) -> None:
    """Read back every field of the table and the technical facts of AUDIO."""
    from media.probe import probe
    from media.tagging import read_tags_safe

    found = tags_json(read_tags_safe(audio))
    info = probe(audio, accurate=accurate).as_dict()
    if as_json:
        print_json({"path": str(audio), "tags": found, "technical": info})
        return
    note = content_note(audio, info["container"])
    if note:
        warn(f"segpack: warning: {note.replace('tagged as', 'read as')}")
    width = max(len(k) for k in [*found, *info])
    for key, value in found.items():
        if key == "chapters":
            continue
        click.echo(f"{key:<{width}}  {_short(value, 100) if value is not None else '-'}")
    for chapter in found["chapters"]:
        click.echo(f"{'chapter':<{width}}  {chapter['start']:.3f}-"
                   f"{'' if chapter['end'] is None else format(chapter['end'], '.3f')}  "
                   f"{chapter['title'] or ''}" + (f"  <{chapter['url']}>" if chapter['url']
                                                  else ""))
    click.echo("")
    for key, value in info.items():
        if key != "path":
            click.echo(f"{key:<{width}}  {_technical(key, value)}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable table.")
def fields(as_json: bool) -> None:
    """List the field table: segment field -> ID3v2.4 / MP4 / Vorbis / RSS."""
    from media.fieldtable import FIELDS

    if as_json:
        print_json([f.as_dict() for f in FIELDS])
        return
    rows = [("field", "ID3v2.4", "MP4", "Vorbis", "RSS", "from")]
    for f in FIELDS:
        rows.append((f.name, ", ".join(f.id3), ", ".join(k.replace("----:com.apple.iTunes:",
                                                                    "----:") for k in f.mp4),
                     ", ".join(f.vorbis) or "—",
                     ", ".join(f.rss) or "—", f.source))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) +
                   "  " + row[-1])
    click.echo("\nRSS: XPath in feed.xml (item/ in each item).")
    for f in FIELDS:
        if f.rss_note:
            click.echo(f"  {f.name}: {f.rss_note}")
    click.echo("----: is a freeform atom ----:com.apple.iTunes:NAME. "
               "See media/fieldtable.py for notes.")
