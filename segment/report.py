"""Formatters for findings: one small function per output format, each taking the same records.

`text` is for people (`path:line:col: CODE message`), `json` for scripts, `github` for GitHub
Actions annotations, `junit` for CI dashboards. All write to a string; the CLI decides where.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
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


FORMATS: dict[str, Callable[[Sequence[Finding], int], str]] = {
    "text": as_text, "json": as_json, "github": as_github, "junit": as_junit,
}
