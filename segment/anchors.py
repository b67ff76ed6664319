"""Chapter anchors: where in the transcript a chapter starts, resolved to a character offset.

A chapter may name its place in the text instead of a time: `at: 3` is the third paragraph,
`at: "Another set-back for ISIL"` the first words of the place (matched at the start of a word,
ignoring case, punctuation and spacing; they must occur once). `segpack align` turns the offset
into the time the words are spoken; `validate` checks that every anchor resolves.

>>> text = "One two. Three four.\\n\\nFive six, seven."
>>> resolve(2, text)
22
>>> resolve("three FOUR", text)
9
>>> resolve("seven", text)
32
>>> resolve("ix", text)
Traceback (most recent call last):
...
segment.anchors.AnchorError: 'ix' is not in the transcript (anchors match whole words)
"""

from __future__ import annotations

import re

_PARAGRAPHS = re.compile(r"\S(?:.*?\S)?(?=\s*(?:\n\s*\n|\Z))", re.S)
_WORD = re.compile(r"\w+(?:[\u200c'’\-]\w+)*")


class AnchorError(ValueError):
    """An anchor that does not name exactly one place in the transcript."""


def paragraph_starts(transcript: str) -> list[int]:
    return [m.start() for m in _PARAGRAPHS.finditer(transcript)]


def resolve(at: int | str, transcript: str) -> int:
    """Character offset where the anchored chapter starts (the start of a word)."""
    if isinstance(at, int):
        starts = paragraph_starts(transcript)
        if not 1 <= at <= len(starts):
            raise AnchorError(f"paragraph {at} does not exist: the transcript has "
                              f"{len(starts)} paragraph{'s' if len(starts) != 1 else ''}")
        return starts[at - 1]
    wanted = [w.casefold() for w in _WORD.findall(at)]
    if not wanted:
        raise AnchorError(f"{at!r} has no words to find")
    words = list(_WORD.finditer(transcript))
    folded = [m.group().casefold() for m in words]
    n = len(wanted)
    hits = [k for k in range(len(words) - n + 1) if folded[k:k + n] == wanted]
    if not hits:
        raise AnchorError(f"{at!r} is not in the transcript (anchors match whole words)")
    if len(hits) > 1:
        raise AnchorError(f"{at!r} occurs {len(hits)} times in the transcript; give more "
                          "words")
    start = words[hits[0]].start()
    while start > 0 and not transcript[start - 1].isspace():  # a quote or bracket before it
        start -= 1
    return start
