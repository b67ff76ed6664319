"""Re-importing a transcript paragraph by paragraph: a three-way merge and a readable diff.

The import record keeps a short hash of each paragraph the last import wrote (the base), not
its text. That is enough to merge: the paragraphs of the manifest now (mine) and of the input
now (theirs) are lined up with the base by hash (`difflib`, as diff3 lines up files), and
between paragraphs all three still share, a stretch follows the side that changed it. Where
both changed the same stretch, the producer's text is kept and the stretch is counted as a
conflict for the report; a stretch with as many paragraphs on all three sides (edits in
place) is settled paragraph by paragraph. Paragraphs are the body's blank-line-separated
blocks.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in _BLANK_LINE.split((text or "").strip()) if p.strip()]


def paragraph_key(text: str) -> str:
    """A paragraph's identity: its words (spacing and line wrapping do not count)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def paragraph_keys(text: str | None) -> list[str]:
    return [paragraph_key(p) for p in paragraphs(text)]


@dataclass
class Merged:
    text: str
    taken: int
    """Stretches of paragraphs taken from the input (changed there, not edited here)."""
    conflicts: int
    """Stretches both sides changed: the producer's kept."""


def merge(base: list[str], mine: str, theirs: str) -> Merged:
    """Three-way merge of paragraphs: `base` are the keys the last import wrote."""
    ours, new = paragraphs(mine), paragraphs(theirs)
    our_keys, new_keys = [paragraph_key(p) for p in ours], [paragraph_key(p) for p in new]
    in_ours = _matches(base, our_keys)
    in_new = _matches(base, new_keys)
    anchors = [(i, in_ours[i], in_new[i]) for i in range(len(base))
               if i in in_ours and i in in_new]
    anchors.append((len(base), len(ours), len(new)))
    out: list[str] = []
    taken = conflicts = 0
    b = o = t = 0
    for i, a, c in anchors:
        if i - b == a - o == c - t:  # as many paragraphs on each side: one by one
            stretches = [(b + k, o + k, t + k, 1) for k in range(i - b)]
        else:
            stretches = [(b, o, t, 0)]
        for sb, so, st, one in stretches:
            eb, eo, et = (sb + 1, so + 1, st + 1) if one else (i, a, c)
            stretch_base, stretch_ours, stretch_new = base[sb:eb], our_keys[so:eo], \
                new_keys[st:et]
            if stretch_ours == stretch_base:
                out += new[st:et]
                taken += stretch_new != stretch_base
            else:
                out += ours[so:eo]
                conflicts += stretch_new not in (stretch_base, stretch_ours)
        if i < len(base):
            out.append(ours[a])
        b, o, t = i + 1, a + 1, c + 1
    return Merged("\n\n".join(out), taken, conflicts)


def _matches(base: list[str], other: list[str]) -> dict[int, int]:
    """Base index -> index in `other` of the paragraphs the two share, in order."""
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return {block.a + k: block.b + k for block in matcher.get_matching_blocks()
            for k in range(block.size)}


def diff(before: str, after: str, before_name: str, after_name: str) -> list[str]:
    """A unified diff of two bodies, one paragraph a line (what `--dry-run` prints)."""
    return list(difflib.unified_diff(paragraphs(before), paragraphs(after), before_name,
                                     after_name, n=1, lineterm=""))
