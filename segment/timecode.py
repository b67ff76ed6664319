"""Durations and chapter times as people write them: `SS`, `M:SS`, `H:MM:SS` (fractions allowed).

>>> parse_duration("3:41")
221.0
>>> parse_duration("0:03:41")
221.0
>>> parse_duration("95")
95.0
>>> parse_duration("1:02:03.5")
3723.5
>>> format_duration(221)
'3:41'
>>> format_duration(3723.5)
'1:02:03.500'
>>> parse_duration(10 ** 400)  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: 10000000000000000000... (401 characters) is not a duration: far too long ...
>>> parse_duration("1001:00:00")
Traceback (most recent call last):
ValueError: '1001:00:00' is not a duration: far too long (over 1000 hours)
>>> parse_duration("86400.0000001")  # milliseconds are all a tag or feed carries
86400.0
>>> format_duration(1e308)[:12]
'277777777777'
"""

from __future__ import annotations

import math
import re

_TIME = re.compile(r"^(?:(?:(\d+):)?([0-5]?\d):)?(\d+(?:\.\d+)?)$")
MAX_SECONDS = 1000 * 3600.0
"""The longest duration (or time within one) any text may give: no recording runs 1000 hours,
tags store chapter times in 32-bit milliseconds, and anything longer is a typo. max-duration
in [tool.segpack] may be raised up to this, not past it."""
_DIGITS = 12
"""More digits than this in one part of a time is past MAX_SECONDS whatever they are (and
Python refuses to convert a 4301-digit string to a number at all)."""


def parse_duration(text: str | int | float) -> float:
    """Seconds from `SS`, `M:SS` or `H:MM:SS`; numbers are taken as seconds.

    Raises ValueError with a message fit for a user when the text is none of those forms.
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration like 3:41, not a boolean")
    try:
        if isinstance(text, (int, float)):
            seconds = float(text)
        else:
            match = _TIME.match(text.strip())
            if not match:
                raise ValueError(f"{text!r} is not a duration; write SS, M:SS or H:MM:SS "
                                 "(e.g. 3:41)")
            hours, minutes, secs = match.groups()
            if max(len(hours or ""), len(secs.partition(".")[0])) > _DIGITS:
                raise OverflowError
            if (hours is not None or minutes is not None) and float(secs) >= 60:
                raise ValueError(f"{text!r}: seconds must be under 60 when minutes are given")
            seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs)
    except OverflowError:  # an integer past the largest float (1.8e308), or 4300 digits
        seconds = math.inf
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"{_short(text)} is not a duration: it must be zero or more seconds")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{_short(text)} is not a duration: far too long (over 1000 hours)")
    # Milliseconds are all any tag or feed carries: 86400.0000001 is 24:00:00, not more.
    return round(seconds, 3)


def _short(value: object) -> str:
    """`repr` cut to 40 characters: a 400-digit number is shown by its start and length."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def format_duration(seconds: float) -> str:
    """`M:SS` under an hour, `H:MM:SS` above; milliseconds only when there are any.

    Any finite number of seconds is written out (a lying audio header can claim 1e308): the
    whole seconds are taken exactly before the milliseconds are rounded, so nothing overflows.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{seconds!r} is not a duration: it must be zero or more seconds")
    whole = int(seconds)
    extra, frac = divmod(round((seconds - whole) * 1000), 1000)
    whole += extra
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return text + (f".{frac:03d}" if frac else "")


def vtt_timestamp(seconds: float) -> str:
    """hh:mm:ss.ttt, as WebVTT writes a time (the aligner's captions, and the build's moved to
    the published file's times, write the same).

    >>> vtt_timestamp(3723.5)
    '01:02:03.500'
    """
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
