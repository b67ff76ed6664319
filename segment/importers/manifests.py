"""Where an import meets the show folder: new manifests, in-place updates, and the import record.

- A new manifest gets every field found plus empty placeholders, commented "not in page", for
  the fields a person is expected to fill (never an invented value).
- An existing manifest for the same input (same feed guid or source URL, else the same id) is
  updated through `segment.manifest.updated_text` (ruamel round trip: comments, key order and
  quoting kept); its id never changes (the item GUID derives from it).
- **Re-import keeps the producer's edits.** Each import records the values it imported in
  `.segpack-import/records.jsonl` beside the manifests: one line per input, keyed by the feed
  guid or page URL (so renaming a manifest loses nothing), sorted by key (so two branches
  importing different pages add lines git merges on its own), one file (a 1,000-item feed
  writes one record file, not a thousand). On the next import, a field
  changes only where the input changed since that record *and* the manifest still holds the
  imported value; a value the producer edited is kept and reported ("kept your edit; the page
  now says ..."). Without a record (a manifest from before records, or the record deleted) a
  differing value is kept and reported too: nothing the producer wrote is overwritten on a
  guess. The records are meant to be committed with the manifests.

Nothing is written until `ManifestIndex.flush` (temp files, one file-system sync, renames), so
a refused or dry run changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segment.errors import ManifestError, UsageError
from segment.importers.bodymerge import diff as body_diff
from segment.importers.bodymerge import merge as merge_paragraphs
from segment.importers.bodymerge import paragraph_keys
from segment.importers.common import Imported
from segment.manifest import LAYOUT_WIDTH

RECORDS = ".segpack-import"
"""Folder, beside the manifests, holding what each input last imported."""
RECORD_FILE = "records.jsonl"
RESERVED_NAMES = frozenset({"readme"})
"""Manifest names the loaders skip (segments/README.md explains a folder): never an id."""

ORDER = ("id", "title", "itunes_title", "subtitle", "summary", "duration", "language", "audio",
         "source", "image", "published", "authors", "rss_author", "persons", "chapters",
         "transcripts", "transcript_url", "chapters_url", "season", "season_name", "episode",
         "episode_display", "episode_type", "explicit", "block", "keywords", "guid", "license",
         "license_url", "copyright", "soundbites", "locations", "funding", "images", "value",
         "verbatim", "notes")
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
BODY = "(body)"


@dataclass
class Change:
    """What an import did (or, dry, would do) to one field."""

    field: str
    action: str  # "set", "changed", "kept", "removed-from-input"
    old: Any = None
    new: Any = None
    why: str = ""

    def line(self) -> str:
        if self.action == "set":
            return f"{self.field}: {_short(self.new)}"
        if self.action == "changed":
            return f"{self.field}: {_short(self.old)} -> {_short(self.new)} ({self.why})"
        return f"{self.field}: kept {_short(self.old)} ({self.why})"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "action": self.action, "old": self.old, "new": self.new,
                "why": self.why}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def flatten(fields: dict[str, Any]) -> dict[str, Any]:
    """{"audio": {"type": x}} -> {"audio.type": x}: fields compared one by one."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, dict) and key not in ("value",):
            for sub, inner in value.items():
                out[f"{key}.{sub}"] = inner
        else:
            out[key] = value
    return out


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        group, dot, sub = key.partition(".")
        if dot:
            out.setdefault(group, {})[sub] = value
        else:
            out[key] = value
    return out


def body_hash(text: str | None) -> str:
    return hashlib.sha256((text or "").strip().encode("utf-8")).hexdigest()


def input_key(fields: dict[str, Any]) -> str:
    """What identifies the input across imports: the feed guid, the page URL, else the id."""
    if fields.get("guid"):
        return f"guid:{fields['guid']}"
    url = (fields.get("source") or {}).get("url")
    return f"url:{url}" if url else f"id:{fields['id']}"


class ManifestIndex:
    """The manifests in a folder by source URL, guid and id (read once per run), plus this run's
    writes (manifests and import records), made together by `flush`."""

    def __init__(self, folder: Path):
        from segment.manifest import read_manifest
        from segment.userfiles import folder_problem

        problem = folder_problem(folder, "a folder for manifests")
        if problem is not None:  # refused before any input is read
            raise UsageError(f"{folder}: {problem}")
        self.folder = folder
        self.by_key: dict[str, Path] = {}
        self.origin: dict[Path, tuple[Any, Any]] = {}
        self.pending: dict[Path, str] = {}
        self.new_paths: set[Path] = set()
        self.records: dict[str, dict[str, Any]] | None = None
        self.records_changed = False
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
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
        guid, url = fields.get("guid"), (fields.get("source") or {}).get("url")
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
        """`sid`, or `sid-2`, `sid-3`... when another input's manifest already has it (or the
        loaders would skip a manifest of that name, as they skip README.md)."""
        candidate, n = sid, 2
        while (candidate in RESERVED_NAMES or f"id:{candidate}" in self.by_key
               or (self.folder / f"{candidate}.md").exists()):
            candidate, n = f"{sid}-{n}", n + 1
        return candidate

    def _records(self) -> dict[str, dict[str, Any]]:
        """Every input's last import, read once per run (unreadable lines are skipped: an input
        without a record keeps whatever differs, as when none was ever made)."""
        if self.records is None:
            self.records = {}
            try:
                lines = (self.folder / RECORDS / RECORD_FILE).read_text("utf-8").splitlines()
            except OSError:
                lines = []
            for line in lines:
                try:
                    data = json.loads(line)
                except ValueError:
                    continue
                if isinstance(data, dict) and isinstance(data.get("key"), str):
                    self.records[data["key"]] = data
        return self.records

    def record(self, key: str) -> dict[str, Any] | None:
        """What this input imported last time, or None."""
        return self._records().get(key)

    def remember(self, record: dict[str, Any]) -> None:
        """Record this import of one input (written by `flush` with the manifests)."""
        records = self._records()
        if records.get(record["key"]) != record:
            records[record["key"]] = record
            self.records_changed = True

    def flush(self) -> None:
        """Write this run's files: temp files, one sync, renames, one sync of each folder.

        Same guarantee as `atomic_write` (each file is there whole or not at all) at one sync
        per run instead of two per file.
        """
        import tempfile

        from segment.manifest import fsync_dir, sync_file_system

        if self.records_changed and self.records is not None:
            lines = [json.dumps(self.records[k], ensure_ascii=False, sort_keys=True)
                     for k in sorted(self.records)]
            self.pending[self.folder / RECORDS / RECORD_FILE] = "\n".join(lines) + "\n"
            self.records_changed = False
        temps: list[tuple[str, Path]] = []
        try:
            for path, text in self.pending.items():
                path.parent.mkdir(parents=True, exist_ok=True)
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
        for folder in {path.parent for _, path in temps}:
            fsync_dir(folder)
        self.pending.clear()


def save(found: Imported, index: ManifestIndex, skeleton: dict[str, Any], what: str,
         *, dry_run: bool = False) -> dict[str, Any]:
    """Plan one imported segment into `index.pending`: a new manifest, or an update of its
    existing one that keeps the producer's edits. Returns the report for this input."""
    from segment.manifest import read_manifest, updated_text

    existing = index.find(found.fields)
    report: dict[str, Any] = {"input": found.source, "gaps": found.gaps, "notes": found.notes}
    key = input_key(found.fields)
    try:
        if existing is None or existing in index.new_paths:
            if existing is None:
                found.fields["id"] = index.free_id(found.fields["id"])
                path = index.folder / f"{found.fields['id']}.md"
            else:  # the same input twice in one run: the later wins
                path = existing
                found.fields["id"] = path.stem
            index.pending[path] = render_new(found.fields, skeleton, what, found.body)
            index.new_paths.add(path)
            changes = [Change(k, "set", new=v) for k, v in flatten(found.fields).items()]
            report["action"] = "new"
        else:
            path = existing
            raw = read_manifest(path)  # an unreadable manifest is reported, never rewritten
            record = index.record(key)
            updates, body, changes = merge(found, raw.meta.data, raw.body, record, what)
            kept = any(c.field == BODY and c.action == "kept" for c in changes)
            report.update(_body_diffs(path, raw.body, body, found.body if kept else "", what))
            if updates or body is not None:
                index.pending[path] = updated_text(path, _quoted(updates), body,
                                                   placeholder=_placeholder(what))
            report["action"] = "updated" if (updates or body is not None) else "unchanged"
    except ManifestError as exc:
        report.update(error=f"{exc}; left as it is", action="refused")
        return report
    index.remember({"key": key, "manifest": path.name, "body": body_hash(found.body),
                    "paragraphs": paragraph_keys(found.body),
                    "fields": flatten(_plain({k: v for k, v in found.fields.items()
                                              if k != "id"}))})
    index.add(path, found.fields)
    report["manifest"] = str(path)
    report["changes"] = [c.as_dict() for c in changes]
    if dry_run:
        report["action"] = f"would be {report['action']}"
    return report


def merge(found: Imported, mine: dict[str, Any], my_body: str, record: dict[str, Any] | None,
          what: str) -> tuple[dict[str, Any], str | None, list[Change]]:
    """Three-way merge of one input into its manifest: (updates, new body or None, changes).

    base = what the last import wrote (the record), theirs = the input now, mine = the
    manifest now. A field follows the input only where the input changed since the base and
    the manifest still holds the base; a value the producer changed is kept and reported."""
    base = {k: v for k, v in record["fields"].items() if k != "id"} if record else None
    theirs = flatten(_plain({k: v for k, v in found.fields.items() if k != "id"}))
    current = flatten(_plain(mine))
    updates: dict[str, Any] = {}
    changes: list[Change] = []
    for key in sorted(set(theirs) | set(base or {})):
        new, now = theirs.get(key), current.get(key)
        if base is None:
            if new is None or new == now:
                continue
            if now in (None, "", [], {}):
                updates[key] = new
                changes.append(Change(key, "changed", now, new, f"the {what} gives it"))
            else:
                changes.append(Change(key, "kept", now, new, f"differs from the {what}, which "
                                      f"says {_short(new)}; no import record tells whether "
                                      "you edited it"))
            continue
        old = base.get(key)
        if new == old:
            if now != old:
                changes.append(Change(key, "kept", now, new, f"your edit; the {what} has not "
                                      "changed"))
            continue
        if now == new:
            continue
        if now == old or (now is None and old is None):
            if new is None:
                changes.append(Change(key, "kept", now, None, "this import does not give it"))
            else:
                updates[key] = new
                changes.append(Change(key, "changed", now, new, f"the {what} changed"))
        else:
            changes.append(Change(key, "kept", now, new, f"your edit; the {what} now says "
                                  f"{_short(new)}"))
    body = _merge_body(found.body, my_body, record, what, changes)
    return unflatten(updates), body, changes


def _merge_body(theirs: str, mine: str, record: dict[str, Any] | None, what: str,
                changes: list[Change]) -> str | None:
    if not theirs.strip() or theirs.strip() == mine.strip():
        return None
    if record is not None and body_hash(theirs) == record.get("body"):
        if body_hash(mine) != record.get("body"):
            changes.append(Change(BODY, "kept", "(your text)", None,
                                  f"your edit; the {what}'s text has not changed"))
        return None
    if (record is not None and body_hash(mine) == record.get("body")) or not mine.strip():
        changes.append(Change(BODY, "changed", f"{len(mine.split())} words",
                              f"{len(theirs.split())} words", f"the {what}'s text changed"))
        return theirs
    base = record.get("paragraphs") if record is not None else None
    if isinstance(base, list):
        merged = merge_paragraphs(base, mine, theirs)
        if merged.conflicts:
            changes.append(Change(BODY, "kept", "(your text)", None,
                                  f"your edit of {merged.conflicts} passage(s) the {what} "
                                  "changed too: yours kept"))
        if merged.taken:
            changes.append(Change(BODY, "changed", f"{len(mine.split())} words",
                                  f"{len(merged.text.split())} words",
                                  f"the {what} changed {merged.taken} passage(s) you had not "
                                  "edited; your edits elsewhere kept"))
        return merged.text if merged.text.strip() != mine.strip() else None
    why = ("your edit; the {what}'s text changed too" if record is not None else
           "differs from the {what}'s text; no import record tells whether you edited it")
    changes.append(Change(BODY, "kept", f"{len(mine.split())} words",
                          f"{len(theirs.split())} words", why.format(what=what)))
    return None


def _body_diffs(path: Path, mine: str, body: str | None, theirs: str,
                what: str) -> dict[str, list[str]]:
    """The body's diff as written (`body_diff`: the manifest now -> after this import) and,
    when the input's text was kept out where you edited it (`theirs`, else ""), what it would
    have changed on top (`body_not_taken`): what `--dry-run` prints and `--json` returns."""
    out: dict[str, list[str]] = {}
    after = mine if body is None else body
    if body is not None and body.strip() != mine.strip():
        out["body_diff"] = body_diff(mine, body, f"{path.name} (now)",
                                     f"{path.name} (after import)")
    if theirs.strip() and paragraph_keys(theirs) != paragraph_keys(after):
        out["body_not_taken"] = body_diff(after, theirs, f"{path.name} (after import)",
                                          f"the {what}'s text (not taken)")
    return out


def _plain(data: Any) -> Any:
    """YAML values as plain JSON-able data (ruamel/PyYAML types, dates as strings)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, (bool, int, float)) or data is None:
        return data
    return str(data)


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
        if isinstance(shape, tuple) or (isinstance(fields.get(key), dict) and key != "value"):
            have = dict(fields.get(key) or {})
            inner = {sub: have.get(sub) for sub in (*(shape or ()), *have)}
            meta[key] = inner
        else:
            value = fields.get(key)
            meta[key] = _Quoted(value) if key in QUOTED and isinstance(value, str) else value
    return meta


def render_new(fields: dict[str, Any], skeleton: dict[str, Any], what: str, body: str) -> str:
    """A new manifest's text: PyYAML's C emitter (40x ruamel's speed) in the layout of
    `segment.manifest.round_trip_yaml`, which writes every later update (lists under their key
    unindented, nothing folded, `null` written out, duration and date in double quotes), so
    an update changes only the lines of the fields it changes. Placeholders get a
    "# not in <input>" comment, which an update that fills them removes."""
    import yaml

    text = yaml.dump(_new_meta(fields, skeleton), Dumper=_layout_dumper(), sort_keys=False,
                     allow_unicode=True, width=LAYOUT_WIDTH, default_flow_style=False)
    lines = [line + f"  {_placeholder(what)}" if line.endswith(": null") else line
             for line in text.splitlines()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body.strip() + "\n"


def _placeholder(what: str) -> str:
    return f"# not in {what}"


class _Quoted(str):
    """A value written in double quotes ("3:41" stays a string for every YAML reader)."""


@functools.lru_cache(maxsize=1)
def _layout_dumper() -> Any:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    dumper: Any = type("LayoutDumper", (base,), {})
    dumper.add_representer(_Quoted, lambda rep, value: rep.represent_scalar(
        "tag:yaml.org,2002:str", str(value), style='"'))
    return dumper


def plan_show(path: Path, show: dict[str, Any], gaps: list[str], notes: list[str],
              index: ManifestIndex, *, dry_run: bool = False,
              options: dict[str, str | None] | None = None) -> dict[str, Any]:
    """show.yaml from a feed's channel: new, or merged into an existing one with the same
    three-way rule as manifests (the record is `.segpack-import/show.json` beside it).

    `options` are what the command line sets (the new feed_url and media_base_url): set when
    given, whatever show.yaml said, and left as show.yaml has them when not; they are not the
    feed's, so the record does not hold them. The report's `urls_to_set` lists the addresses
    show.yaml still lacks after this import."""
    from ruamel.yaml.comments import CommentedMap

    from segment.manifest import merge_into, read_text, read_yaml_file, round_trip_yaml

    record_path = path.parent / RECORDS / "show.json"
    changes: list[Change] = []
    given = {k: v for k, v in (options or {}).items() if v is not None}
    if path.exists():
        mine = read_yaml_file(path).data  # a broken show.yaml: ManifestError with its line
        text = read_text(path, what="show.yaml")
        yaml = round_trip_yaml(text)
        doc = yaml.load(text) or CommentedMap()
        if not isinstance(doc, dict):
            raise ManifestError("show.yaml is not a mapping; fix it before importing", path)
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        found = Imported(fields={"id": "show", **show})
        updates, _, changes = merge(found, mine, "", record, "feed")
        for key, value in given.items():
            if mine.get(key) != value:
                updates[key] = value
                changes.append(Change(key, "changed", mine.get(key), value,
                                      f"--{key.replace('_', '-')} gives it"))
        merge_into(doc, updates, _placeholder("feed"))
        action = "updated" if updates else "unchanged"
    else:
        yaml = round_trip_yaml()
        doc = CommentedMap()
        for key in ("title", "description", "language"):
            if key not in show:
                doc[key] = None
                doc.yaml_add_eol_comment(_placeholder("feed")[2:], key)
        merge_into(doc, {**show, **given})
        changes = [Change(k, "set", new=v) for k, v in flatten(_plain({**show, **given})).items()]
        action = "new"
    stream = io.StringIO()
    yaml.dump(doc, stream)
    index.pending[path] = stream.getvalue()
    index.pending[record_path] = json.dumps(
        {"key": "show", "fields": flatten(_plain(show))}, ensure_ascii=False, sort_keys=True,
        indent=1) + "\n"
    urls_to_set = []
    if not doc.get("feed_url"):
        urls_to_set.append("feed_url (the new feed's address; --feed-url)")
        if not doc.get("media_base_url"):
            urls_to_set.append("media_base_url (where the built folder is served; "
                               "--media-base-url), or feed_url, whose folder is used")
    return {"input": "channel", "manifest": str(path),
            "action": f"would be {action}" if dry_run else action, "gaps": gaps,
            "notes": notes, "changes": [c.as_dict() for c in changes],
            "urls_to_set": urls_to_set}
