"""`segpack validate` as CI uses it: formats parsed back, exit codes, settings, example show."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from segment.cli import main
from tests.conftest import EXAMPLE

BROKEN = """---
id: broken
title: Broken
duration: 3m
language: en
---
Some words.
"""


@pytest.fixture
def show_with_error(example_show: Path) -> Path:
    (example_show / "segments" / "broken.md").write_text(BROKEN, encoding="utf-8")
    return example_show


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_example_show_validates_with_exactly_the_unknowns_as_warnings(capsys) -> None:
    code, out, err = run(capsys, "validate", "--format", "json", str(EXAMPLE))
    assert code == 0, out + err
    report = json.loads(out)
    assert report["summary"]["error"] == 0
    fields = sorted(f["field"] for f in report["findings"])
    assert all(f["severity"] == "warning" for f in report["findings"])
    # what the reference page does not give: publication date, source URL, direct link
    assert "published" in fields and "source.url" in fields
    assert any(f.startswith("audio") for f in fields)
    assert len(fields) == 3


def test_text_format_is_path_line_col_code(capsys, show_with_error: Path) -> None:
    code, out, err = run(capsys, "validate", str(show_with_error))
    assert code == 1
    broken = [line for line in out.splitlines() if "broken.md" in line]
    assert broken == [f"{show_with_error}/segments/broken.md:4:1: SEG202 '3m' is not a "
                      "duration; write SS, M:SS or H:MM:SS (e.g. 3:41)"]
    assert re.search(r"checked: 1 error, \d+ warnings", err)


def test_json_format_parses(capsys, show_with_error: Path) -> None:
    code, out, _ = run(capsys, "validate", "--json", str(show_with_error))
    report = json.loads(out)
    assert code == 1 and report["files"] == 3
    [error] = [f for f in report["findings"] if f["severity"] == "error"]
    assert error == {"code": "SEG202", "severity": "error", "message": error["message"],
                     "path": f"{show_with_error}/segments/broken.md", "line": 4, "column": 1,
                     "field": "duration", "rule": "bad-duration"}


def test_github_format(capsys, show_with_error: Path) -> None:
    _, out, _ = run(capsys, "validate", "--format", "github", str(show_with_error))
    lines = out.splitlines()
    assert any(line.startswith("::error file=") and ",line=4," in line and "SEG202" in line
               for line in lines)
    assert all(re.match(r"^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,title=SEG\d{3}::",
                        line) for line in lines)


def test_strict_and_exit_zero(capsys) -> None:
    assert run(capsys, "validate", "--strict", str(EXAMPLE))[0] == 1
    assert run(capsys, "validate", "--strict", "--exit-zero", str(EXAMPLE))[0] == 0


def test_select_and_ignore_by_prefix_hide_warnings_never_errors(capsys,
                                                                 show_with_error: Path) -> None:
    """As in build: an ignored error still fails (a green validate is a build that goes)."""
    code, out, _ = run(capsys, "validate", "--json", "--ignore", "SEG21", str(show_with_error))
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert code == 1 and "SEG202" in codes and not {c for c in codes if c.startswith("SEG21")}
    code, out, _ = run(capsys, "validate", "--json", "--ignore", "SEG202", str(show_with_error))
    assert code == 1 and "SEG202" in out
    code, out, _ = run(capsys, "validate", "--json", "--select", "SEG21",
                       str(show_with_error))
    found = json.loads(out)["findings"]
    assert {f["code"][:5] for f in found if f["severity"] == "warning"} == {"SEG21"}
    assert {f["code"] for f in found if f["severity"] == "error"} == {"SEG202"}


def test_settings_from_pyproject(capsys, show_with_error: Path, monkeypatch) -> None:
    (show_with_error / "pyproject.toml").write_text(
        '[tool.segpack]\nignore = ["SEG2"]\nselect = ["SEG", "SEG210"]\nstrict = true\n',
        encoding="utf-8")
    monkeypatch.chdir(show_with_error)
    code, out, _ = run(capsys, "validate", "--json", ".")
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert "SEG213" not in codes and "SEG210" in codes
    assert "SEG202" in codes  # an error: never hidden
    assert code == 1


def test_settings_are_found_from_the_show_folder_not_the_current_one(
        capsys, show_with_error: Path, tmp_path: Path, monkeypatch) -> None:
    """Run from anywhere, a show's settings are its own (the nearest pyproject.toml with
    [tool.segpack] above the show folder; one without the table is passed by)."""
    project = show_with_error.parent
    (project / "pyproject.toml").write_text('[tool.segpack]\nignore = ["SEG213"]\n',
                                            encoding="utf-8")
    (show_with_error / "pyproject.toml").write_text('[project]\nname = "x"\n',
                                                    encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text('[tool.segpack]\nstrict = true\n',
                                              encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    example = show_with_error / "segments" / "momentum-against-isil-builds.md"
    for target in (example, show_with_error / "show.yaml"):
        code, out, _ = run(capsys, "validate", "--json", str(target))
        assert code == 0 and "SEG213" not in out, target  # not strict, SEG213 ignored
    code, out, _ = run(capsys, "validate", "--json", str(show_with_error))
    assert code == 1 and "SEG213" not in out and "SEG202" in out


def test_paths_under_different_settings_each_get_their_own(capsys, example_show: Path,
                                                             show_with_error: Path,
                                                             tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(show_with_error, other)
    (other / "pyproject.toml").write_text('[tool.segpack]\nignore = ["SEG2"]\n',
                                          encoding="utf-8")
    code, out, _ = run(capsys, "validate", "--json", str(show_with_error), str(other))
    found = json.loads(out)["findings"]
    assert code == 1
    assert {f["path"] for f in found if f["code"] == "SEG202"} == {  # an error: never hidden
        str(show_with_error / "segments/broken.md"), str(other / "segments/broken.md")}
    assert not [f for f in found if f["path"].startswith(str(other)) and
                f["code"].startswith("SEG2") and f["severity"] == "warning"]
    assert [f for f in found if f["path"].startswith(str(show_with_error)) and
            f["code"].startswith("SEG2") and f["severity"] == "warning"]


@pytest.mark.parametrize("text, words", [
    ("[tool.segpack]\nignroe = []\n", ["ignroe", "known:"]),
    ("[tool.segpack]\nstrict = \"yes\"\n", ["strict = 'yes'", "true or false"]),
    ("[tool.segpack]\nselect = \"SEG2\"\n", ["select", "a list of rule code prefixes"]),
    ("[tool.segpack]\nwords-per-minute = [220, 90]\n", ["words-per-minute", "[low, high]"]),
    ("[tool.segpack\n", ["cannot read settings"]),
])
def test_bad_settings_are_a_usage_error(capsys, example_show: Path, text: str,
                                        words: list[str]) -> None:
    (example_show / "pyproject.toml").write_text(text, encoding="utf-8")
    for command in (["validate"], ["build", "-o", str(example_show.parent / "public")]):
        code, _, err = run(capsys, *command, str(example_show))
        assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1, err
        assert all(word in err for word in words), err
        assert "pyproject.toml" in err


def test_usage_errors_exit_2(capsys) -> None:
    assert run(capsys, "validate")[0] == 2
    assert run(capsys, "validate", "--format", "yaml", str(EXAMPLE))[0] == 2
    code, _, err = run(capsys, "validate", "/no/such/place")
    assert code == 2 and "/no/such/place" in err


def test_duplicate_ids_across_a_show(capsys, example_show: Path) -> None:
    source = example_show / "segments" / "momentum-against-isil-builds.md"
    shutil.copy(source, example_show / "segments" / "copy.md")
    code, out, _ = run(capsys, "validate", "--json", str(example_show))
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert code == 1 and {"SEG401", "SEG405"} <= codes


def test_schema_command(capsys) -> None:
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    manifest = schema["manifest"]
    assert code == 0 and manifest["additionalProperties"] is False
    assert {"id", "title", "language"} <= set(manifest["required"])
    assert "duration" not in manifest["required"]  # a migrated item may have none (SEG217)
    assert "transcript" not in manifest["properties"]
    assert "feed_url" in schema["show"]["properties"]


def test_rules_command_lists_every_family(capsys) -> None:
    code, out, _ = run(capsys, "rules", "--json")
    families = {r["code"][:4] for r in json.loads(out)}
    assert code == 0 and families == {"SEG1", "SEG2", "SEG3", "SEG4", "SEG5"}


def test_parallel_validation_reports_what_one_process_does(capsys, tmp_path: Path) -> None:
    """420 manifests (past the 400 where workers start), with errors, warnings and an id used
    twice in files that land in different worker chunks: same report, same exit status."""
    show = tmp_path / "show"
    shutil.copytree(EXAMPLE, show, ignore=shutil.ignore_patterns("media"))
    source = next((show / "segments").glob("*.md")).read_text(encoding="utf-8")
    first_id = re.search(r"^id: (\S+)", source, re.M).group(1)
    for n in range(420):
        text = source.replace(f"id: {first_id}", f"id: item-{n:03d}")
        if n == 7:
            text = text.replace("title:", "title: ''\nsummary_x: typo\nold_title:")
        if n in (3, 400):
            text = text.replace(f"id: item-{n:03d}", "id: shared-id")
        (show / "segments" / f"item-{n:03d}.md").write_text(text, encoding="utf-8")
    one = run(capsys, "validate", "--format", "json", "--jobs", "1", str(show))
    two = run(capsys, "validate", "--format", "json", "--jobs", "2", str(show))
    assert one[0] == two[0] == 1
    assert one[1] == two[1]
    codes = {f["code"] for f in json.loads(two[1])["findings"]}
    assert {"SEG102", "SEG401", "SEG405"} <= codes


_FORKED_WITH: list[set[int]] | None = None
"""Threads (idents) alive at each fork while a test records (None: not recording)."""


def _record_threads_at_fork() -> None:
    import threading

    if _FORKED_WITH is not None:
        _FORKED_WITH.append({t.ident for t in threading.enumerate()})


os.register_at_fork(before=_record_threads_at_fork)


def test_progress_bar_thread_never_runs_while_workers_fork(tmp_path: Path) -> None:
    """rich draws its bar from a thread; forking workers while it may hold a lock could
    deadlock them, so each folder's bar is stopped before the next folder's workers fork."""
    global _FORKED_WITH
    from segment.progress import Steps
    from segment.validate import validate_paths

    source = next((EXAMPLE / "segments").glob("*.md")).read_text(encoding="utf-8")
    first_id = re.search(r"^id: (\S+)", source, re.M).group(1)
    folders = []
    for name in ("one", "two"):
        show = tmp_path / name
        (show / "segments").mkdir(parents=True)
        shutil.copy(EXAMPLE / "show.yaml", show / "show.yaml")
        for n in range(410):
            (show / "segments" / f"{name}-{n:03d}.md").write_text(
                source.replace(f"id: {first_id}", f"id: {name}-{n:03d}"), encoding="utf-8")
        folders.append(show)
    import threading

    before = {t.ident for t in threading.enumerate()}  # other tests' threads may linger
    _FORKED_WITH = []
    try:
        report = validate_paths(folders, progress=Steps("bar"), jobs=2)
        forks = list(_FORKED_WITH)
    finally:
        _FORKED_WITH = None
    assert report.files == 2 * 411
    assert len(forks) >= 4  # two workers per folder
    assert all(alive <= before for alive in forks), "a thread started by validate ran at a fork"


def test_the_benchmarks_show_is_one_directories_accept(capsys, tmp_path: Path,
                                                      monkeypatch) -> None:
    """bench_validate (and bench_build) time a clean show: a rule added since must not turn its
    generated show.yaml or manifests into errors, or the benchmark stops on exit 1."""
    monkeypatch.syspath_prepend(str(EXAMPLE.parent.parent / "bench"))
    from bench_validate import make_show

    show = make_show(tmp_path / "show", count=3)
    capsys.readouterr()
    assert main(["validate", "--strict", "--json", str(show)]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
