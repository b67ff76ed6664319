"""Load a show folder for a build, re-parsing only the manifests that changed.

Same rules as `segment.loading.load_show_folder` (it is built from the same pieces:
`load_show_file`, `load_segment`, `duplicate_findings`), plus a cache of parsed segments keyed
by path + mtime + size. The cache is dropped whole when show.yaml or the settings change, since
checks may depend on them; segments whose findings depend on other files (SEG301/SEG302:
media present and inside the folder) are never cached.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from feeds.cache import FORMAT, read_pickle, stat_key, write_pickle
from feeds.uptodate import list_manifests
from segment import __version__
from segment.loading import (
    SHOW_FILE,
    SegmentFile,
    ShowFolder,
    duplicate_findings,
    load_segment,
    load_show_file,
)
from segment.rules import Finding, Severity

PICKLE = "manifests.pickle"
_UNCACHEABLE = {"SEG301", "SEG302"}


def _header(root: Path, settings: dict[str, Any]) -> str:
    show = root / SHOW_FILE
    try:
        show_bytes = show.read_bytes()
    except OSError:
        show_bytes = b""
    text = json.dumps({"format": FORMAT, "version": __version__, "settings": settings},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode() + b"\0" + show_bytes).hexdigest()


def load_show_cached(root: Path, settings: dict[str, Any], cache: Path | None,
                     write_cache: bool = True) -> tuple[ShowFolder, dict[str, int]]:
    """The show folder and {"parsed": n, "cached": n} counts."""
    show_path = root / SHOW_FILE
    found: list[Finding] = []
    show = None
    if show_path.is_file():
        show, found = load_show_file(show_path)
    else:
        found.append(Finding("SEG403", f"no {SHOW_FILE} in {root}: the feed needs a title, "
                             "description and language; create it", str(root),
                             severity=Severity.ERROR))
    paths = [Path(p) for p in list_manifests(root)]
    if not paths:
        found.append(Finding("SEG109", f"no manifests (*.md) in {root}", str(root)))

    header = _header(root, settings)
    old: dict[str, tuple] = {}
    if cache is not None:
        stored = read_pickle(cache / PICKLE)
        if isinstance(stored, dict) and stored.get("header") == header:
            old = stored.get("entries", {})
    entries: dict[str, tuple] = {}
    segments: list[SegmentFile] = []
    parsed = 0
    for path in paths:
        key = stat_key(path)
        hit = old.get(str(path))
        if hit is not None and hit[0] == key:
            item = hit[1]
        else:
            item = load_segment(path, show, root, settings)
            parsed += 1
        segments.append(item)
        if key is not None and not any(f.code in _UNCACHEABLE for f in item.findings):
            entries[str(path)] = (key, item)
    found.extend(duplicate_findings(segments))
    if cache is not None and write_cache and (parsed or len(entries) != len(old)):
        write_pickle(cache / PICKLE, {"header": header, "entries": entries})
    return ShowFolder(root, show, segments, found), {"parsed": parsed,
                                                      "cached": len(paths) - parsed}
