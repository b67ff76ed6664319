"""Text direction of a language tag (`feeds.direction`), checked against three outside sources:
langcodes (each language's likely script), CLDR (the direction of every locale, through Babel)
and Unicode (the bidirectional class of every letter, through unicodedata)."""

from __future__ import annotations

import sys
import unicodedata

import langcodes
import pytest

from feeds.direction import RTL_SCRIPTS, direction
from segment.langtags import LANGUAGES, REGIONS


@pytest.mark.parametrize(("tag", "expected"), [
    ("ar", "rtl"), ("ar-EG", "rtl"), ("fa", "rtl"), ("fa-AF", "rtl"), ("he", "rtl"),
    ("iw", "rtl"), ("ur", "rtl"), ("ps", "rtl"), ("yi", "rtl"), ("dv", "rtl"), ("ug", "rtl"),
    ("ckb", "rtl"), ("prs", "rtl"), ("syr", "rtl"), ("nqo", "rtl"), ("ar-001", "rtl"),
    ("pa-PK", "rtl"), ("az-IR", "rtl"), ("az-Arab", "rtl"), ("ff-Adlm-GN", "rtl"),
    ("en", "ltr"), ("en-US", "ltr"), ("fr", "ltr"), ("zh-Hant-TW", "ltr"), ("ja", "ltr"),
    ("pa", "ltr"), ("az", "ltr"), ("ku", "ltr"), ("ug-KZ", "ltr"), ("ar-Latn", "ltr"),
    ("sr-Cyrl", "ltr"), ("es-419", "ltr"), ("AR", "rtl"),
])
def test_direction_follows_the_script_of_the_language(tag, expected) -> None:
    assert direction(tag) == expected


def _langcodes_direction(tag: str) -> str:
    return "rtl" if langcodes.Language.get(tag).maximize().script in RTL_SCRIPTS else "ltr"


def test_quick_tables_answer_as_langcodes_does_for_every_xx_and_xx_yy() -> None:
    """Every two-letter language, alone and with every region: the tables that spare the
    langcodes import give langcodes' answer (a region can flip it: pa-PK is Arabic script)."""
    wrong = [tag for lang in sorted(LANGUAGES)
             for tag in (lang, *(f"{lang}-{region}" for region in sorted(REGIONS)))
             if direction(tag) != _langcodes_direction(tag)]
    assert wrong == []


def test_script_table_agrees_with_cldr_for_every_locale() -> None:
    """CLDR's character order (right-to-left or not: Mongolian's top-to-bottom lays out left
    to right in HTML) of each of its ~1,100 locales, read by Babel, is what `direction` says
    of the locale's tag."""
    babel = pytest.importorskip("babel")
    from babel import localedata

    wrong = []
    for name in localedata.locale_identifiers():
        cldr = babel.Locale.parse(name).text_direction
        if (direction(name.replace("_", "-")) == "rtl") != (cldr == "rtl"):
            wrong.append((name, cldr))
    assert len(localedata.locale_identifiers()) > 500
    assert wrong == []


UNICODE_NAMES = {
    "ADLAM": "Adlm", "ARABIC": "Arab", "AVESTAN": "Avst", "CHORASMIAN": "Chrs",
    "CYPRIOT": "Cprt", "ELYMAIC": "Elym", "HANIFI ROHINGYA": "Rohg", "HATRAN": "Hatr",
    "HEBREW": "Hebr", "IMPERIAL ARAMAIC": "Armi", "INSCRIPTIONAL PAHLAVI": "Phli",
    "INSCRIPTIONAL PARTHIAN": "Prti", "KHAROSHTHI": "Khar", "LYDIAN": "Lydi", "MANDAIC": "Mand",
    "MANICHAEAN": "Mani", "MENDE KIKAKUI": "Mend", "MEROITIC CURSIVE": "Merc",
    "MEROITIC HIEROGLYPHIC": "Mero", "NABATAEAN": "Nbat", "NKO": "Nkoo",
    "OLD HUNGARIAN": "Hung", "OLD NORTH ARABIAN": "Narb", "OLD SOGDIAN": "Sogo",
    "OLD SOUTH ARABIAN": "Sarb", "OLD TURKIC": "Orkh", "OLD UYGHUR": "Ougr",
    "PALMYRENE": "Palm", "PHOENICIAN": "Phnx", "PSALTER PAHLAVI": "Phlp", "SAMARITAN": "Samr",
    "SOGDIAN": "Sogd", "SYRIAC": "Syrc", "THAANA": "Thaa", "YEZIDI": "Yezi",
}
"""The ISO 15924 code of each script by the name Unicode gives its letters."""


def test_script_table_is_every_script_whose_letters_unicode_writes_right_to_left() -> None:
    """Each letter Unicode classes R or AL belongs to a script of the table, and each script
    of the table has such letters (Aran, Nastaliq, is a style of Arab with none of its own)."""
    found = set()
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.bidirectional(char) in ("R", "AL") and \
                unicodedata.category(char) in ("Lo", "Lu", "Ll"):
            name = unicodedata.name(char, "")
            script = next((s for p, s in UNICODE_NAMES.items() if name.startswith(p + " ")),
                          name)
            found.add(script)
    assert found == RTL_SCRIPTS - {"Aran"}
