"""Manifests on disk: reading with positions, rewriting that keeps comments and key order."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import segment.timecode
from segment.errors import SegpackError
from segment.loading import load_segment
from segment.manifest import read_manifest, render_manifest, write_manifest
from segment.timecode import format_duration, parse_duration
from tests.conftest import EXAMPLE

EXAMPLE_MANIFEST = EXAMPLE / "segments" / "momentum-against-isil-builds.md"


def test_timecode_doctests() -> None:
    assert doctest.testmod(segment.timecode).failed == 0


@given(st.integers(min_value=0, max_value=10 * 3600 * 1000))
def test_duration_format_parse_round_trip(millis: int) -> None:
    seconds = millis / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize("text", ["3:41", "0:03:41", "221", "221.0", 221])
def test_durations_people_write(text) -> None:
    assert parse_duration(text) == 221


@pytest.mark.parametrize("text", ["3:61", "1:2:3:4", "abc", "-5", "3m41s", ""])
def test_bad_durations(text) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_example_manifest_holds_the_reference_item() -> None:
    item = load_segment(EXAMPLE_MANIFEST)
    seg = item.segment
    assert seg is not None, item.findings
    assert seg.title == "Momentum Against ISIL Builds"
    assert seg.duration == 221
    assert seg.source.publisher == "VOA" and seg.source.url is None
    assert seg.published is None and seg.audio.direct_link is None
    assert seg.summary.startswith("The last few weeks have not been good")
    paragraphs = seg.transcript.split("\n\n")
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("At a recent press conference")
    assert paragraphs[-1].endswith("from the face of this Earth.”")
    assert "Direct link" not in seg.transcript and "0:03:41" not in seg.transcript
    assert seg.image.caption.startswith("Islamic State fighters sit on a pickup truck")


def test_rewrite_keeps_comments_order_and_body(tmp_path: Path) -> None:
    path = tmp_path / "m.md"
    path.write_bytes(EXAMPLE_MANIFEST.read_bytes())
    write_manifest(path, {"published": "2016-04-01T12:00:00Z",
                          "source": {"url": "https://www.voanews.com/a/x.html"}})
    text = path.read_text(encoding="utf-8")
    assert "# as the page's player shows (0:00 0:03:41 0:00)" in text
    assert "# not in the reference copy" in text
    keys = [line.split(":")[0] for line in text.split("---")[1].splitlines()
            if line and not line.startswith((" ", "#"))]
    original = [line.split(":")[0] for line in EXAMPLE_MANIFEST.read_text().split("---")[1]
                .splitlines() if line and not line.startswith((" ", "#"))]
    assert keys == original
    seg = load_segment(path).segment
    assert seg.source.url == "https://www.voanews.com/a/x.html"
    assert seg.published.isoformat() == "2016-04-01T12:00:00+00:00"
    assert seg.transcript == load_segment(EXAMPLE_MANIFEST).segment.transcript
    assert seg.source.publisher == "VOA"


def test_new_manifest_round_trips(tmp_path: Path) -> None:
    meta = {"id": "new-item", "title": "Ünïcode: “quotes” — and colons", "duration": "1:05",
            "language": "ar", "chapters": [{"start": "0:00", "title": "بداية"}]}
    path = tmp_path / "new-item.md"
    path.write_text(render_manifest(meta, "مرحبا بالعالم\n\nSecond paragraph."),
                    encoding="utf-8")
    raw = read_manifest(path)
    assert raw.meta.data["title"] == meta["title"]
    assert raw.body == "مرحبا بالعالم\n\nSecond paragraph."
    assert raw.meta.position(("chapters", 0)) [0] == raw.meta.position(("chapters",))[0] + 1


def test_write_is_atomic_on_failure(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "m.md"
    path.write_bytes(EXAMPLE_MANIFEST.read_bytes())
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(SegpackError, match="disk full"):
        write_manifest(path, {"title": "Changed"})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.md"]


def test_short_reads_are_read_to_the_end() -> None:
    """Some file systems (FUSE, network) return less than asked before the end; the rest of
    the manifest must still be read, not dropped."""
    import os
    import threading
    import time

    from segment.manifest import _read_all

    first, rest = b"---\nid: a\n", b"title: T\n---\nbody\n"
    read_end, write_end = os.pipe()
    os.write(write_end, first)

    def later() -> None:
        time.sleep(0.05)
        os.write(write_end, rest)
        os.close(write_end)

    writer = threading.Thread(target=later)
    writer.start()
    try:
        data = _read_all(read_end, len(first + rest), 1000, Path("pipe"), "manifest")
    finally:
        writer.join()
        os.close(read_end)
    assert data == first + rest
