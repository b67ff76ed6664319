"""`segpack import article|feed|audio`: what a newsroom already has -> manifests to review.

The importers (`segment.importers`) only parse; this module meets their results with the show
folder on disk:

- a new manifest gets every field found plus empty placeholders, commented "not in page", for
  the fields a person is expected to fill (never an invented value);
- an existing manifest for the same input (same source URL or feed guid, else the same id) is
  updated in place through `write_manifest` (ruamel round trip: comments and key order kept):
  only fields the input supplies are written, so a person's edits to everything else survive,
  the id never changes (the item GUID derives from it), and nothing is replaced by nothing.

Each command prints, per input, the manifest written and what could not be found.
Exit status: 0 when something useful was imported from every input, 1 otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from segment.clikit import print_json, warn
from segment.errors import ManifestError, SegpackError, UsageError
from segment.importers.common import Imported
from segment.loading import show_dir_for

ORDER = ("id", "title", "summary", "duration", "language", "audio", "source", "image",
         "published", "authors", "persons", "chapters", "transcript_url", "chapters_url",
         "season", "episode", "episode_type", "explicit", "keywords", "guid", "license",
         "copyright")
"""Key order of a new manifest (the example manifest's order, then the rarer fields)."""

ARTICLE_SKELETON: dict[str, Any] = {
    "summary": None, "duration": None, "language": None,
    "audio": ("file", "direct_link"), "source": ("url", "publisher"), "image": ("caption",),
    "published": None,
}
"""Placeholders a new manifest from a page always shows, so a person sees what to fill."""
REQUIRED_SKELETON: dict[str, Any] = {"duration": None, "language": None}
QUOTED = ("duration", "published")
"""Values written in double quotes: "3:41" must stay a string for every YAML reader."""


@click.group("import")
def import_group() -> None:
    """Turn article pages, podcast feeds or tagged audio into manifests to review."""


# --- article ------------------------------------------------------------------------------------

@import_group.command("article")
@click.argument("pages", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              default=Path("segments"), show_default=True,
              help="Folder for the manifests (a show's segments/ folder).")
@click.option("--audio", "audio_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The segment's audio file (one page only); recorded as audio.file.")
@click.option("--publisher", help="Publisher when the page does not say (e.g. VOA).")
@click.option("--language", help="BCP 47 language when the page does not say (e.g. en).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def article(pages: tuple[Path, ...], output: Path, audio_file: Path | None,
            publisher: str | None, language: str | None, as_json: bool) -> None:
    """Saved article pages (HTML) or scraped page text -> segments/<id>.md.

    Re-importing a page updates its manifest in place, keeping your edits to every field the
    page does not supply. Lists what the page lacks ("publication date: not in page").
    """
    from segment.importers.article import import_article

    if audio_file is not None:
        if len(pages) != 1:
            raise UsageError("--audio names the audio of one page; import pages one at a time")
        if not audio_file.is_file():
            raise UsageError(f"{audio_file}: no such audio file")
    _check_language(language)
    output.mkdir(parents=True, exist_ok=True)
    index = ManifestIndex(output)
    reports, failed = [], 0
    for page in pages:
        try:
            found = import_article(page, publisher=publisher, language=language)
        except SegpackError as exc:
            failed += 1
            reports.append({"input": str(page), "error": str(exc)})
            continue
        if audio_file is not None:
            _attach_audio(found, audio_file, output)
        reports.append(save(found, index, ARTICLE_SKELETON, "page"))
    index.flush()
    _finish(reports, failed, as_json)


def _check_language(language: str | None) -> None:
    if language is None:
        return
    import langcodes

    if not langcodes.tag_is_valid(language):
        raise UsageError(f"--language {language!r} is not a BCP 47 tag such as en, fa or ar")


def _attach_audio(found: Imported, audio_file: Path, output: Path) -> None:
    """audio.file relative to the show folder; duration from the audio if the page has none."""
    show_dir = show_dir_for(output / "x.md")
    found.put("audio", "file", Path(os.path.relpath(audio_file, show_dir)).as_posix())
    if "duration" not in found.fields:
        seconds = _probe_seconds(audio_file)
        if seconds:
            from segment.timecode import format_duration

            found.set("duration", format_duration(round(seconds, 3)))
            found.notes.append("duration: from the audio file (the page declares none)")
            found.gaps = [g for g in found.gaps if not g.startswith("duration:")]


# --- feed ---------------------------------------------------------------------------------------

@import_group.command("feed")
@click.argument("feed", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", "show_dir", type=click.Path(path_type=Path, file_okay=False),
              required=True, help="Show folder to create or update (show.yaml + segments/).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def feed(feed: Path, show_dir: Path, as_json: bool) -> None:
    """An existing podcast feed (RSS 2.0 + iTunes + Podcasting 2.0) -> a show folder.

    Keeps each item's guid (subscribers see no duplicates) and its enclosure as the direct
    link. Items without an enclosure, or repeating an earlier guid, are skipped with a reason.
    """
    from segment.importers.feed import import_feed

    found = import_feed(feed)
    for line in found.skipped:
        warn(f"{feed}: {line}")
    if not found.segments:
        raise SegpackError(f"nothing to import: {found.items} item(s), none with a title and "
                           "an enclosure", feed)
    segments = show_dir / "segments"
    segments.mkdir(parents=True, exist_ok=True)
    show_report = save_show(show_dir / "show.yaml", found.show, found.gaps)
    index = ManifestIndex(segments)
    reports = [show_report] + [save(item, index, REQUIRED_SKELETON, "feed")
                               for item in found.segments]
    index.flush()
    _finish(reports, 0, as_json, skipped=found.skipped)


def save_show(path: Path, show: dict[str, Any], gaps: list[str]) -> dict[str, Any]:
    """Create show.yaml, or merge the feed's channel data into an existing one (comments kept)."""
    from ruamel.yaml.comments import CommentedMap

    from segment.manifest import atomic_write, merge_into, read_text, read_yaml_file

    yaml = _yaml()
    if path.exists():
        read_yaml_file(path)  # a broken show.yaml: ManifestError with its line, not a traceback
        doc = yaml.load(read_text(path, what="show.yaml")) or CommentedMap()
        if not isinstance(doc, dict):
            raise ManifestError("show.yaml is not a mapping; fix it before importing", path)
        action = "updated"
    else:
        doc = CommentedMap()
        for key in ("title", "description", "language"):
            if key not in show:
                doc[key] = None
                doc.yaml_add_eol_comment("not in feed", key)
        action = "new"
    merge_into(doc, show)
    import io

    stream = io.StringIO()
    yaml.dump(doc, stream)
    atomic_write(path, stream.getvalue())
    return {"input": "channel", "manifest": str(path), "action": action, "gaps": gaps,
            "notes": []}


# --- audio --------------------------------------------------------------------------------------

@import_group.command("audio")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              default=Path("segments"), show_default=True, help="Folder for the manifests.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def audio(files: tuple[Path, ...], output: Path, as_json: bool) -> None:
    """Tagged audio files -> manifests: title, transcript (USLT / lyrics), chapters, date."""
    from segment.importers.tags import segment_from_tags

    output.mkdir(parents=True, exist_ok=True)
    index = ManifestIndex(output)
    reports, failed = [], 0
    for path in files:
        try:
            if not path.is_file():
                raise SegpackError("no such audio file", path)
            tags = dict(read_audio_tags(path))
            tags.setdefault("duration", _probe_seconds(path))
            found = segment_from_tags(tags, path)
        except SegpackError as exc:
            failed += 1
            reports.append({"input": str(path), "error": str(exc)})
            continue
        _attach_audio(found, path, output)
        reports.append(save(found, index, REQUIRED_SKELETON, "audio tags"))
    index.flush()
    _finish(reports, failed, as_json)


def read_audio_tags(path: Path) -> dict[str, Any]:
    """Tags by segment field name, read through media's one field table."""
    from media.tagging import read_tags_safe

    return read_tags_safe(path)


def _probe_seconds(path: Path) -> float | None:
    """The audio's real duration, or None when it cannot be probed (the import still goes on)."""
    from media.probe import probe

    try:
        return float(probe(path, hash=False).duration) or None
    except SegpackError:
        return None


# --- writing manifests --------------------------------------------------------------------------

class ManifestIndex:
    """The manifests in a folder by source URL, guid and id (read once per run), plus the new
    manifests of this run, which are written together at the end (`flush`)."""

    def __init__(self, folder: Path):
        from segment.manifest import read_manifest

        self.folder = folder
        self.by_key: dict[str, Path] = {}
        self.origin: dict[Path, tuple[Any, Any]] = {}
        self.pending: dict[Path, str] = {}
        for path in sorted(folder.glob("*.md")):
            try:
                data = read_manifest(path).meta.data
            except ManifestError:
                continue
            self.add(path, data)

    def add(self, path: Path, data: dict[str, Any]) -> None:
        source = data.get("source")
        url = source.get("url") if isinstance(source, dict) else None
        self.origin[path] = (url, data.get("guid"))
        if url:
            self.by_key.setdefault(f"url:{url}", path)
        if data.get("guid"):
            self.by_key.setdefault(f"guid:{data['guid']}", path)
        if data.get("id"):
            self.by_key.setdefault(f"id:{data['id']}", path)

    def find(self, fields: dict[str, Any]) -> Path | None:
        """The manifest of the same input: same guid (feeds) or source URL (pages), else the
        same id unless that manifest says it comes from a different page or item."""
        guid, url = fields.get("guid"), fields.get("source", {}).get("url")
        if guid and f"guid:{guid}" in self.by_key:
            return self.by_key[f"guid:{guid}"]
        if url and not guid and f"url:{url}" in self.by_key:
            return self.by_key[f"url:{url}"]
        path = self.by_key.get(f"id:{fields['id']}")
        if path is None:
            path = self.folder / f"{fields['id']}.md"
            if not path.exists():
                return None
        if self._other_origin(path, url, guid):
            return None
        return path

    def _other_origin(self, path: Path, url: Any, guid: Any) -> bool:
        old_url, old_guid = self.origin.get(path, (None, None))
        return bool((guid and old_guid and guid != old_guid)
                    or (url and old_url and url != old_url))

    def free_id(self, sid: str) -> str:
        """`sid`, or `sid-2`, `sid-3`... when another input's manifest already has it."""
        candidate, n = sid, 2
        while f"id:{candidate}" in self.by_key or (self.folder / f"{candidate}.md").exists():
            candidate, n = f"{sid}-{n}", n + 1
        return candidate

    def flush(self) -> None:
        """Write this run's new manifests: temp files, one sync, renames, one folder fsync.

        Same guarantee as `atomic_write` (a manifest is there whole or not at all) at one
        sync per run instead of two per file.
        """
        import tempfile

        from feeds.output import sync_file_system
        from segment.manifest import fsync_dir

        temps = []
        try:
            for path, text in self.pending.items():
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                           dir=path.parent)
                temps.append((tmp, path))
                with os.fdopen(fd, "wb") as handle:
                    handle.write(text.encode("utf-8"))
                os.chmod(tmp, 0o644)
            if temps:
                sync_file_system(self.folder)
            for tmp, path in temps:
                os.replace(tmp, path)
        finally:
            for tmp, _ in temps:
                Path(tmp).unlink(missing_ok=True)
        if temps:
            fsync_dir(self.folder)
        self.pending.clear()


def save(found: Imported, index: ManifestIndex, skeleton: dict[str, Any],
         what: str) -> dict[str, Any]:
    """Write one imported segment: a new manifest, or an in-place update of its existing one."""
    from segment.manifest import read_manifest, write_manifest

    existing = index.find(found.fields)
    report: dict[str, Any] = {"input": found.source, "gaps": found.gaps, "notes": found.notes}
    try:
        if existing is None:
            found.fields["id"] = index.free_id(found.fields["id"])
            path = index.folder / f"{found.fields['id']}.md"
            index.pending[path] = render_new(found.fields, skeleton, what, found.body)
            report["action"] = "new"
        elif existing in index.pending:  # the same input twice in one run: the later wins
            path = existing
            fields = {**found.fields, "id": path.stem}
            index.pending[path] = render_new(fields, skeleton, what, found.body)
            report["action"] = "new"
        else:
            path = existing
            read_manifest(path)  # a manifest that is not readable is reported, never rewritten
            updates = _quoted({k: v for k, v in found.fields.items() if k != "id"})
            write_manifest(path, updates, found.body or None)
            report["action"] = "updated"
    except ManifestError as exc:
        report.update(error=f"{exc}; left as it is", action="refused")
        return report
    index.add(path, found.fields)
    report["manifest"] = str(path)
    return report


def _quoted(fields: dict[str, Any]) -> dict[str, Any]:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return {k: DoubleQuotedScalarString(v) if k in QUOTED and isinstance(v, str) else v
            for k, v in fields.items()}


def _new_meta(fields: dict[str, Any], skeleton: dict[str, Any]) -> dict[str, Any]:
    """Ordered front matter with None placeholders for what the input lacks."""
    meta: dict[str, Any] = {}
    keys = [k for k in ORDER if k in fields or k in skeleton]
    keys += [k for k in fields if k not in ORDER]
    for key in keys:
        shape = skeleton.get(key)
        if isinstance(shape, tuple) or isinstance(fields.get(key), dict):
            have = dict(fields.get(key) or {})
            inner = {sub: have.get(sub) for sub in (*(shape or ()), *have)}
            meta[key] = inner
        else:
            meta[key] = fields.get(key)
    return meta


def render_new(fields: dict[str, Any], skeleton: dict[str, Any], what: str, body: str) -> str:
    """A new manifest's text. PyYAML's C emitter (40x ruamel's speed); placeholders get a
    "# not in <input>" comment; later rewrites go through ruamel and keep those comments."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(_new_meta(fields, skeleton), Dumper=dumper, sort_keys=False,
                     allow_unicode=True, width=1_000_000, default_flow_style=False)
    lines = [line + f"  # not in {what}" if line.endswith(": null") else line
             for line in text.splitlines()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body.strip() + "\n"


def _yaml():
    """Round-trip YAML that writes `null` (not an empty value) and keeps long text on one line."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _finish(reports: list[dict[str, Any]], failed: int, as_json: bool,
            skipped: list[str] | None = None) -> None:
    written = [r for r in reports if r.get("manifest") and r.get("input") != "channel"]
    failed = max(failed, sum("error" in r for r in reports))  # refused saves count too
    if as_json:
        print_json({"imported": len(written), "failed": failed, "skipped": skipped or [],
                    "results": reports})
    for r in reports:
        if "error" in r:
            warn(f"segpack: {r['error']}")
            continue
        if not as_json:
            click.echo(f"{r['manifest']}: {r['action']} from {r['input']}")
        for gap in r.get("gaps", []):
            warn(f"  not found: {gap}")
    raise SystemExit(1 if failed or not written else 0)
