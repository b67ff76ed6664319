"""What every importer shares: the result record, one error type, slugs, dates and input limits.

Importers are pure parsing: bytes in, an `Imported` record out (manifest fields found, the
transcript body, and the list of what could not be found). Nothing here writes files; the
`segpack import` commands decide how a result meets an existing manifest.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from segment.errors import SegpackError

MAX_PAGE_BYTES = 20_000_000
"""Largest page or feed accepted: real article pages are well under 2 MB, feeds under 10 MB."""

MAX_SLUG = 80


class ImportProblem(SegpackError, ValueError):
    """An input that cannot be imported at all (not an article, not a feed, too big, empty)."""


@dataclass
class Imported:
    """One segment as found in an input: manifest fields, transcript body, and the gaps.

    `fields` holds only what the input supplied (nested dicts for audio/source/image), in the
    order a manifest shows them; `gaps` are one-line notes ("publication date: not in page").
    """

    fields: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    gaps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def title(self) -> str | None:
        return self.fields.get("title")

    def set(self, key: str, value: Any, gap: str | None = None) -> None:
        """Record a field when it has a value; else note the gap (when one is given)."""
        if value not in (None, "", [], {}):
            self.fields[key] = value
        elif gap:
            self.gaps.append(gap)

    def put(self, group: str, key: str, value: Any, gap: str | None = None) -> None:
        """Like `set`, for a key inside a nested mapping (audio, source, image)."""
        if value not in (None, "", [], {}):
            self.fields.setdefault(group, {})[key] = value
        elif gap:
            self.gaps.append(gap)


def read_input(path: Path, what: str, limit: int = MAX_PAGE_BYTES) -> bytes:
    """The bytes of an input file, refusing folders, FIFOs, devices, symlink loops (through
    `segment.userfiles`: nothing blocks or is read before the check), empty and absurdly large
    files."""
    from segment.userfiles import NotAFileError, TooLarge, read_regular

    try:
        data = read_regular(path, limit, what=what)
    except NotAFileError as exc:
        raise ImportProblem(exc.message, path) from None
    except TooLarge as exc:
        raise ImportProblem(f"is {exc.size / 1e6:.0f} MB; {what} over {limit / 1e6:.0f} MB is "
                            "refused (save just the page or feed itself)", path) from None
    except OSError as exc:
        raise ImportProblem(f"cannot read: {exc.strerror or exc}", path) from None
    if not data.strip():
        raise ImportProblem(f"empty file; expected {what}", path)
    return data


_SLUG_OK = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slug_for(title: str) -> str:
    """A manifest id from a title: transliterated slug, or a short stable hash when none.

    >>> slug_for("Momentum Against ISIL Builds")
    'momentum-against-isil-builds'
    >>> slug_for("😀😀")
    'segment-2c447dbae3'
    """
    from slugify import slugify

    slug = slugify(title, max_length=MAX_SLUG, word_boundary=True, save_order=True)
    if slug and _SLUG_OK.match(slug):
        return slug
    return "segment-" + hashlib.sha1(title.encode("utf-8")).hexdigest()[:10]


def iso_timestamp(text: str | None) -> tuple[str | None, str | None]:
    """(ISO 8601 date-time with zone, problem) from ISO-ish or RFC 822 text; never guesses a zone.

    >>> iso_timestamp("2016-03-31 19:53:00Z")
    ('2016-03-31T19:53:00+00:00', None)
    >>> iso_timestamp("Thu, 31 Mar 2016 15:53:00 -0400")
    ('2016-03-31T15:53:00-04:00', None)
    >>> iso_timestamp("2016-03-31")[1]
    "'2016-03-31' has no time of day and zone"
    >>> iso_timestamp("Sat, 20 Apr 2024 12:00:00 CEST")[1][33:]
    'names its zone CEST, which RFC 822 dates do not define; write it as an offset such as +0200'
    """
    if not text or not text.strip():
        return None, None
    raw = text.strip()
    stamp: datetime | None = None
    iso = raw.replace(" ", "T", 1) if re.match(r"^\d{4}-\d\d-\d\d \d", raw) else raw
    if iso[-1:] in ("Z", "z"):
        iso = iso[:-1] + "+00:00"
    if re.match(r"^\d{4}-\d\d-\d\d$", iso):
        return None, f"{raw!r} has no time of day and zone"
    try:
        stamp = datetime.fromisoformat(iso)
    except ValueError:
        try:
            stamp = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None, f"{raw!r} is not a date this importer reads"
        if stamp.tzinfo is None and re.search(r"-0000\s*$", raw):
            stamp = stamp.replace(tzinfo=timezone.utc)  # RFC 5322: UTC, local zone unknown
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        named = re.search(r"\s([A-Za-z]{1,5})\s*$", raw)
        if named:
            return None, (f"{raw!r} names its zone {named.group(1)}, which RFC 822 dates do "
                          "not define; write it as an offset such as +0200")
        return None, f"{raw!r} has no time zone"
    return stamp.isoformat(), None


_WS = re.compile(r"\s+")


def squash(text: str | None) -> str:
    """Collapse runs of white space (incl. no-break spaces) to one space and strip."""
    return _WS.sub(" ", text or "").strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str | None) -> str:
    """Text fit for a manifest: no control characters, single spaces."""
    return squash(_CONTROL.sub("", text or ""))


