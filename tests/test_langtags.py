"""The language fast path (`segment.langtags`) agrees with langcodes on every tag it answers."""

from __future__ import annotations

import string
import subprocess
import sys

import langcodes

from segment.langtags import ALPHA3, FROM_ALPHA3, LANGUAGES, REGIONS, quick_alpha3, quick_answer

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


def test_three_letter_codes_are_what_langcodes_gives() -> None:
    """ID3's TLAN/COMM/USLT codes from the table equal langcodes' `to_alpha3`, for every
    language alone and with regions; and reading them back equals `standardize_tag`."""
    assert set(ALPHA3) == LANGUAGES
    for language in sorted(LANGUAGES):
        for tag in (language, *(f"{language}-{r}" for r in ("US", "GB", "BR", "CN", "RS", "ZZ"))):
            assert quick_alpha3(tag) == langcodes.Language.get(tag).to_alpha3(), tag
    for three, two in FROM_ALPHA3.items():
        assert langcodes.standardize_tag(three) == two, three
    assert quick_alpha3("zh-Hant") is None and quick_alpha3("yue") is None  # langcodes says


def test_tagging_a_common_language_does_not_load_langcodes() -> None:
    code = ("import sys\nfrom media.id3 import alpha3, bcp47\n"
            "assert (alpha3('en-GB'), alpha3('fa'), bcp47('eng')) == ('eng', 'fas', 'en')\n"
            "print('langcodes' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
