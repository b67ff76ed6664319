"""Which way a language is written, for `dir` in the pages a build publishes.

Decided by the script a language tag is written in, never guessed from the text (an Arabic
title that starts with "BBC" is still Arabic): langcodes gives a tag's likely script (`ar` ->
Arab, `pa` -> Guru but `pa-PK` -> Arab, `az-IR` -> Arab), and the script is right-to-left when
it is one of `RTL_SCRIPTS`. The tables below answer the tags most manifests use (`xx`, `xx-YY`,
or any tag naming its script) without importing langcodes (about 0.1 s in each process); tests
check them tag by tag against langcodes, and the script table against the text direction CLDR
gives every locale it knows (read through Babel).
"""

from __future__ import annotations

import functools
from typing import Literal

from segment.langtags import quick_answer

Direction = Literal["ltr", "rtl"]

RTL_SCRIPTS = frozenset("""
    Adlm Arab Aran Armi Avst Cprt Chrs Elym Hatr Hebr Hung Khar Lydi Mand Mani Mend Merc Mero
    Narb Nbat Nkoo Orkh Ougr Palm Phli Phlp Phnx Prti Rohg Samr Sarb Sogd Sogo Syrc Thaa Yezi
""".split())
"""ISO 15924 codes of the scripts Unicode writes right to left: the living ones (Arabic,
Hebrew, Thaana, Syriac, N'Ko, Adlam, Hanifi Rohingya, Mandaic, Samaritan, Yezidi, Mende Kikakui)
and historic ones, as CLDR's script metadata marks them."""

RTL_LANGUAGES = frozenset("ae ar dv fa he iw ji ks ps sd ug ur yi".split())
"""Two-letter languages whose likely script (langcodes) is right to left."""

REGION_FLIPS = frozenset("""
    az-IQ az-IR ha-CM ha-SD kk-AF kk-CN kk-IR kk-MN ku-LB ky-CN ms-CC pa-PK tg-PK ug-KZ ug-MN
    uz-AF
""".split())
"""`xx-YY` tags whose region gives the language a likely script of the other direction
(Punjabi in Pakistan is written in Arabic script, Uyghur in Kazakhstan in Cyrillic)."""


def direction(tag: str) -> Direction:
    """`rtl` or `ltr` for a BCP 47 tag (already valid: `segment.fields.Language`).

    >>> direction("ar"), direction("en-US"), direction("pa-PK"), direction("az-Arab")
    ('rtl', 'ltr', 'rtl', 'rtl')
    """
    parts = tag.split("-")
    if len(parts) > 1 and len(parts[1]) == 4 and parts[1].isalpha():  # the script, written
        return "rtl" if parts[1].title() in RTL_SCRIPTS else "ltr"
    if quick_answer(tag):
        rtl = (tag[:2] in RTL_LANGUAGES) != (tag in REGION_FLIPS)
        return "rtl" if rtl else "ltr"
    return _likely_direction(tag)


@functools.lru_cache(maxsize=64)
def _likely_direction(tag: str) -> Direction:
    import langcodes

    script = langcodes.Language.get(tag).maximize().script
    return "rtl" if script in RTL_SCRIPTS else "ltr"
