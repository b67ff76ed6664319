"""Formatters for findings: one small function per output format, each taking the same records.

`text` is for people (`path:line:col: CODE message`), `json` for scripts, `github` for GitHub
Actions annotations, `junit` for CI dashboards. All write to a string; the CLI decides where.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from segment.rules import RULES, Finding, Severity


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    counts = Counter(f.severity.value for f in findings if f.severity)
    return {s.value: counts.get(s.value, 0) for s in Severity}


def as_text(findings: Sequence[Finding], files: int) -> str:
    lines = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in findings]
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(findings: Sequence[Finding], files: int) -> str:
    return json.dumps({"files": files, "summary": summary(findings),
                       "findings": [f.as_dict() for f in findings]},
                      indent=2, ensure_ascii=False) + "\n"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def as_github(findings: Sequence[Finding], files: int) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = [f"::{level[f.severity]} file={_gh_escape(f.path, True)},line={f.line},"
             f"col={f.column},title={f.code}::{_gh_escape(f'{f.code} {f.message}')}"
             for f in findings if f.severity]
    return "\n".join(lines) + ("\n" if lines else "")


def as_junit(findings: Sequence[Finding], files: int) -> str:
    """One testcase per finding (failure for errors, skipped-free); a clean run has one pass."""
    counts = summary(findings)
    suite = ET.Element("testsuite", name="segpack validate", tests=str(max(len(findings), 1)),
                       failures=str(counts["error"] + counts["warning"]), errors="0")
    for f in findings:
        case = ET.SubElement(suite, "testcase", classname=f.path,
                             name=f"{f.code} {RULES[f.code].name if f.code in RULES else ''} "
                                  f"line {f.line}")
        failure = ET.SubElement(case, "failure", type=f.severity.value if f.severity else "",
                                message=f"{f.code} {f.message}")
        failure.text = f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}"
    if not findings:
        ET.SubElement(suite, "testcase", classname="segpack", name=f"{files} files valid")
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


GROUP_FROM = 4
"""A code found this many times or more is told as one line (with an example), not one each."""


@dataclass(frozen=True)
class Line:
    """One line of a findings report for people: `before` + `code` + `after` (the code is
    what a terminal colours by severity)."""

    severity: Severity
    before: str
    code: str
    after: str

    def __str__(self) -> str:
        return f"{self.before}{self.code}{self.after}"


def grouped(findings: Sequence[Finding], verbose: bool = False) -> list[Line]:
    """Findings for people reading a build or import: errors first, then warnings, then the
    rest; by code, each code's findings in place order. A code found `GROUP_FROM` times or
    more is told once, with a count and the first as an example, unless `verbose`:

        SEG213 warning in 50 files: the article page's URL is unknown
          e.g. segments/a.md:11:3: no source page URL (source.url): ...
        (repeated findings are grouped by code: --verbose lists each one)
    """
    rank = {Severity.ERROR: 0, Severity.WARNING: 1}
    by_code: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (rank.get(f.severity, 2), f.code, f.path, f.line,
                                             f.column)):
        by_code.setdefault(f.code, []).append(f)
    lines: list[Line] = []
    folded = False
    for code, found in by_code.items():
        if verbose or len(found) < GROUP_FROM:
            lines.extend(Line(f.severity, f"{f.path}:{f.line}:{f.column}: ", f.code,
                              f" {f.message}") for f in found)
            continue
        folded = True
        first = found[0]
        files = len({f.path for f in found})
        rule = RULES.get(code)
        where = f"{files} files" if files == len(found) else \
            f"{len(found)} places in {files} file{'s' * (files != 1)}"
        lines.append(Line(first.severity, "", code,
                          f" {first.severity.value} in {where}: "
                          f"{rule.summary if rule else first.message}\n  e.g. {first.path}:"
                          f"{first.line}:{first.column}: {first.message}"))
    if folded:
        lines.append(Line(Severity.INFO, "(repeated findings are grouped by code: --verbose "
                          "lists each one)", "", ""))
    return lines


def counts_by_code(findings: Sequence[Finding]) -> str:
    """`50 SEG210, 50 SEG213`: what a no-change build says instead of replaying findings."""
    counts = Counter(f.code for f in findings)
    return ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))


FORMATS: dict[str, Callable[[Sequence[Finding], int], str]] = {
    "text": as_text, "json": as_json, "github": as_github, "junit": as_junit,
}
