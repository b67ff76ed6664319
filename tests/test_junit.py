"""`segpack validate --format junit`: one testcase per file, green when the exit status is 0,
checked with lxml against the schemas the Jenkins xUnit plugin validates reports with
(tests/data/junit/README.md says which, and why there are two)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from segment.cli import main
from segment.report import as_junit
from segment.rules import Finding
from tests.conftest import EXAMPLE

SCHEMAS = Path(__file__).parent / "data" / "junit"
MANIFEST = "segments/momentum-against-isil-builds.md"


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


WITH_LOCATIONS = schema("xunit-junit-10-2014.xsd")
XUNIT_TODAY = schema("xunit-junit-10.xsd")


def junit(capsys, *argv: str, fmt: str = "junit") -> tuple[int, etree._Element]:
    code = main(["validate", "--format", fmt, *map(str, argv)])
    out = capsys.readouterr().out
    return code, etree.fromstring(out.encode())


def cases(root: etree._Element) -> dict[str, etree._Element]:
    return {c.get("name"): c for c in root.iter("testcase")}


def test_a_warnings_only_run_is_green_one_testcase_per_file(capsys) -> None:
    code, root = junit(capsys, EXAMPLE)
    assert code == 0
    WITH_LOCATIONS.assertValid(root)
    found = cases(root)
    assert set(found) == {"show.yaml", "momentum-against-isil-builds.md"}
    assert root.get("tests") == "2" and root.get("failures") == "0"
    assert not list(root.iter("failure"))  # warnings do not fail a testcase
    case = found["momentum-against-isil-builds.md"]
    assert case.get("file") == f"{EXAMPLE}/{MANIFEST}"
    assert case.get("classname") == f"{EXAMPLE}/segments"
    assert case.get("line") == "9"  # the first finding's line
    out = case.find("system-out").text.splitlines()
    assert [line.split(": ")[1].split()[0] for line in out] == ["SEG212", "SEG213", "SEG210"]


def test_errors_fail_their_file_only(capsys, example_show: Path) -> None:
    manifest = example_show / MANIFEST
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('duration: "3:41"', "duration: 3m"), encoding="utf-8")
    (example_show / "segments" / "fine.md").write_text(
        "---\nid: fine\ntitle: Fine\nduration: 1\nlanguage: en\npublished: "
        "2024-01-01T00:00:00Z\naudio: {direct_link: 'https://n.example.org/a.mp3', length: 1, "
        "type: audio/mpeg}\nsource: {url: 'https://n.example.org/a'}\n---\nWords.\n",
        encoding="utf-8")
    code, root = junit(capsys, example_show)
    assert code == 1
    WITH_LOCATIONS.assertValid(root)
    found = cases(root)
    assert root.get("tests") == "3" and root.get("failures") == "1"
    [failure] = found["momentum-against-isil-builds.md"].findall("failure")
    assert failure.get("type") == "SEG202" and failure.get("message").startswith("SEG202 '3m'")
    assert found["momentum-against-isil-builds.md"].get("line") == "5"
    assert failure.text.startswith(f"{manifest}:5:1: SEG202 error: ")
    assert found["fine.md"].find("failure") is None and found["fine.md"].find("system-out") \
        is None


def test_strict_makes_warnings_fail(capsys) -> None:
    code, root = junit(capsys, "--strict", EXAMPLE)
    assert code == 1
    WITH_LOCATIONS.assertValid(root)
    [failure] = root.iter("failure")
    assert failure.get("message").endswith("(and 2 more)")
    assert len(failure.text.splitlines()) == 3


def test_strict_from_settings_makes_warnings_fail(capsys, example_show: Path) -> None:
    (example_show / "pyproject.toml").write_text("[tool.segpack]\nstrict = true\n",
                                                 encoding="utf-8")
    code, root = junit(capsys, example_show)
    assert code == 1 and root.get("failures") == "1"


def test_junit_xunit_validates_against_the_xunit_plugins_schema_of_today(capsys) -> None:
    """The xUnit plugin (2.2.4 and later) skips reports with `file`/`line` on a testcase;
    `junit-xunit` leaves them out, `junit` has them (and so fails that schema)."""
    code, root = junit(capsys, "--strict", EXAMPLE, fmt="junit-xunit")
    assert code == 1
    XUNIT_TODAY.assertValid(root)
    assert all(c.get("file") is None and c.get("line") is None for c in root.iter("testcase"))
    assert len(list(root.iter("failure"))) == 1
    _, with_locations = junit(capsys, EXAMPLE)
    assert not XUNIT_TODAY.validate(with_locations)
    assert "'file' is not allowed" in str(XUNIT_TODAY.error_log)


def test_a_folder_named_by_a_finding_is_a_testcase(capsys, tmp_path: Path) -> None:
    (tmp_path / "segments").mkdir()
    code, root = junit(capsys, tmp_path)
    assert code == 1
    WITH_LOCATIONS.assertValid(root)
    assert {c.get("file") for c in root.iter("testcase")} == {str(tmp_path)}


def test_characters_xml_cannot_carry_are_written_as_code_points() -> None:
    text = as_junit([Finding("SEG207", "got 'a\x07b\ufffe'", "x.md", 3)], 1)
    root = etree.fromstring(text.encode())
    WITH_LOCATIONS.assertValid(root)
    assert root.find(".//failure").get("message") == "SEG207 got 'aU+0007bU+FFFE'"


@pytest.mark.parametrize("fmt", ["junit", "junit-xunit"])
def test_the_report_file_is_written_whole(capsys, tmp_path: Path, fmt: str) -> None:
    report = tmp_path / "out" / "junit.xml"
    report.parent.mkdir()
    code = main(["validate", "--format", fmt, "--output-file", str(report), str(EXAMPLE)])
    assert code == 0 and capsys.readouterr().out == ""
    (WITH_LOCATIONS if fmt == "junit" else XUNIT_TODAY).assertValid(etree.parse(str(report)))
