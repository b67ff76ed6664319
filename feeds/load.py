"""Load a show folder for a build, re-parsing only the manifests that changed.

Same rules as `segment.loading.load_show_folder` (it is built from the same pieces:
`load_show_file`, `load_segment`, `duplicate_findings`), plus a cache of parsed segments keyed
by path + mtime + size. The cache is dropped whole when show.yaml or the settings change, since
checks may depend on them; segments whose findings depend on other files (SEG301/SEG302:
media present and inside the folder) are never cached.

A cached segment is stored as the front matter and transcript it was validated from (plain
data) and its findings as plain tuples (marshal: 5x
cheaper to write and 2x to read than pickling 10,000 pydantic models), one marshalled entry per
manifest, and re-validated by the model on load (no YAML parse, no checks), so a stale cache can
never yield an invalid segment. Entries are made, written (one shard per chunk of manifests, see
`STORE`) and read back in the worker processes of `feeds.prepare`: the build process only reads
the shards and swaps the new folder in.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.cache import FORMAT, code_key
from feeds.output import swap_in
from feeds.uptodate import list_manifests
from segment import __version__
from segment.loading import (
    SHOW_FILE,
    SegmentFile,
    ShowFolder,
    duplicate_findings,
    load_show_file,
)
from segment.manifest import MAX_MANIFEST_BYTES
from segment.models import Segment
from segment.rules import Finding
from segment.userfiles import read_regular

if TYPE_CHECKING:
    from feeds.prepare import Rendered

STORE = "manifests"
"""The manifest cache: a folder of shards, each the entries of one chunk of manifests as
marshal({"header": ..., "entries": {path: entry}}), written by the process that prepared the
chunk (`feeds.prepare`). A build writes a new folder of shards and swaps it in whole (`save`)."""
LEGACY_STORE = "manifests.marshal"
"""The single-file store of cache FORMAT 5 and before: removed when a build saves."""
_UNCACHEABLE = {"SEG301", "SEG302"}


def _header(root: Path, settings: dict[str, Any]) -> str:
    show = root / SHOW_FILE
    try:
        show_bytes = read_regular(show, MAX_MANIFEST_BYTES)  # a FIFO must not block
    except OSError:
        show_bytes = b""
    text = json.dumps({"format": FORMAT, "version": __version__, "code": code_key(),
                       "settings": settings},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode() + b"\0" + show_bytes).hexdigest()


@dataclass
class Loaded:
    folder: ShowFolder
    counts: dict[str, int]
    """{"parsed": n, "cached": n, "reused": n}: manifests parsed or taken from the cache, and
    episodes taken as the last build rendered them."""
    save: Callable[[], None]
    """Saves the manifest cache (called by the build when convenient)."""
    rendered: dict[str, Rendered]
    """Segments `feeds.prepare` already planned and rendered, by manifest path."""
    manifests: list[str]
    stats: dict[str, list[int]]
    """{manifest path: [mtime_ns, size]} as read (for the no-change test of the next build)."""


def load_show_cached(root: Path, settings: dict[str, Any], cache: Path | None,
                     jobs: int = 1, staging: str | None = None, old_output: str = "",
                     previous: dict[str, list] | None = None,
                     progress: Callable[[str, int, int], None] | None = None) -> Loaded:
    """Load the show: parse (or take from the cache) every manifest, and let `feeds.prepare`
    plan and render the self-contained segments (their files written into `staging` unless it
    is None).

    In the show folder, a segment planned by `feeds.prepare` is a `SegmentSummary` (id, GUID,
    draft: what the show-wide checks read); a segment left for the build to plan is a
    `Segment`. Episodes the last build rendered are reused where nothing changed
    (`feeds.fragments`), and this build's are kept in the cache for the next one."""
    from feeds.prepare import Work, prepare

    show_path = root / SHOW_FILE
    found: list[Finding] = []
    show = None
    if os.path.lexists(show_path):  # a FIFO or a symlink loop is reported, not skipped
        show, found = load_show_file(show_path)
    else:
        found.append(Finding("SEG403", f"no {SHOW_FILE} in {root}: the feed needs a title, "
                             "description and language; create it", str(root)))
    paths = list_manifests(root)
    if not paths:
        found.append(Finding("SEG109", f"no manifests (*.md) in {root}", str(root)))

    header = _header(root, settings)
    old = _read_store(cache, header)
    shards = _new_store(cache) if cache is not None and staging is not None else None
    work = Work(root, show, settings, old, staging, old_output, previous or {},
                None if shards is None else str(shards), header)
    segments: list[SegmentFile] = []
    rendered: dict[str, Rendered] = {}
    stats: dict[str, list[int]] = {}
    parsed = reused = 0
    try:
        for path, done in zip(paths, prepare(work, paths, jobs, progress), strict=True):
            segments.append(done.item)
            parsed += done.parsed
            reused += done.reused
            if done.stat is not None:
                stats[path] = list(done.stat)
            if done.rendered is not None:
                rendered[path] = done.rendered
    except BaseException:
        if shards is not None:
            shutil.rmtree(shards, ignore_errors=True)
        raise
    found.extend(duplicate_findings(segments))

    def save() -> None:
        if cache is None or shards is None:
            return
        replaced = swap_in(shards, cache / STORE)
        if replaced is not None:
            shutil.rmtree(replaced, ignore_errors=True)
        (cache / LEGACY_STORE).unlink(missing_ok=True)

    return Loaded(ShowFolder(root, show, segments, found),
                  {"parsed": parsed, "cached": len(paths) - parsed, "reused": reused}, save,
                  rendered, paths, stats)


def _read_store(cache: Path | None, header: str) -> dict[str, bytes | tuple]:
    """Every entry of the store's shards made under `header`; a shard that cannot be read is
    left out (its manifests are parsed again)."""
    if cache is None:
        return {}
    try:
        names = sorted(os.listdir(cache / STORE))
    except OSError:
        return {}
    entries: dict[str, bytes | tuple] = {}
    for name in names:
        try:
            with open(cache / STORE / name, "rb") as handle:
                stored = marshal.loads(handle.read())
        except (OSError, ValueError, EOFError, TypeError):
            continue
        if isinstance(stored, dict) and stored.get("header") == header and \
                isinstance(stored.get("entries"), dict):
            entries.update(stored["entries"])
    return entries


def _new_store(cache: Path) -> Path:
    """An empty folder for this build's shards, beside the store; ones a killed build left
    are removed first (the build's lock is held, so no other build is writing them)."""
    cache.mkdir(parents=True, exist_ok=True)
    for stale in cache.glob(f"{STORE}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in cache.glob(f".{STORE}.old-*"):  # `swap_in` moves the old store there
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{STORE}.new-", dir=cache))


def freeze(key: tuple[int, int] | None, item: SegmentFile) -> bytes | None:
    """The cache entry for a freshly parsed manifest (None when it cannot be cached)."""
    if key is None or any(f.code in _UNCACHEABLE for f in item.findings):
        return None
    if not isinstance(item.segment, Segment):
        data = None
    elif item.data is not None:
        data = item.data  # as read: marshals as is, and validates to the same segment
    else:
        data = item.segment.model_dump(mode="json")
    findings = tuple(f.as_tuple() for f in item.findings)
    return marshal.dumps((key, data, findings, item.id_position, item.guid_position))


def thaw(path: Path, entry: bytes, key: tuple[int, int] | None) -> SegmentFile | None:
    """The manifest from its cache entry, or None when the file changed since (or the model
    no longer accepts the data): then it is parsed again."""
    try:
        stat, data, findings, id_position, guid_position = marshal.loads(entry)
        if key is None or tuple(stat) != key:
            return None
        segment = Segment.model_validate(data) if data is not None else None
    except (ValueError, EOFError, TypeError):
        return None
    found = [Finding.from_tuple(f) for f in findings]
    return SegmentFile(path, segment, found, tuple(id_position), tuple(guid_position))
