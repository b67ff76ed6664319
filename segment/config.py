"""Project settings from `[tool.segpack]` in the nearest pyproject.toml (like ruff and flake8).

Keys: `select`/`ignore` (rule code prefixes), `strict`, `max-title-length`,
`max-summary-length`, `words-per-minute` ([low, high]).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from segment.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KNOWN = {"select", "ignore", "strict", "max-title-length", "max-summary-length",
         "words-per-minute"}


def find_pyproject(start: Path) -> Path | None:
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_settings(start: Path | None = None) -> dict[str, Any]:
    path = find_pyproject(start or Path.cwd())
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read settings: {exc}", path) from None
    settings = data.get("tool", {}).get("segpack", {})
    unknown = set(settings) - KNOWN
    if unknown:
        raise UsageError(f"unknown setting(s) in [tool.segpack]: {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(KNOWN))}", path)
    return settings


def selected(code: str, select: list[str], ignore: list[str]) -> bool:
    """Longest matching prefix wins, as in ruff: `ignore SEG2` + `select SEG210` keeps SEG210."""
    best_select = max((len(p) for p in select if code.startswith(p)), default=-1)
    best_ignore = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return best_select > best_ignore
