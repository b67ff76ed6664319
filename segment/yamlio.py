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
from dataclasses import dataclass
from typing import Any

import yaml

from segment.messages import yaml_problem

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]


_STR, _SEQ, _MAP = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
_NULL, _BOOL = "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_CORE_NUMBERS = (
    ("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")),
    ("tag:yaml.org,2002:float", re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")),
)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = frozenset(("true", "True", "TRUE", "false", "False", "FALSE"))
_NUMBER_START = frozenset("-+0123456789.")


class CoreSchemaLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe C loader with YAML 1.2 core-schema scalars (see module docstring).

    `resolve` is called from C for every node; this version does only what the core schema
    needs (no path resolvers), which keeps it cheap on the validate hot path.
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                if value in _NULLS:
                    return _NULL
                if value in _BOOLS:
                    return _BOOL
                if value[0] in _NUMBER_START:
                    for tag, pattern in _CORE_NUMBERS:
                        if pattern.match(value):
                            return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class YamlProblem(ValueError):
    """A YAML document that cannot be used; carries the 1-based line and a rule code."""

    def __init__(self, message: str, line: int | None, code: str):
        super().__init__(message)
        self.line = line
        self.code = code


@dataclass
class Located:
    """A loaded document plus its node tree, to find the (line, column) of any key on demand.

    Positions are looked up lazily: most files have no findings, so most never need one.
    """

    data: Any
    root: yaml.Node | None = None
    offset: int = 1

    def position(self, path: Path_, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
        """(line, column) of the key at `path`, else of its nearest ancestor that has one."""
        node, found = self.root, default
        for part in path:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == part:
                        found = (key_node.start_mark.line + self.offset,
                                 key_node.start_mark.column + 1)
                        node = value_node
                        break
                else:
                    return found
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and \
                    0 <= part < len(node.value):
                node = node.value[part]
                found = (node.start_mark.line + self.offset, node.start_mark.column + 1)
            else:
                return found
        return found


def load_located(text: str, first_line: int = 1) -> Located:
    """Parse one YAML document; `first_line` is the file line the text starts on.

    Raises YamlProblem for syntax errors, aliases, duplicate keys and deep nesting, with lines.
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
            raise YamlProblem(yaml_problem(problem, text.splitlines(), mark and mark.line,
                                           mark and mark.column, first_line),
                              line, "SEG101") from None
        except yaml.reader.ReaderError as exc:  # a character YAML may not hold, e.g. U+0007
            line = text.count("\n", 0, max(exc.position, 0)) + first_line
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            raise YamlProblem(f"contains control character U+{code:04X}; remove it",
                              line, "SEG209") from None
    finally:
        loader.dispose()
    if node is None:
        return Located(None, None, first_line)
    # Aliases can only exist where '*' appears; only then pay for tracking visited nodes.
    seen: set[int] | None = set() if "*" in text else None
    return Located(_build(node, first_line, seen, 0), node, first_line)


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
                    line = event.start_mark.line if event.start_mark else 0
                    raise YamlProblem(f"YAML nested deeper than {MAX_DEPTH} levels",
                                      line + offset, "SEG101")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # the real parse reports the error (syntax, control character) with its line


def _int(text: str) -> int:
    return int(text, 0) if text[:2] in ("0x", "0o") else int(text)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(("inf", "nan")):
        return float(lowered.replace(".", ""))
    return float(text)


_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:null": lambda text: None,
    "tag:yaml.org,2002:bool": lambda text: text in ("true", "True", "TRUE"),
    "tag:yaml.org,2002:int": _int,
    "tag:yaml.org,2002:float": _float,
}


def _build(node: yaml.Node, offset: int, seen: set[int] | None, depth: int) -> Any:
    """Plain Python data from a node tree, refusing aliases, duplicate keys and odd tags.

    One walk instead of PyYAML's constructor plus a second indexing pass: the hot path of
    validating thousands of files, hence the exact-type checks.
    """
    if seen is not None:
        if id(node) in seen:
            raise YamlProblem("YAML anchors and aliases are not allowed in manifests; write "
                              "the value out", node.start_mark.line + offset, "SEG106")
        seen.add(id(node))
    kind = type(node)
    if kind is _Scalar:
        convert = _SCALARS.get(node.tag)
        if convert is None:
            raise YamlProblem(f"YAML tag {node.tag!r} is not allowed",
                              node.start_mark.line + offset, "SEG101")
        return convert(node.value)
    if depth > MAX_DEPTH:
        raise YamlProblem(f"YAML nested deeper than {MAX_DEPTH} levels",
                          node.start_mark.line + offset, "SEG101")
    if kind is _Sequence:
        return [_build(item, offset, seen, depth + 1) for item in node.value]
    if node.tag != "tag:yaml.org,2002:map":
        raise YamlProblem(f"YAML tag {node.tag!r} is not allowed", node.start_mark.line + offset,
                          "SEG101")
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not _Scalar or key_node.tag not in _SCALARS:
            raise YamlProblem("keys must be plain words", key_node.start_mark.line + offset,
                              "SEG101")
        key = _SCALARS[key_node.tag](key_node.value)
        if key in result:
            raise YamlProblem(f"duplicate key {key!r}; keep one",
                              key_node.start_mark.line + offset, "SEG108")
        value_kind = type(value_node)
        if value_kind is _Scalar and seen is None and value_node.tag in _SCALARS:
            result[key] = _SCALARS[value_node.tag](value_node.value)
        else:
            result[key] = _build(value_node, offset, seen, depth + 1)
    return result


_Scalar, _Sequence = yaml.ScalarNode, yaml.SequenceNode
