"""Field types shared by the models: each knows how to parse itself and which rule it breaks.

A malformed value raises `PydanticCustomError` whose *type* is a rule code (e.g. `SEG202`), so
validation maps pydantic's errors to rule codes without a lookup table per field.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from segment.langtags import quick_answer
from segment.timecode import format_duration, parse_duration

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTTP_URL = re.compile(r"^https?://(?:[^/?#\s@]*@)?[^/?#\s:@]", re.I)
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")
MAX_OFFSET = timedelta(hours=14)
"""Real time zones lie between UTC-12:00 and UTC+14:00 (Kiribati), in whole minutes."""
MIN_YEAR, MAX_YEAR = 1900, 9998
"""Dates feeds can carry: RFC 2822 wants a 4-digit year from 1900; a year-9999 date with a
negative offset overflows Python's datetime when converted to UTC, so 9998 is the last."""


def _duration(value: object) -> float:
    if not isinstance(value, (str, int, float)):
        raise PydanticCustomError("SEG202", "expected a duration like 3:41")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("SEG202", str(exc)) from None


def _timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError(
                "SEG203", "'{value}' is not an ISO 8601 date-time; write e.g. "
                "2016-03-28T14:00:00-04:00", {"value": value}) from None
        if len(text) <= 10:
            raise PydanticCustomError("SEG203", "'{value}' has no time; write e.g. "
                                      "{value}T09:00:00Z", {"value": value})
    else:
        raise PydanticCustomError("SEG203", "expected an ISO 8601 date-time in quotes")
    offset = stamp.utcoffset()
    if offset is None:
        raise PydanticCustomError("SEG203", "'{value}' has no timezone; add Z or an offset "
                                  "such as +00:00", {"value": str(value)})
    if offset % timedelta(minutes=1) or abs(offset) > MAX_OFFSET:
        # RFC 822 dates carry +HHMM only: seconds would be dropped or printed unparseably,
        # and an offset of a day moves the date readers show
        raise PydanticCustomError("SEG203", "'{value}' has a UTC offset no time zone uses; "
                                  "write whole minutes from -14:00 to +14:00, e.g. "
                                  "2016-03-28T14:00:00-04:00", {"value": str(value)})
    try:
        year = stamp.astimezone(timezone.utc).year  # tags and feeds store UTC or compare in it
    except OverflowError:
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PydanticCustomError("SEG203", "'{value}' is out of range: use a date between "
                                  "{low} and {high} (in UTC)", {"value": str(value),
                                                                "low": MIN_YEAR, "high": MAX_YEAR})
    return stamp


@functools.lru_cache(maxsize=512)
def _language_ok(tag: str) -> bool:
    quick = quick_answer(tag)
    if quick is not None:
        return quick
    import langcodes

    return langcodes.tag_is_valid(tag)


def _language(value: object) -> str:
    if value is None:
        raise PydanticCustomError("SEG204", "language is empty; write a BCP 47 language tag "
                                  "such as en, en-US or ar")
    if isinstance(value, bool):
        raise PydanticCustomError("SEG204", "got a boolean; quote the language code, e.g. 'no'")
    if not isinstance(value, str) or not _language_ok(value):
        raise PydanticCustomError("SEG204", "'{value}' is not a BCP 47 language tag such as "
                                  "en, en-US or ar", {"value": value})
    return value


def _url(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("SEG205", "expected a URL in quotes")
    if not _HTTP_URL.match(value):
        raise PydanticCustomError("SEG205", "'{value}' is not an http(s) URL", {"value": value})
    if _URL_FORBIDDEN.search(value):
        raise PydanticCustomError("SEG205", "'{value}' contains spaces or control characters; "
                                  "percent-encode them", {"value": value})
    return value


def _slug(value: str) -> str:
    if not SLUG.match(value) or len(value) > 120:
        raise PydanticCustomError("SEG206", "'{value}' is not a slug: use lowercase letters, "
                                  "digits and single hyphens (at most 120)", {"value": value})
    return value


def _clean_text(value: str) -> str:
    """Reject control characters that XML and ID3 readers choke on (tabs/newlines are fine)."""
    match = _CONTROL.search(value)
    if match:
        raise PydanticCustomError("SEG209", "contains control character U+{code}; remove it",
                                  {"code": f"{ord(match.group()):04X}"})
    return value


def _xml_element(value: str) -> str:
    """One well-formed XML element, namespaces declared, no DTD or entities (feed elements kept
    verbatim from a migrated feed and published again as written)."""
    if "<!" in value:
        raise PydanticCustomError("SEG207", "verbatim XML may not hold a DOCTYPE, entity or "
                                  "CDATA declaration")
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(value.encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PydanticCustomError("SEG207", "not one well-formed XML element: {why}",
                                  {"why": str(exc)}) from None
    if any(el.tag in ("rss", "channel", "item") for el in root.iter()):
        raise PydanticCustomError("SEG207", "verbatim XML may not hold an rss, channel or "
                                  "item element")
    return value


Duration = Annotated[
    float,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^(\d+:)?([0-5]?\d:)?\d+(\.\d+)?$"},
                              {"type": "number", "minimum": 0}],
                    "description": "SS, M:SS or H:MM:SS", "examples": ["3:41"]}),
]
Timestamp = Annotated[
    datetime,
    BeforeValidator(_timestamp),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "ISO 8601 with a timezone"}),
]
Language = Annotated[str, BeforeValidator(_language),
                     WithJsonSchema({"type": "string", "description": "BCP 47 tag"})]
Url = Annotated[str, BeforeValidator(_url),
                WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"})]
Slug = Annotated[str, AfterValidator(_slug),
                 WithJsonSchema({"type": "string", "pattern": SLUG.pattern, "maxLength": 120})]
Text = Annotated[str, AfterValidator(_clean_text)]
XmlElement = Annotated[str, AfterValidator(_xml_element),
                       WithJsonSchema({"type": "string", "description": "one XML element"})]
