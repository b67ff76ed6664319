"""The bad-input corpus: tests/bad/*.yaml tables, each case a command, its files, the exit status
and a piece of the one-line error expected.

Every case asserts: the exit status, the message, no traceback, and every input file's bytes
unchanged. Files are made by small named makers (text, bytes, repeat, tone, truncate, symlink), so
a new case is a few lines of YAML and no code.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
import yaml

from segment.cli import main
from tests.conftest import make_tone

TABLES = sorted((Path(__file__).parent / "bad").glob("*.yaml"))
CASES = [case for table in TABLES for case in yaml.safe_load(table.read_text("utf-8"))]
GOOD_MANIFEST = (Path(__file__).parent / "bad" / "good-manifest.md.txt").read_text("utf-8")
GOOD_SHOW = "title: Show\ndescription: A show\nlanguage: en\nfeed_url: https://example.org/f.xml\n"


def make_file(root: Path, name: str, spec: dict, tones: Path) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if "text" in spec:
        path.write_text(spec["text"], encoding="utf-8")
    elif "good_manifest" in spec:
        text = GOOD_MANIFEST
        for old, new in (spec["good_manifest"] or {}).items():
            assert old in text, f"{old!r} not in the good manifest"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    elif "good_show" in spec:
        path.write_text(GOOD_SHOW + (spec["good_show"] or ""), encoding="utf-8")
    elif "hex" in spec:
        path.write_bytes(bytes.fromhex(spec["hex"]))
    elif "repeat" in spec:
        with path.open("wb") as handle:
            handle.write(spec.get("head", "").encode())
            chunk = spec["repeat"].encode()
            for _ in range(spec["times"]):
                handle.write(chunk)
            handle.write(spec.get("tail", "").encode())
    elif "tone" in spec:
        cached = tones / f"{spec.get('seconds', 1.0)}{spec['tone']}"
        if not cached.exists():
            make_tone(cached, spec.get("seconds", 1.0))
        shutil.copyfile(cached, path)
    elif "truncate" in spec:
        source = root / spec["truncate"]
        path.write_bytes(source.read_bytes()[: spec["keep"]])
    elif "copy" in spec:
        shutil.copyfile(root / spec["copy"], path)
    elif "symlink" in spec:
        os.symlink(spec["symlink"], path)
    elif "mkdir" in spec:
        path.mkdir()
    else:
        raise AssertionError(f"unknown maker in {spec}")
    if spec.get("readonly"):
        path.chmod(0o444)


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad-tones")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input(case: dict, tmp_path: Path, tones: Path, capsys, monkeypatch) -> None:
    for name, spec in case.get("files", {}).items():
        make_file(tmp_path, name, spec, tones)
    inputs = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    status = main([str(arg) for arg in case["run"]])
    out, err = capsys.readouterr()
    assert status == case["exit"], out + err
    assert "Traceback" not in out + err
    assert case["message"] in out + err, out + err
    after = snapshot(tmp_path)
    changed = [name for name, digest in inputs.items() if after.get(name) != digest]
    assert not changed, f"input files changed: {changed}"
