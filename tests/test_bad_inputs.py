"""The bad-input corpus: tests/bad/*.yaml tables, each case a command, its files, the exit status
and a piece of the one-line error expected.

Every case asserts: the exit status, the message, no traceback, and every input file's bytes
unchanged (files a command creates, such as a build's output folder, are not inputs; files
listed in `rewrites` may get new tags, but their audio stream must stay the same). Files are
made by small named makers (text, hex, repeat, tone, truncate, patch, pad (zeros, then a tail),
png, copy, symlink, mkdir, fifo, journal), so a new case is a few lines of YAML and no code.
`parses: [public/feed.xml]` also checks that each named output exists and is well-formed XML
that feedparser reads without complaint; `set_aside: [NAME]` that a rollback journal was renamed
NAME.set-aside, its bytes unchanged (never replayed, never deleted). Every symlink stays the
link it was, and a case that blocks (a FIFO opened without care) fails after 60 s instead of
hanging the suite.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import struct
import zlib
from pathlib import Path

import pytest
import yaml

from segment.cli import main
from tests.conftest import make_tone
from tests.media_helpers import payload_hash as audio_md5

TABLES = sorted((Path(__file__).parent / "bad").glob("*.yaml"))
CASES = [case for table in TABLES for case in yaml.safe_load(table.read_text("utf-8"))]
GOOD_MANIFEST = (Path(__file__).parent / "bad" / "good-manifest.md.txt").read_text("utf-8")
GOOD_SHOW = ("title: Show\ndescription: A show\nlanguage: en\nfeed_url: https://example.org/f.xml\n"
             "image: {url: https://example.org/cover.png}\ncategories: [News]\n"
             "owner: {name: A Newsroom, email: podcasts@example.org}\nexplicit: false\n")
"""A show.yaml that podcast directories accept (the SEG407-SEG412 rules)."""


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
        text = GOOD_SHOW
        for old, new in (spec.get("replace") or {}).items():
            assert old in text, f"{old!r} not in the good show"
            text = text.replace(old, new)
        path.write_text(text + (spec["good_show"] or ""), encoding="utf-8")
    elif "hex" in spec:
        path.write_bytes(bytes.fromhex(spec["hex"]))
    elif "repeat" in spec:
        with path.open("wb") as handle:
            handle.write(spec.get("head", "").encode())
            chunk = spec["repeat"].encode()
            per_block = max(1, (1 << 20) // len(chunk))  # ~1 MB a write, not a byte a write
            blocks, rest = divmod(spec["times"], per_block)
            for _ in range(blocks):
                handle.write(chunk * per_block)
            handle.write(chunk * rest)
            handle.write(spec.get("tail", "").encode())
    elif "tone" in spec:
        cached = tones / f"{spec.get('seconds', 1.0)}{spec['tone']}"
        if not cached.exists():
            make_tone(cached, spec.get("seconds", 1.0))
        shutil.copyfile(cached, path)
    elif "truncate" in spec:
        source = root / spec["truncate"]
        path.write_bytes(source.read_bytes()[: spec["keep"]])
    elif "patch" in spec:
        _patch(root, path, spec["patch"])
    elif "pad" in spec:  # a copy followed by `zeros` zero bytes (sparse: no disk space),
        shutil.copyfile(root / spec["pad"], path)  # then `tail` (hex) `tail_times` times
        with path.open("r+b") as handle:
            handle.truncate(path.stat().st_size + spec.get("zeros", 0))
            handle.seek(0, os.SEEK_END)
            handle.write(bytes.fromhex(spec.get("tail", "")) * spec.get("tail_times", 1))
    elif "png" in spec:
        path.write_bytes(png_header(spec["png"]["width"], spec["png"]["height"]))
    elif "copy" in spec:
        shutil.copyfile(root / spec["copy"], path)
    elif "symlink" in spec:
        os.symlink(spec["symlink"], path)
    elif "mkdir" in spec:
        path.mkdir()
    elif "fifo" in spec:
        os.mkfifo(path)
    elif "journal" in spec:
        path.write_bytes(journal_bytes(root, spec["journal"]))
    else:
        raise AssertionError(f"unknown maker in {spec}")
    if spec.get("readonly"):
        path.chmod(0o444)


def _patch(root: Path, path: Path, spec: dict) -> None:
    """A copy of `of` with `hex` written at `offset` (negative: from the end), or at `shift`
    bytes from the first occurrence of the text `find` (e.g. an MP4 atom's name)."""
    data = bytearray((root / spec["of"]).read_bytes())
    if "find" in spec:
        at = data.find(spec["find"].encode("latin-1"))
        assert at >= 0, f"{spec['find']!r} not in {spec['of']}"
        offset = at + spec.get("shift", 0)
    else:
        offset = spec["offset"] % len(data) if spec["offset"] < 0 else spec["offset"]
    new = bytes.fromhex(spec["hex"])
    data[offset:offset + len(new)] = new
    path.write_bytes(bytes(data))


def journal_bytes(root: Path, spec: dict) -> bytes:
    """A rollback journal as another hand could leave it: for the file `of` (its real device,
    inode and size unless `dev`, `ino` or `size` say otherwise), with `ranges` of [offset, old
    hex, new hex]; `version: 2` writes the old format (no identity: size and ranges only),
    `length` overrides the first range's length field, `keep` cuts the journal short, `times`
    repeats the ranges.
    The trailing SHA-256 is always right: only what it says is wrong."""
    from media import journal

    info = (root / spec["of"]).stat()
    name = spec.get("name", Path(spec["of"]).name).encode()
    size = spec.get("size", info.st_size)
    ranges = [(offset, bytes.fromhex(old), bytes.fromhex(new if new is not None else old))
              for offset, old, *rest in spec.get("ranges", []) for new in (rest or [None])]
    ranges *= spec.get("times", 1)
    if spec.get("version") == 2:
        body = b"SEGPACK-JOURNAL 2\n" + struct.pack(">IH", 1, len(name)) + name + \
            struct.pack(">QI", size, len(ranges)) + b"".join(
                struct.pack(">QI", offset, len(old)) + old for offset, old, _ in ranges)
        data = body + hashlib.sha256(body).digest()
    else:
        section = journal.Section(name, spec.get("dev", info.st_dev), spec.get("ino", info.st_ino),
                                  size, [(o, old) for o, old, _ in ranges],
                                  [(o, new) for o, _, new in ranges])
        data = journal._render([section])
        if "length" in spec:  # the first range's length field, after magic, count, name, file
            at = len(journal.MAGIC) + 4 + 2 + len(name) + journal._FILE.size + 8
            body = data[:at] + struct.pack(">I", spec["length"]) + data[at + 4:-32]
            data = body + hashlib.sha256(body).digest()
    return data[:spec["keep"]] if "keep" in spec else data


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` (one tiny IDAT: nothing to decode for real),
    so an image-size guard can be tested without allocating gigabytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 4)) + chunk(b"IEND", b""))


def check_parses(path: Path) -> None:
    import feedparser
    from lxml import etree

    assert path.is_file(), f"{path} was not written"
    etree.parse(str(path))  # raises on anything not well-formed
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


class Blocked(Exception):
    pass


def run_with_deadline(argv: list[str], seconds: int) -> int:
    """`main(argv)`, failing the test after `seconds` (a FIFO opened for reading blocks until
    a writer comes: forever) instead of hanging the whole suite."""
    def expire(signum, frame):
        raise Blocked(f"segpack {' '.join(argv)} still running after {seconds} s: it blocks")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        return main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad-tones")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input(case: dict, tmp_path: Path, tones: Path, capsys, monkeypatch) -> None:
    for name, spec in case.get("files", {}).items():
        make_file(tmp_path, name, spec, tones)
    inputs = snapshot(tmp_path)
    links = {str(p.relative_to(tmp_path)): os.readlink(p) for p in tmp_path.rglob("*")
             if p.is_symlink()}
    rewrites = {name: audio_md5(tmp_path / name) for name in case.get("rewrites", [])}
    monkeypatch.chdir(tmp_path)
    status = run_with_deadline([str(arg) for arg in case["run"]], 60)
    out, err = capsys.readouterr()
    assert status == case["exit"], out + err
    assert "Traceback" not in out + err
    assert case["message"] in out + err, out + err
    after = snapshot(tmp_path)
    for name in case.get("set_aside", []):  # renamed, bytes unchanged
        assert name not in after, f"{name} is still there"
        after[name] = after.pop(f"{name}.set-aside", "missing")
    changed = [name for name, digest in inputs.items()
               if after.get(name) != digest and name not in rewrites]
    for name, target in links.items():
        name = f"{name}.set-aside" if name in case.get("set_aside", []) else name
        assert os.path.islink(tmp_path / name), f"{name} is no longer a symlink"
        assert os.readlink(tmp_path / name) == target, f"{name} points elsewhere now"
    for name, md5 in rewrites.items():  # tolerated and repaired: new tags, the same audio
        assert audio_md5(tmp_path / name) == md5, f"{name}: the audio stream changed"
        assert main(["tags", name]) == 0, capsys.readouterr()
    assert not changed, f"input files changed: {changed}"
    for name in case.get("parses", []):
        check_parses(tmp_path / name)
