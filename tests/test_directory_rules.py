"""Directory rules on real files: the show's artwork (`validate --media`) and the example show.

Rule cases that need no file are data in tests/rules/; these make images with Pillow.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from segment.cli import main
from tests.conftest import EXAMPLE, ROOT
from tests.test_bad_inputs import png_header


def validate(capsys, *args: str) -> tuple[int, list[dict]]:
    capsys.readouterr()
    code = main(["validate", "--json", *args])
    return code, json.loads(capsys.readouterr().out)["findings"]


@pytest.fixture
def show(example_show: Path) -> Path:
    return example_show


def test_example_show_passes_every_directory_rule(capsys, show: Path) -> None:
    code, findings = validate(capsys, "--media", str(show))
    assert code == 0
    assert sorted(f["code"] for f in findings) == ["SEG210", "SEG212", "SEG213"]


@pytest.mark.parametrize(("mode", "size", "says"), [
    ("RGBA", (1600, 1200), "not square"),
    ("RGB", (1000, 1000), "1400-3000 px"),
    ("CMYK", (1400, 1400), "not RGB"),
])
def test_show_artwork_problems_are_errors_at_the_image_line(capsys, show: Path, mode: str,
                                                            size: tuple[int, int],
                                                            says: str) -> None:
    cover = show / "art" / "cover.png"
    Image.new(mode, size).save(cover.with_suffix(".jpg" if mode == "CMYK" else ".png"),
                               format="JPEG" if mode == "CMYK" else "PNG")
    if mode == "CMYK":
        text = (show / "show.yaml").read_text("utf-8")
        (show / "show.yaml").write_text(text.replace("cover.png", "cover.jpg"), "utf-8")
    code, findings = validate(capsys, "--media", str(show))
    artwork = [f for f in findings if f["code"] == "SEG407"]
    line = next(n for n, text in enumerate((show / "show.yaml").read_text("utf-8")
                                           .splitlines(), 1) if text.startswith("image:"))
    assert code == 1 and len(artwork) == 1
    assert says in artwork[0]["message"] and artwork[0]["line"] == line
    assert artwork[0]["field"] == "image.file" and artwork[0]["severity"] == "error"


def test_a_huge_image_is_refused_from_its_header(capsys, show: Path) -> None:
    """A 60000 px PNG header with no pixel data: refused without decoding anything."""
    (show / "art" / "cover.png").write_bytes(png_header(60000, 60000))
    code, findings = validate(capsys, "--media", str(show))
    assert code == 1
    assert [f["code"] for f in findings if f["code"].startswith("SEG4")] == ["SEG407"]


def test_heavy_show_artwork_is_a_warning(capsys, show: Path) -> None:
    noise = random.Random(7).randbytes(1400 * 1400 * 3)
    Image.frombytes("RGB", (1400, 1400), noise).save(show / "art" / "cover.png")
    code, findings = validate(capsys, "--media", str(show))
    assert code == 0
    assert [f["code"] for f in findings if f["code"].startswith("SEG4")] == ["SEG408"]


def test_without_media_only_presence_and_the_file_are_checked(capsys, show: Path) -> None:
    (show / "art" / "cover.png").unlink()
    code, findings = validate(capsys, str(show))
    assert code == 1 and [f["code"] for f in findings if f["code"] == "SEG301"] == ["SEG301"]


def test_artwork_script_makes_the_committed_bytes(tmp_path: Path) -> None:
    made = tmp_path / "cover.png"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_show_artwork.py"), str(made)],
                   check=True, capture_output=True)
    assert made.read_bytes() == (EXAMPLE / "art" / "cover.png").read_bytes()
    with Image.open(made) as image:
        assert image.size == (1400, 1400) and image.mode == "RGB" and image.format == "PNG"


def test_show_findings_point_at_their_key(capsys, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "show")
    yaml_path = tmp_path / "show" / "show.yaml"
    text = yaml_path.read_text("utf-8")
    yaml_path.write_text(text.replace("categories: [News, News/Politics]",
                                      "categories:\n  - News\n  - Daily News"), "utf-8")
    code, findings = validate(capsys, str(yaml_path))
    line = yaml_path.read_text("utf-8").splitlines().index("  - Daily News") + 1
    assert code == 1
    assert [(f["code"], f["line"], f["column"]) for f in findings] == [("SEG409", line, 5)]
