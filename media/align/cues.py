"""From a transcript to caption cues: sentences, split at phrase boundaries, two short lines.

Broadcast caption guidelines (BBC, Netflix, the FCC's best practices) agree on the shape: a cue
is at most two lines of at most 42 characters, follows the sentence, and breaks long sentences
where a speaker would pause (after a clause, before a conjunction) rather than mid-phrase.

Sentences come from `sentencex` (Wikimedia's segmenter: abbreviations such as "U.S." and
"Mr." in ~300 languages). It keeps a quotation whole, so quotation marks are hidden from it
(replaced by spaces of the same length) and sentences inside quotes are found too. A cue only
ever starts at a space between words, never inside one; and a chapter anchor starts a cue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 42
MAX_LINES = 2

_HIDDEN_QUOTES = str.maketrans({c: " " for c in "“”«»„‟\""})
_OPENING = "“«„‟\"'‘(["

# Where a long sentence may break, and how good a place it is (higher is better): after a
# sentence end inside a quotation, a semicolon or colon, a dash, a comma; before a conjunction.
# A full stop inside a sentence is an abbreviation ("U.S.", "Mr."): sentencex already split
# at every real sentence end, so a break after one is penalised instead.
_AFTER = [(re.compile(r"[!?…؟]+[”»\"’)\]]*$"), 2.0), (re.compile(r"[;:؛]$"), 1.5),
          (re.compile(r"^[–—-]$"), 1.2), (re.compile(r"[,،]$"), 1.0)]
CONJUNCTIONS: dict[str, frozenset[str]] = {
    "en": frozenset("and but or nor because while when where which who whom that although "
                    "though if unless until after before since so".split()),
    "es": frozenset("y e o u pero sino porque mientras cuando donde que aunque si hasta "
                    "después antes".split()),
    "ru": frozenset("и а но или потому что чтобы когда где который которая которые если "
                    "хотя пока".split()),
    "fa": frozenset("و یا اما ولی که چون زیرا وقتی اگر تا".split()),
}
"""Words a phrase may start with, per language; other languages break at punctuation only."""


@dataclass(frozen=True)
class Cue:
    """A piece of the transcript: `text` as shown (one or two lines), and where it came from."""

    text: str
    start: int
    """Character offset in the transcript."""
    end: int
    sentence: int
    paragraph: int

    @property
    def spoken(self) -> str:
        return self.text.replace("\n", " ")


def paragraph_spans(transcript: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each paragraph (blank-line separated), stripped."""
    spans = []
    for match in re.finditer(r"\S(?:.*?\S)?(?=\s*(?:\n\s*\n|\Z))", transcript, re.S):
        spans.append((match.start(), match.end()))
    return spans


def sentence_spans(text: str, language: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of one paragraph."""
    from sentencex import segment

    hidden = text.translate(_HIDDEN_QUOTES)
    bounds = []
    pos = 0
    for piece in segment(language.split("-")[0].lower(), hidden):
        found = hidden.find(piece, pos) if hidden[pos:pos + len(piece)] != piece else pos
        if found < 0:  # not a contiguous split: keep the paragraph whole
            return [(0, len(text))]
        pos = found + len(piece)
        bounds.append(pos)
    spans = []
    start = 0
    for end in bounds:
        end = _before_opening_quote(text, start, end)
        left, right = _strip(text, start, end)
        if left < right:
            spans.append((left, right))
        start = end
    left, right = _strip(text, start, len(text))
    if left < right:
        spans.append((left, right))
    return spans


def _before_opening_quote(text: str, start: int, end: int) -> int:
    """Move a boundary back over spaces and opening quotes, which belong to what follows."""
    cut = end
    while cut > start and text[cut - 1].isspace():
        cut -= 1
    while cut > start and text[cut - 1] in _OPENING and (cut - 1 == start or
                                                          text[cut - 2].isspace()):
        cut -= 1
    return cut if cut < end else end


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def build_cues(transcript: str, language: str, anchors: tuple[int, ...] = ()) -> list[Cue]:
    """Cues in reading order; a cue also starts at every offset in `anchors` (chapter starts,
    moved to the start of the word they fall in)."""
    cues: list[Cue] = []
    starts = set(anchors)
    conj = CONJUNCTIONS.get(language.split("-")[0].lower(), frozenset())
    sentence = 0
    for p_index, (p_start, p_end) in enumerate(paragraph_spans(transcript)):
        paragraph = transcript[p_start:p_end]
        for s_start, s_end in sentence_spans(paragraph, language):
            words = _words(paragraph, s_start, s_end, p_start)
            forced = {k for k, (a, _) in enumerate(words) if k and a in starts}
            for first, last in _split(transcript, words, conj, forced):
                a, b = words[first][0], words[last][1]
                cues.append(Cue(wrap(transcript[a:b]), a, b, sentence, p_index))
            sentence += 1
    return cues


def _words(paragraph: str, start: int, end: int, offset: int) -> list[tuple[int, int]]:
    """Transcript offsets of the words (runs of non-space) of one sentence."""
    return [(offset + start + m.start(), offset + start + m.end())
            for m in re.finditer(r"\S+", paragraph[start:end])]


def _length(text: str, words: list[tuple[int, int]], first: int, last: int) -> int:
    return len(" ".join(text[a:b] for a, b in words[first:last + 1]))


def _split(text: str, words: list[tuple[int, int]], conj: frozenset[str],
           forced: set[int]) -> list[tuple[int, int]]:
    """Word index ranges (first, last) of the cues of one sentence."""
    pieces = [(0, len(words) - 1)]
    for k in sorted(forced):
        first, last = pieces.pop()
        pieces += [(first, k - 1), (k, last)]
    out: list[tuple[int, int]] = []
    while pieces:
        first, last = pieces.pop(0)
        if first == last or fits(" ".join(text[a:b] for a, b in words[first:last + 1])):
            out.append((first, last))
            continue
        k = _best_break(text, words, first, last, conj)
        pieces[:0] = [(first, k - 1), (k, last)]
    return out


def _best_break(text: str, words: list[tuple[int, int]], first: int, last: int,
                conj: frozenset[str]) -> int:
    """Index of the word that starts the second part: the strongest phrase boundary, with a
    penalty for unbalanced halves (so a comma near the middle beats one near an end)."""
    total = _length(text, words, first, last)
    best, best_score = first + 1, -1e9
    for k in range(first + 1, last + 1):
        before = text[words[k - 1][0]:words[k - 1][1]]
        after = text[words[k][0]:words[k][1]]
        strength = 0.0
        for pattern, value in _AFTER:
            if pattern.search(before):
                strength = value
                break
        else:
            if after.lower().strip("“«\"'(") in conj:
                strength = 0.6
            elif before.endswith("."):
                strength = -0.5
        left = _length(text, words, first, k - 1)
        score = strength - 2.0 * abs(0.5 - left / total)
        if score > best_score:
            best, best_score = k, score
    return best


def fits(text: str) -> bool:
    """True when `text` wraps into at most MAX_LINES lines of at most MAX_LINE characters."""
    lines = wrap(text).split("\n")
    return len(lines) <= MAX_LINES and all(len(line) <= MAX_LINE for line in lines)


def wrap(text: str) -> str:
    """One line when it fits, else two lines as even as the words allow, breaking after
    punctuation when that costs little, and not after an abbreviation ("U.S.", "Mr.").
    (A single word longer than a line stays whole.)"""
    text = " ".join(text.split())
    if len(text) <= MAX_LINE:
        return text
    words = text.split(" ")
    best, best_score = text, 1e9
    for k in range(1, len(words)):
        top, bottom = " ".join(words[:k]), " ".join(words[k:])
        longest = max(len(top), len(bottom))
        bonus = 4 if re.search(r"[,;:!?،؛]$", top) else (-4 if top.endswith(".") else 0)
        score = longest - bonus + (100 if longest > MAX_LINE else 0)
        if score < best_score:
            best, best_score = f"{top}\n{bottom}", score
    return best
