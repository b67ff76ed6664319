"""Text that XML can carry: feeds must parse even when a transcript holds control characters.

XML 1.0 allows tab, newline, carriage return and most of Unicode; lxml refuses anything else
(NUL, form feed, lone surrogates, U+FFFE/U+FFFF) with an exception. Manifests' short text fields
already refuse control characters (SEG209), but the transcript body and a few free-form fields
do not, so the feed layer drops what XML cannot hold instead of failing the build.
"""

from __future__ import annotations

import re
from typing import overload

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@overload
def clean(text: str) -> str: ...


@overload
def clean(text: None) -> None: ...


def clean(text: str | None) -> str | None:
    """`text` without the characters XML 1.0 cannot carry (None stays None).

    >>> clean("a\\x00b\\x0cc\\td")
    'abc\\td'
    """
    if text is None:
        return None
    return _NOT_XML.sub("", text)


def has_invalid(text: str | None) -> bool:
    """True when `clean` would change `text`.

    >>> has_invalid("ok"), has_invalid("bell\\x07")
    (False, True)
    """
    return text is not None and _NOT_XML.search(text) is not None
