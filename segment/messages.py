"""Messages a producer can act on, in place of a parser's words.

A newsroom producer editing a manifest reads "mapping values are not allowed here" as noise;
what they need is "the title holds ': '; put it in quotes: title: "Momentum: Against ISIL"".
Two sources of such words are translated here: YAML syntax errors (`yaml_problem`, given the
offending line) and pydantic's type errors (`type_problem`).

>>> print(yaml_problem("mapping values are not allowed in this context",
...                    ["title: Momentum: Against ISIL"], 0, 15))  # doctest: +NORMALIZE_WHITESPACE
the value of 'title' holds ": ", which YAML reads as a new key; put the value in quotes:
title: "Momentum: Against ISIL"
>>> type_problem("list_type", "authors", "Jane Reporter")
'authors: expected a list, e.g. authors: [Jane Reporter]'
"""

from __future__ import annotations

import re
from typing import Any

_KEY_VALUE = re.compile(r"^(?P<indent>\s*)(?:-\s+)?(?P<key>[^\s:#][^:#]*?):[ \t]+(?P<value>.*)$")
_RESERVED_START = {"@": "'@'", "`": "'`'", "*": "'*' (a YAML alias)", "&": "'&' (a YAML anchor)",
                   "!": "'!' (a YAML tag)", "%": "'%'", "|": "'|'", ">": "'>'", "-": "'- '",
                   "?": "'? '", "[": "'['", "{": "'{'"}


def yaml_problem(problem: str, lines: list[str], index: int | None,
                 column: int | None, first_line: int = 1) -> str:
    """The message for a YAML syntax error at `lines[index]` (0-based), column 0-based;
    `first_line` is the file line `lines` start on."""
    line = lines[index] if index is not None and 0 <= index < len(lines) else ""
    hint = _hint(problem, lines, index, column, line, first_line)
    return hint or f"YAML syntax error: {problem}"


def _hint(problem: str, lines: list[str], index: int | None, column: int | None,
          line: str, first_line: int) -> str | None:
    char = line[column] if column is not None and 0 <= column < len(line) else ""
    if char == "\t" or ("cannot start any token" in problem and "\t" in line[:column or 0]):
        return ("a tab character: YAML indents with spaces only; replace the tab with spaces")
    quote = _unclosed_quote(lines, index)
    if quote is not None and ("quoted scalar" in problem or "expected key" in problem or
                              "end of stream" in problem or "expected <block end>" in problem):
        return (f"the quote opened on line {quote + first_line} is not closed; close it or "
                "remove it")
    match = _KEY_VALUE.match(line)
    if match is None:
        if "could not find expected ':'" in problem or "simple key" in problem:
            return ("a line that is neither 'key: value' nor part of a value above; write "
                    "'key: value' (a space after the colon), or indent a continued value")
        return None
    key, value = match.group("key").strip(), match.group("value").rstrip()
    quoted = _quoted(value)
    if "mapping values are not allowed" in problem:
        if ": " in value or value.endswith(":"):
            return (f"the value of '{key}' holds \": \", which YAML reads as a new key; put "
                    f"the value in quotes: {key}: {quoted}")
        above = _key_above(lines, index)
        if above is not None and match.group("indent"):
            return (f"'{key}' is indented under '{above}', which already has a value; indent "
                    f"'{key}' like the keys around it")
        return None
    start = value[:1]
    if start in _RESERVED_START and ("cannot start any token" in problem or
                                     "alias" in problem or "anchor" in problem or
                                     "not allowed in this context" in problem or
                                     "tag" in problem or "directive" in problem):
        return (f"the value of '{key}' starts with {_RESERVED_START[start]}, which means "
                f"something else in YAML; put the value in quotes: {key}: {quoted}")
    if "unknown escape" in problem or "escape" in problem:
        return (f"in the double-quoted value of '{key}' a backslash starts an escape; write "
                f"\\\\ for a backslash, or use single quotes: {key}: {_single(value)}")
    return None


def _quoted(value: str) -> str:
    """`value` as a double-quoted YAML scalar (single quotes when it holds a double quote)."""
    if '"' in value:
        return _single(value)
    return '"' + value.replace("\\", "\\\\") + '"'


def _single(value: str) -> str:
    inner = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return "'" + inner.replace("'", "''") + "'"


def _unclosed_quote(lines: list[str], index: int | None) -> int | None:
    """The line (0-based), at or above `index`, whose value opens a quote it does not close."""
    if index is None:
        return None
    for at in range(min(index, len(lines) - 1), -1, -1):
        match = _KEY_VALUE.match(lines[at])
        value = match.group("value").rstrip() if match else ""
        if value[:1] in ("'", '"'):
            body = value[1:].replace("''", "") if value[0] == "'" else \
                re.sub(r"\\.", "", value[1:])
            if value[0] not in body:
                return at
    return None


def _key_above(lines: list[str], index: int | None) -> str | None:
    """The key of the nearest line above that holds 'key: value' (a value, not a mapping)."""
    if not index:
        return None
    for at in range(index - 1, -1, -1):
        if not lines[at].strip() or lines[at].lstrip().startswith("#"):
            continue
        match = _KEY_VALUE.match(lines[at])
        return match.group("key").strip() if match and match.group("value").strip() else None
    return None


_TYPES = {
    "list_type": "{name}: expected a list, e.g. {key}: [{shown}]",
    "string_type": "{name}: expected text; put the value in quotes: {key}: \"{shown}\"",
    "bool_type": "{name}: expected true or false (got {got})",
    "bool_parsing": "{name}: expected true or false (got {got})",
    "int_type": "{name}: expected a whole number (got {got})",
    "int_parsing": "{name}: expected a whole number (got {got})",
    "int_from_float": "{name}: expected a whole number (got {got})",
    "float_type": "{name}: expected a number (got {got})",
    "float_parsing": "{name}: expected a number (got {got})",
    "greater_than_equal": "{name}: must be {ge} or more (got {got})",
    "greater_than": "{name}: must be more than {gt} (got {got})",
    "less_than_equal": "{name}: must be {le} or less (got {got})",
    "string_too_long": "{name}: at most {max_length} characters (got {length})",
    "too_long": "{name}: at most {max_length} items (got {length})",
    "enum": "{name}: expected one of {expected} (got {got})",
    "literal_error": "{name}: expected one of {expected} (got {got})",
}


def type_problem(kind: str, name: str, value: Any, context: dict[str, Any] | None = None,
                 entries: bool = False) -> str | None:
    """A producer's message for a pydantic error of type `kind` at field `name` (dotted), or
    None when there is none better than pydantic's own. `entries`: the field is a list of
    mappings (persons, chapters), not of words."""
    if value is None and kind.endswith("_type"):
        return f"{name} is empty (nothing after the colon reads as null); write a value"
    if kind == "list_type" and entries:
        return (f"{name}: expected a list of entries, each on its own '- ' line with its keys "
                "indented under it (segpack schema shows them)")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return (f"{name}: expected keys under it, each on an indented 'key: value' line "
                f"(got {_got(value)})")
    template = _TYPES.get(kind)
    if template is None:
        return None
    key = name.rsplit(".", 1)[-1]
    shown = value if isinstance(value, str) else plain(value)
    if kind == "string_type" and isinstance(value, (list, dict)):
        return f"{name}: expected text, got a {'list' if isinstance(value, list) else 'mapping'}"
    fields = {"name": name, "key": key, "shown": shown, "got": _got(value),
              "length": len(value) if hasattr(value, "__len__") else "?", **(context or {})}
    try:
        return template.format(**fields)
    except (KeyError, IndexError):
        return None


def _got(value: Any) -> str:
    text = plain(value)
    text = f"'{text}'" if isinstance(value, str) else text
    return text if len(text) <= 60 else text[:57] + "..."


def plain(value: Any) -> str:
    """A value as YAML would show it, not as Python's repr: lists joined, true/false, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {plain(v)}" for k, v in value.items()) + "}"
    return str(value)
