"""Read YAML fast, with the line of every key, and safely.

Validation reads thousands of manifests, so it uses PyYAML's C parser (libyaml) and takes line
numbers from the composed nodes' marks; the round-trip library (ruamel.yaml) is kept for rewriting
files, where comments and key order matter and speed does not.

Scalars resolve by the YAML 1.2 core schema, as ruamel.yaml does when rewriting: `no` stays the
string "no" (a language code, not false), `3:41` stays a string (not 221 in base 60), and dates
stay strings for the models to parse. Anchors and aliases are refused: a manifest never needs them
and they are how "billion laughs" documents blow up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]


class CoreSchemaLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader with YAML 1.2 core-schema scalars (see module docstring)."""


CoreSchemaLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
     list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+0123456789.")),
):
    CoreSchemaLoader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


class YamlProblem(ValueError):
    """A YAML document that cannot be used; carries the 1-based line and a rule code."""

    def __init__(self, message: str, line: int | None, code: str):
        super().__init__(message)
        self.line = line
        self.code = code


@dataclass
class Located:
    """A loaded document and the 1-based (line, column) of each key (by path) within it."""

    data: Any
    lines: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
        """(line, column) of `path`, else of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return default


def load_located(text: str, first_line: int = 1) -> Located:
    """Parse one YAML document; `first_line` is the file line the text starts on.

    Raises YamlProblem for syntax errors, aliases and duplicate keys, each with its line.
    """
    _refuse_deep_nesting(text, first_line)
    loader = CoreSchemaLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + first_line if mark else None
            problem = exc.problem or exc.context or "syntax error"
            raise YamlProblem(f"YAML syntax error: {problem}", line, "SEG101") from None
        if node is None:
            return Located(None)
        lines: dict[Path_, int] = {}
        _check_and_index(node, (), lines, first_line, set())
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return Located(data, lines)


MAX_DEPTH = 64
_DEEP_INDENT = re.compile(rf"^ {{{2 * MAX_DEPTH},}}", re.M)


def _refuse_deep_nesting(text: str, offset: int) -> None:
    """Refuse documents nested deeper than MAX_DEPTH before libyaml's composer recurses on them.

    libyaml composes recursively in C and crashes the interpreter on ~100,000 levels, so depth
    is checked on the event stream first. That stream costs time, so it is only walked when the
    text has enough openers to be that deep at all.
    """
    openers = text.count("[") + text.count("{") + text.count("- ") + text.count("? ")
    if openers < 4 * MAX_DEPTH and not _DEEP_INDENT.search(text):
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlProblem(f"YAML nested deeper than {MAX_DEPTH} levels",
                                      event.start_mark.line + offset, "SEG101")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError:
        return  # the real parse reports the syntax error with its line


def _check_and_index(node: yaml.Node, path: Path_, lines: dict[Path_, tuple[int, int]],
                     offset: int,
                     seen: set[int]) -> None:
    """Record key lines; refuse aliases (a node reached twice) and duplicate keys."""
    if len(path) > MAX_DEPTH:
        raise YamlProblem(f"YAML nested deeper than {MAX_DEPTH} levels",
                          node.start_mark.line + offset, "SEG101")
    if id(node) in seen or getattr(node, "anchor", None):
        raise YamlProblem("YAML anchors and aliases are not allowed in manifests; write the "
                          "value out", node.start_mark.line + offset, "SEG106")
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[Any] = set()
        for key_node, value_node in node.value:
            if id(key_node) in seen:
                raise YamlProblem("YAML aliases are not allowed in manifests",
                                  key_node.start_mark.line + offset, "SEG106")
            seen.add(id(key_node))
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            mark = key_node.start_mark
            if key in keys:
                raise YamlProblem(f"duplicate key {key!r}; keep one", mark.line + offset, "SEG108")
            keys.add(key)
            lines[(*path, key)] = (mark.line + offset, mark.column + 1)
            _check_and_index(value_node, (*path, key), lines, offset, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = (item.start_mark.line + offset, item.start_mark.column + 1)
            _check_and_index(item, (*path, index), lines, offset, seen)
