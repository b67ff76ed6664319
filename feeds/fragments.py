"""Rendered episodes kept between builds, so a rebuild re-renders only what changed.

A self-contained (direct-link) segment's part of the output depends on its manifest and on what
the store header covers (show.yaml, settings, segpack's version): its feed item, its preview
article, its findings and its transcript/chapters files. When the manifest's stat is unchanged,
the next build links those files from the previous output (checked unchanged by mtime and size,
as `feeds.writing` does) and takes the item and article as they were, instead of validating,
planning and rendering the segment again; anything that does not check out is rendered anew.

The file is a cache: written after the output is swapped in, without fsync, and with a
digest of its content, so a torn or stale file reads as empty, never as wrong bytes.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

FILE = "fragments.marshal"

Fragment = tuple
"""(stat, (id, guid, draft), manifest findings, id position, guid position, sort key,
published (ISO or None), item bytes, article, episode findings, published files), plain data
(`segment.rules.Finding.as_tuple`) so marshal writes and reads it fast."""


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=16).digest()


def load(cache: Path | None, header: str) -> dict[str, Fragment]:
    """The fragments saved by the last build under the same store header, else none."""
    if cache is None:
        return {}
    try:
        stored_header, digest, payload = marshal.loads((cache / FILE).read_bytes())
        if stored_header != header or digest != _digest(payload):
            return {}
        fragments = marshal.loads(payload)
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return fragments if isinstance(fragments, dict) else {}


def save(cache: Path, header: str, fragments: dict[str, Fragment]) -> None:
    """Replace the fragments file (temp file + rename; the digest stands in for an fsync)."""
    payload = marshal.dumps(fragments)
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{FILE}.", suffix=".tmp", dir=cache)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(marshal.dumps((header, _digest(payload), payload)))
        os.replace(tmp, cache / FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make(stat: tuple[int, int], item: Any, rendered: Any) -> Fragment:
    """The fragment of a segment `feeds.prepare` rendered (`item` a SegmentFile holding a
    SegmentSummary, `rendered` its Rendered)."""
    seg = item.segment
    published = rendered.published
    return (stat, (seg.id, seg.item_guid, seg.draft), [f.as_tuple() for f in item.findings],
            item.id_position, item.guid_position, rendered.sort_key,
            published if published is None or isinstance(published, str)
            else published.isoformat(),
            rendered.item, rendered.article, [f.as_tuple() for f in rendered.findings],
            list(rendered.written))


def transcript_from_page(page: str) -> str:
    """The HTML paragraphs of a transcript page (`feeds.transcripts.transcript_html`): what
    the preview folds in. '<' is escaped in them, so the last '</article>' ends them."""
    start = page.index("<article>\n") + len("<article>\n")
    return page[start:page.rindex("\n</article>")]
