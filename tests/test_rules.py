"""Rule cases are data: each tests/rules/*.yaml holds a manifest and/or a show.yaml and the
codes they must give (with, optionally, the lines they are on and words the message must hold;
with a show.yaml and a manifest, the show folder is validated)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from segment.rules import RULES
from segment.validate import validate_paths

CASES = sorted((Path(__file__).parent / "rules").glob("*.yaml"))


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_rule_case(case_file: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    (tmp_path / "segments").mkdir()
    manifest = tmp_path / "segments" / f"{case_file.stem}.md"
    show = tmp_path / "show.yaml"
    if "manifest" in case:
        manifest.write_text(case["manifest"], encoding="utf-8")
    if "show" in case:
        show.write_text(case["show"], encoding="utf-8")
    target = manifest if "show" not in case else tmp_path if "manifest" in case else show
    report = validate_paths([target])
    codes = sorted({f.code for f in report.findings})
    assert codes == sorted(case["expect"]), [f"{f.line}: {f.code} {f.message}"
                                             for f in report.findings]
    for code, line in (case.get("lines") or {}).items():
        assert [f.line for f in report.findings if f.code == code] == [line]
    if "message" in case:  # what a producer reads: words to act on, not the parser's
        assert [f.message for f in report.findings if case["message"] in f.message], \
            [f.message for f in report.findings]
    for finding in report.findings:
        assert finding.path in (str(manifest), str(show))
        assert "\n" not in finding.message


def test_every_case_code_is_registered_and_every_rule_has_docs() -> None:
    for case_file in CASES:
        for code in yaml.safe_load(case_file.read_text(encoding="utf-8"))["expect"]:
            assert code in RULES
    for rule in RULES.values():
        assert rule.summary and rule.name and rule.code[:4] == "SEG" + rule.code[3]


def test_a_finding_has_its_rules_severity_and_no_other() -> None:
    """One severity per code, wherever the finding is raised (validate, tag, build)."""
    from segment.rules import Finding

    for code, rule in RULES.items():
        finding = Finding(code, "message", "where.md")
        assert finding.severity == rule.severity
        assert Finding.from_tuple(finding.as_tuple()) == finding
    with pytest.raises(TypeError):
        Finding("SEG303", "message", "where.md", severity="warning")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="not a rule"):
        Finding("SEG999", "message", "where.md")


def test_a_rule_code_or_name_cannot_be_declared_twice() -> None:
    from segment.rules import declare

    some = next(iter(RULES.values()))
    with pytest.raises(ValueError, match="declared twice"):
        declare(some.code, "another-name", some.severity, "summary")
    with pytest.raises(ValueError, match="declared twice"):
        declare("SEG998", some.name, some.severity, "summary")
    assert "SEG998" not in RULES


def test_every_rule_has_a_bad_and_a_good_example_or_says_what_it_checks() -> None:
    """The docstring is the documentation (`segpack rules`): each directory rule shows both."""
    from segment.rules import SHOW_CHECKS

    codes = {rule.code for rule, _ in SHOW_CHECKS} | {
        "SEG215", "SEG216", "SEG308", "SEG309", "SEG310", "SEG408", "SEG410", "SEG414"}
    for code in sorted(codes):
        doc = RULES[code].doc
        assert "bad:" in doc and "good:" in doc, f"{code}: {doc!r}"


def test_data_modules_doctests() -> None:
    import doctest

    from segment import categories, licences, taxonomy

    for module in (categories, licences, taxonomy):
        assert doctest.testmod(module).failed == 0, module.__name__
