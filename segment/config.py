"""Project settings from `[tool.segpack]` in a pyproject.toml (like ruff and flake8).

Every command finds them the same way: from the show folder upward, to the nearest
pyproject.toml that has a `[tool.segpack]` table (as ruff skips pyproject files without
`[tool.ruff]`), so `segpack build shows/a` run from anywhere reads what `shows/a` says.

Keys: `select`/`ignore` (rule code prefixes), `strict`, `max-title-length`,
`max-summary-length`, `words-per-minute` ([low, high]), `max-duration` (the longest segment,
"H:MM:SS" or seconds; default 24 h).

Light on purpose (no pydantic): a no-change `segpack build` reads its settings before
deciding there is nothing to do.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from segment.errors import UsageError
from segment.timecode import MAX_SECONDS

KNOWN: dict[str, str] = {
    "select": "a list of rule code prefixes, e.g. [\"SEG\"]",
    "ignore": "a list of rule code prefixes, e.g. [\"SEG212\"]",
    "strict": "true or false",
    "max-title-length": "a whole number of characters, e.g. 120",
    "max-summary-length": "a whole number of characters, e.g. 4000",
    "words-per-minute": "two whole numbers [low, high], e.g. [90, 220]",
    "max-duration": "a duration up to 1000:00:00 (H:MM:SS, or seconds), e.g. \"48:00:00\"",
}
"""Each setting and what its value must be (the message when it is not)."""
DURATION_CEILING = MAX_SECONDS
"""The largest max-duration accepted: the longest duration any text may give."""


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml from `start` (a folder) upward that has `[tool.segpack]`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _table(candidate) is not None:
            return candidate
    return None


def load_settings(start: Path) -> dict[str, Any]:
    """The settings that apply to the show folder (or plain folder) `start`; {} when none."""
    path = find_pyproject(start)
    return {} if path is None else dict(_table(path) or {})


def _table(path: Path) -> dict[str, Any] | None:
    """`[tool.segpack]` of a pyproject.toml, checked; None when it has none."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise UsageError(f"cannot read settings: {exc.strerror}", path) from None
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any] | None:
    """`_table`, read again only when the file changed (tests and long runs edit it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read settings: {exc}", path) from None
    if "segpack" not in text:  # not ours: an unrelated (even broken) file is passed by
        return None
    if sys.version_info >= (3, 11):  # imported here: most shows have no settings (~2 ms)
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"cannot read settings: {exc}", path) from None
    tool = data.get("tool", {})
    settings = tool.get("segpack") if isinstance(tool, dict) else None
    if settings is None:
        return None
    if not isinstance(settings, dict):
        raise UsageError("[tool.segpack] must be a table of settings", path)
    unknown = set(settings) - set(KNOWN)
    if unknown:
        raise UsageError(f"unknown setting(s) in [tool.segpack]: {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(KNOWN))}", path)
    for key, value in settings.items():
        if key == "max-duration":
            settings[key] = _duration(value, path)
        elif not _valid(key, value):
            raise UsageError(f"[tool.segpack] {key} = {value!r}: expected {KNOWN[key]}", path)
    return settings


def _duration(value: Any, path: Path) -> float:
    """max-duration in seconds ("48:00:00" or a number), within DURATION_CEILING."""
    from segment.timecode import parse_duration

    try:
        seconds = parse_duration(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= DURATION_CEILING:
        raise UsageError(f"[tool.segpack] max-duration = {value!r}: expected "
                         f"{KNOWN['max-duration']}", path)
    return seconds


def _valid(key: str, value: Any) -> bool:
    if key in ("select", "ignore"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key == "strict":
        return isinstance(value, bool)
    if key == "words-per-minute":
        return (isinstance(value, list) and len(value) == 2 and
                all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
                and value[0] < value[1])
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def with_options(settings: dict[str, Any], select: Iterable[str] = (),
                 ignore: Iterable[str] = (), strict: bool | None = None) -> dict[str, Any]:
    """The settings with command-line options put over them (an option given wins)."""
    merged = dict(settings)
    if select:
        merged["select"] = list(select)
    if ignore:
        merged["ignore"] = list(ignore)
    if strict is not None:
        merged["strict"] = strict
    return merged


def selected(code: str, select: list[str], ignore: list[str]) -> bool:
    """Longest matching prefix wins, as in ruff: `ignore SEG2` + `select SEG210` keeps SEG210."""
    best_select = max((len(p) for p in select if code.startswith(p)), default=-1)
    best_ignore = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return best_select > best_ignore


def reports(settings: dict[str, Any], code: str) -> bool:
    """Whether a finding with this code is reported under these settings' select/ignore."""
    return selected(code, settings.get("select", ["SEG"]), settings.get("ignore", []))
