"""Bad input for `segpack validate`: one clear line naming the file (and line), non-zero exit,
never a traceback, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from segment.cli import main

VALID_HEAD = "---\nid: x\ntitle: T\nduration: '0:40'\nlanguage: en\n"
BILLION_LAUGHS = VALID_HEAD + "".join(
    f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" if i else 'l0: &l0 "lol"\n'
    for i in range(10)) + "---\nbody\n"

CASES = {
    "empty": (b"", "SEG104", "empty file"),
    "whitespace-only": (b"  \n\n", "SEG104", "empty file"),
    "binary": (bytes(range(256)) * 4, "SEG104", "binary file"),
    "latin-1": ("---\nid: x\ntitle: Caf\xe9\n---\nbody\n".encode("latin-1"), "SEG104",
                "not UTF-8"),
    "latin-1-after-bom": ("\ufeff---\nid: x\ntitle: Caf\xe9\n---\nbody\n".encode("utf-8")
                          .replace("\xe9".encode(), b"\xe9"), "SEG104",
                          "byte 0xe9 at offset 23"),
    "no-front-matter": (b"Just a transcript.\n", "SEG103", "no front matter"),
    "unclosed-front-matter": (b"---\nid: x\ntitle: T\n", "SEG103", "not closed"),
    "raw-control-character": (b"---\nid: x\ntitle: bell \x07\n---\nbody\n", "SEG209",
                              "control character U+0007"),
    "control-character-and-deep-indent": (
        b"---\nid: x\ntitle: bell \x07\n" + b"a: " + b"[" * 300 + b"]" * 300 + b"\n---\nb\n",
        "SEG209", "control character U+0007"),
    "yaml-syntax": (b"---\nid: x\ntitle: [unclosed\n---\nbody\n", "SEG101", "YAML syntax"),
    "billion-laughs": (BILLION_LAUGHS.encode(), "SEG106", "aliases are not allowed"),
    "deep-nesting": (("---\na: " + "[" * 100_000 + "]" * 100_000 + "\n---\nbody\n").encode(),
                     "SEG101", "nest"),  # ours, or libyaml >= 0.2.6's own limit
    "deep-block-nesting": (("---\na:\n" + "- " * 5000 + "x\n---\nbody\n").encode(), "SEG101",
                           "nest"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_manifest_gives_one_line(name: str, tmp_path: Path, capsys) -> None:
    data, code, phrase = CASES[name]
    path = tmp_path / f"{name}.md"
    path.write_bytes(data)
    status = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert status == 1
    [line] = out.splitlines()
    assert line.startswith(f"{path}:") and code in line and phrase in line
    assert "Traceback" not in out + err
    assert path.read_bytes() == data


def test_line_of_a_syntax_error_is_the_file_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nid: x\ntitle: T\nduration: '0:40'\nsummary: a: b\n---\nbody\n",
                    encoding="utf-8")
    main(["validate", str(path)])
    assert capsys.readouterr().out.startswith(f"{path}:5:")


def test_50_mb_manifest_is_refused_quickly(tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:
        handle.write(VALID_HEAD.encode() + b"---\n")
        handle.write(b"word " * (10 * 1024 * 1024))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "SEG105" in out and "MB" in out


def test_folder_without_manifests(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    assert "SEG109" in capsys.readouterr().out


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, capsys) -> None:
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    assert main(["validate", str(path)]) == 1
    assert "SEG104 is a named pipe (FIFO), not a manifest file" in capsys.readouterr().out


def test_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    """Through a real process, as CI runs it."""
    path = tmp_path / "bad.md"
    path.write_bytes(b"\xff\xfe\x00garbage")
    done = subprocess.run([sys.executable, "-m", "segment", "validate", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and str(path) in done.stdout


def test_report_into_a_missing_folder_is_one_line(tmp_path: Path, capsys) -> None:
    target = tmp_path / "no" / "such" / "report.json"
    assert main(["validate", "--json", "-o", str(target), str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{target}: cannot write here" in err and "Traceback" not in err


def test_a_manifest_may_start_with_a_utf8_bom(tmp_path: Path, capsys) -> None:
    path = tmp_path / "x.md"
    path.write_bytes("\ufeff---\nid: x\ntitle: Café\nduration: '0:40'\nlanguage: en\n---\nbody\n"
                     .encode("utf-8"))
    assert main(["validate", str(path)]) == 0, capsys.readouterr()
