"""Formatters for findings: one small function per output format, each taking the same records.

`text` is for people (`path:line:col: CODE message`), `json` for scripts, `github` for GitHub
Actions annotations, `junit` (and `junit-xunit`) for CI dashboards. All write to a string; the
CLI decides where. `grouped` is the people's view of many findings (build, import).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from segment.rules import RULES, Finding, Severity


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    counts = Counter(f.severity.value for f in findings if f.severity)
    return {s.value: counts.get(s.value, 0) for s in Severity}


def as_text(findings: Sequence[Finding], files: int, checked: Sequence[str] = (),
            strict: bool = False) -> str:
    lines = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in findings]
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(findings: Sequence[Finding], files: int, checked: Sequence[str] = (),
            strict: bool = False) -> str:
    return json.dumps({"files": files, "summary": summary(findings),
                       "findings": [f.as_dict() for f in findings]},
                      indent=2, ensure_ascii=False) + "\n"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def as_github(findings: Sequence[Finding], files: int, checked: Sequence[str] = (),
              strict: bool = False) -> str:
    """GitHub Actions workflow commands, one annotation per finding. Under `strict` a
    warning fails the job, so it is annotated as an error (titled `CODE (warning,
    --strict)`): a red job shows red annotations saying why, as its JUnit report does."""
    level = {Severity.ERROR: "error", Severity.WARNING: "error" if strict else "warning",
             Severity.INFO: "notice"}
    lines = [f"::{level[f.severity]} file={_gh_escape(f.path, True)},line={f.line},"
             f"col={f.column},title={_gh_escape(_gh_title(f, strict), True)}::"
             f"{_gh_escape(f'{f.code} {f.message}')}"
             for f in findings if f.severity]
    return "\n".join(lines) + ("\n" if lines else "")


def _gh_title(f: Finding, strict: bool) -> str:
    return f"{f.code} (warning; --strict)" if strict and f.severity is Severity.WARNING \
        else f.code


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    """Text XML 1.0 can carry: a character it cannot (the subject of SEG209/SEG214) is written
    as its code point, so the report stays readable by every JUnit reader."""
    return _NOT_XML.sub(lambda m: f"U+{ord(m.group()):04X}", text)


def as_junit(findings: Sequence[Finding], files: int, checked: Sequence[str] = (),
             strict: bool = False, locations: bool = True) -> str:
    """One testcase per file checked (and per folder a finding names), as linters report to
    CI dashboards: it fails on errors (and on warnings when `strict`), with every failing
    finding in its `<failure>`; other findings go to its `<system-out>`, so a warnings-only
    run is green as its exit status is. `locations`: `file` and `line` attributes on each
    testcase (read by GitLab, CircleCI, GitHub report actions and Jenkins' junit step; the
    Jenkins xUnit plugin's schema forbids them: `junit-xunit`)."""
    fails = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    by_path: dict[str, list[Finding]] = {path: [] for path in checked}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    failed = sum(any(f.severity in fails for f in found) for found in by_path.values())
    counts = {"name": "segpack validate", "tests": str(len(by_path)), "failures": str(failed),
              "errors": "0"}
    root = ET.Element("testsuites", counts)
    suite = ET.SubElement(root, "testsuite", {**counts, "skipped": "0"})
    for path in sorted(by_path):
        found = sorted(by_path[path], key=lambda f: (f.line, f.column, f.code))
        failing = [f for f in found if f.severity in fails]
        folder, _, name = path.rpartition("/")
        case = ET.SubElement(suite, "testcase", name=name or path, classname=folder or ".")
        if locations:
            case.set("file", path)
            case.set("line", str((failing or found)[0].line if found else 1))
        if failing:
            first = failing[0]
            more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
            failure = ET.SubElement(case, "failure", type=first.code,
                                    message=_xml_safe(f"{first.code} {first.message}{more}"))
            failure.text = _xml_safe("\n".join(map(_line, failing)))
        rest = [f for f in found if f not in failing]
        if rest:
            ET.SubElement(case, "system-out").text = _xml_safe("\n".join(map(_line, rest)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _line(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity.value}: {f.message}"


def as_junit_xunit(findings: Sequence[Finding], files: int, checked: Sequence[str] = (),
                   strict: bool = False) -> str:
    """`as_junit` without the `file`/`line` attributes, for the Jenkins xUnit plugin, which
    checks reports against its junit-10.xsd (and skips a report that has them)."""
    return as_junit(findings, files, checked, strict, locations=False)


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


FORMATS: dict[str, Callable[..., str]] = {
    "text": as_text, "json": as_json, "github": as_github, "junit": as_junit,
    "junit-xunit": as_junit_xunit,
}
"""Each takes (findings, files checked, their paths, strict) and returns the report."""
