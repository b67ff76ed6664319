"""Rendered episodes kept between builds, so a rebuild re-renders only what changed.

A self-contained (direct-link) segment's part of the output depends on its manifest and on what
the manifest cache's header covers (show.yaml, settings, segpack's version): its feed item, its
preview article, its findings and its transcript/chapters files. The cache keeps such an episode
as a fragment, in place of the manifest's data. When the manifest's stat is unchanged, the next
build links the files from the previous output, if they are still the ones this fragment's
build wrote (same digest, mtime and size, as `feeds.writing` checks), and takes the item and
article as they were, instead of validating, planning and rendering the segment again.
Anything that does not check out is parsed and rendered anew.
"""

from __future__ import annotations

from typing import Any

Fragment = tuple
"""(stat, the SegmentFile packed, the Rendered packed up to its findings, {file: digest}):
plain data, so marshal writes and reads it fast."""


def make(stat: tuple[int, int], item: Any, rendered: Any) -> Fragment:
    """The fragment of a segment `feeds.prepare` rendered (`item` a SegmentFile holding a
    SegmentSummary, `rendered` its Rendered, its feed item made): what `feeds.prepare._reuse`
    unpacks. Made where the segment was rendered, so a worker process's fragments reach the
    build process ready to store."""
    return (stat, item.packed(), rendered.packed()[:5],
            {rel: record[0] for rel, record in rendered.written.items()})


def transcript_from_page(page: str) -> str:
    """The HTML paragraphs of a transcript page (`feeds.transcripts.transcript_html`): what
    the preview folds in. '<' is escaped in them, so the last '</article>' ends them."""
    start = page.index("<article>\n") + len("<article>\n")
    return page[start:page.rindex("\n</article>")]
