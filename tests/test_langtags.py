"""The language fast path (`segment.langtags`) agrees with langcodes on every tag it answers."""

from __future__ import annotations

import string

import langcodes

from segment.langtags import LANGUAGES, REGIONS, quick_answer

TWO_LETTERS = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase]


def test_every_two_letter_language_matches_langcodes() -> None:
    assert {c for c in TWO_LETTERS if langcodes.tag_is_valid(c)} == LANGUAGES
    for code in TWO_LETTERS:
        assert quick_answer(code) in (None, langcodes.tag_is_valid(code)), code


def test_every_region_matches_langcodes() -> None:
    regions = [code.upper() for code in TWO_LETTERS]
    for language in ("en", "fa", "zh", "pt", "iw"):
        accepted = {r for r in regions if langcodes.tag_is_valid(f"{language}-{r}")}
        assert accepted == REGIONS, language
        for region in regions:
            tag = f"{language}-{region}"
            assert quick_answer(tag) in (None, langcodes.tag_is_valid(tag)), tag


def test_other_shapes_go_to_langcodes() -> None:
    for tag in ("zh-Hant", "en-us", "EN", "sr-Latn-RS", "x-private", "e", "", "en-"):
        assert quick_answer(tag) is None, tag
