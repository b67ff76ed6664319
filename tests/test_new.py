"""`segpack new SHOW_DIR`: a show folder that validates as it is (with a placeholder cover that
a warning asks to replace), documents every key, and never overwrites anything."""

from __future__ import annotations

import doctest
import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image as PILImage

import media.placeholder
from media.artwork import image_file_facts
from media.placeholder import placeholder_png
from segment.cli import main
from segment.config import load_settings
from segment.loading import load_segment, load_show_file
from segment.models import Audio, AudioSettings, Image, Loudness, Segment, Show, Source
from segment.scaffold import EXAMPLE_ID, PLACEHOLDER_ARTWORK
from tests.conftest import EXAMPLE

COMMENTED_KEY = re.compile(r"^(\s*)# ?(?=\s*[a-z_]+:)", re.M)


def new(capsys, show: Path) -> tuple[int, str, str]:
    code = main(["new", str(show)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_new_show_validates_and_ignores_what_builds_make(capsys, tmp_path: Path) -> None:
    show = tmp_path / "my-news-show"
    code, out, _ = new(capsys, show)
    assert code == 0 and "created" in out
    assert sorted(str(p.relative_to(show)) for p in show.rglob("*") if p.is_file()) == [
        ".gitignore", PLACEHOLDER_ARTWORK, "pyproject.toml", f"segments/{EXAMPLE_ID}.md",
        "show.yaml"]
    assert main(["validate", "--json", "--media", str(show)]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert not [f for f in findings if f["severity"] == "error"]
    assert (show / ".gitignore").read_text().split("\n")[1:3] == ["public/", ".segpack-cache/"]
    settings = load_settings(show / "segments")
    assert settings["select"] == ["SEG"] and settings["strict"] is False
    show_model, _ = load_show_file(show / "show.yaml")
    assert show_model is not None and show_model.title == "My News Show"
    assert show_model.image.file == PLACEHOLDER_ARTWORK
    item = load_segment(show / "segments" / f"{EXAMPLE_ID}.md")
    assert isinstance(item.segment, Segment) and item.segment.draft  # not published by build


def placeholder_findings(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["validate", "--json", *args])
    return code, [f for f in json.loads(capsys.readouterr().out)["findings"]
                  if f["code"] == "SEG415"]


def test_the_placeholder_artwork_is_a_warning_until_the_shows_own_replaces_it(
        capsys, tmp_path: Path) -> None:
    """validate passes, --strict does not, and the warning points at image.file; a copy of
    the placeholder under another name is known by its PNG text chunk (--media only)."""
    show = tmp_path / "show"
    assert new(capsys, show)[0] == 0
    yaml_lines = (show / "show.yaml").read_text("utf-8").splitlines()
    line = next(n for n, text in enumerate(yaml_lines, 1) if PLACEHOLDER_ARTWORK in text)
    for args in ([], ["--media"]):
        code, found = placeholder_findings(capsys, *args, str(show))
        assert code == 0 and len(found) == 1, found
        assert found[0]["severity"] == "warning" and found[0]["line"] == line
        assert found[0]["field"] == "image.file" and "placeholder" in found[0]["message"]
        assert placeholder_findings(capsys, "--strict", *args, str(show))[0] == 1
    shutil.copy(show / PLACEHOLDER_ARTWORK, show / "art" / "cover.png")
    (show / "show.yaml").write_text((show / "show.yaml").read_text("utf-8").replace(
        PLACEHOLDER_ARTWORK, "art/cover.png"), "utf-8")
    assert placeholder_findings(capsys, str(show)) == (0, [])  # the file is not opened
    code, found = placeholder_findings(capsys, "--media", str(show))
    assert code == 0 and [(f["field"], f["line"]) for f in found] == [("image.file", line)]
    PILImage.new("RGB", (1400, 1400), "navy").save(show / "art" / "cover.png")
    assert placeholder_findings(capsys, "--media", str(show)) == (0, [])


def test_the_placeholder_is_a_reproducible_cover_directories_accept(tmp_path: Path) -> None:
    first, again = placeholder_png("My News Show"), placeholder_png("My News Show")
    assert first == again and first != placeholder_png("Other Show")
    (tmp_path / "cover.png").write_bytes(first)
    facts = image_file_facts(tmp_path / "cover.png")
    assert (facts.format, facts.width, facts.height, facts.mode) == ("PNG", 1400, 1400, "RGB")
    assert facts.placeholder and not facts.problems()
    assert not image_file_facts(EXAMPLE / "art" / "cover.png").placeholder
    assert doctest.testmod(media.placeholder).failed == 0
    assert placeholder_png("Новости")  # no initials to draw: the bare mark


def _keys(model) -> set[str]:
    return set(model.model_fields)


@pytest.mark.parametrize("file, models", [
    ("show.yaml", [Show, AudioSettings, Loudness, Image]),
    (f"segments/{EXAMPLE_ID}.md", [Segment, Audio, Source, Image]),
])
def test_every_key_is_written_out_and_each_commented_example_is_valid(
        capsys, tmp_path: Path, file: str, models) -> None:
    show = tmp_path / "show"
    assert new(capsys, show)[0] == 0
    path = show / file
    text = path.read_text(encoding="utf-8")
    written = set(re.findall(r"(?:^|[\s{,])#?\s*([a-z_]+):", text, re.M))
    for model in models:
        missing = _keys(model) - written - {"transcript"}
        assert not missing, f"{model.__name__}: {sorted(missing)} not in {file}"
    # every optional key, uncommented, is a valid example
    path.write_text(COMMENTED_KEY.sub(r"\1", text), encoding="utf-8")
    if file == "show.yaml":
        show_model, found = load_show_file(path)
        assert show_model is not None, found
        assert {f.code for f in found} <= {"SEG301"}, found  # example files not made
        assert show_model.audio.intro == "stings/intro.wav"
    else:
        item = load_segment(path)
        assert isinstance(item.segment, Segment), item.findings
        assert item.segment.persons[0].name == "Jane Reporter"
        errors = [f for f in item.findings if f.severity.value == "error"]
        assert {f.code for f in errors} <= {"SEG301"}, errors  # example files not made


def test_new_never_overwrites(capsys, tmp_path: Path) -> None:
    show = tmp_path / "show"
    show.mkdir()
    (show / "show.yaml").write_text("title: mine\n", encoding="utf-8")
    code, _, err = new(capsys, show)
    assert code == 2 and len(err.splitlines()) == 1 and "never overwrites" in err
    assert "show.yaml" in err and "Traceback" not in err
    assert (show / "show.yaml").read_text() == "title: mine\n"
    assert sorted(p.name for p in show.iterdir()) == ["show.yaml"]  # nothing else written
    (tmp_path / "file").write_text("x")
    code, _, err = new(capsys, tmp_path / "file")
    assert code == 2 and "is a file" in err
    other = tmp_path / "other"
    other.mkdir()
    (other / "art").write_text("not a folder")
    code, _, err = new(capsys, other)
    assert code == 2 and "already has art;" in err and "Traceback" not in err
    assert sorted(p.name for p in other.iterdir()) == ["art"]


def test_new_in_an_existing_empty_folder(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert new(capsys, Path("."))[0] == 0
    assert (tmp_path / "show.yaml").is_file()
    assert main(["validate", "."]) == 0
