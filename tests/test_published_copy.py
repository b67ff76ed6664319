"""The published copy of local audio: its name says what its bytes are (review defect 5).

Apple decides by the enclosure URL's extension whether an episode appears, apps by its type:
a file copied as it is gets its container's usual suffix when its own name says another
format, and a file the build runs through ffmpeg (normalise with `encode: keep`) is MP3 or AAC
named so. Read back with feedparser and mutagen."""

from __future__ import annotations

from pathlib import Path

import feedparser
import mutagen

from segment.cli import main
from tests.test_bad_inputs import GOOD_MANIFEST, GOOD_SHOW


def _show(root: Path, audio: Path, rel: str, show_extra: str = "") -> Path:
    show = root / "show"
    (show / "segments").mkdir(parents=True)
    (show / "show.yaml").write_text(GOOD_SHOW + show_extra, encoding="utf-8")
    (show / rel).parent.mkdir(parents=True, exist_ok=True)
    audio.rename(show / rel)
    (show / "segments" / "item.md").write_text(
        GOOD_MANIFEST.replace('"0:40"', '"0:01"').replace(
            "  direct_link:", f"  file: {rel}\n  direct_link:"), encoding="utf-8")
    return show


def _enclosure(out: Path) -> tuple[str, str]:
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    link = parsed.entries[0].enclosures[0]
    return link.href.rsplit("/", 1)[1], link.type


def test_an_mp3_named_m4a_is_published_as_mp3(tmp_path: Path, tone, capsys) -> None:
    show = _show(tmp_path, tone(".mp3"), "media/item.m4a")
    assert main(["build", str(show), "-o", str(tmp_path / "out"), "--jobs", "1"]) == 0, \
        capsys.readouterr()
    assert _enclosure(tmp_path / "out") == ("item.mp3", "audio/mpeg")
    assert type(mutagen.File(tmp_path / "out" / "media" / "item.mp3")).__name__ == "MP3"
    assert (show / "media" / "item.m4a").exists()  # the source keeps its name


def test_a_flac_normalised_with_encode_keep_is_published_as_mp3(tmp_path: Path, tone,
                                                                capsys) -> None:
    """ffmpeg writes MP3 (`media.encode.codec_for`): once into `media/item.flac`."""
    show = _show(tmp_path, tone(".flac"), "media/item.flac",
                 "audio: {encode: keep, normalise: true}\n")
    assert main(["validate", "--media", str(show)]) == 0  # no SEG305/SEG309: it is encoded
    assert main(["build", str(show), "-o", str(tmp_path / "out"), "--jobs", "1"]) == 0, \
        capsys.readouterr()
    assert _enclosure(tmp_path / "out") == ("item.mp3", "audio/mpeg")
    assert type(mutagen.File(tmp_path / "out" / "media" / "item.mp3")).__name__ == "MP3"


def test_a_flac_replaced_after_a_refused_build_is_built(tmp_path: Path, tone, capsys) -> None:
    """SEG309 and SEG312 come from the media checks, before the episode is compiled: the
    refused build's verdict must not be kept by the build cache once the files are fixed."""
    show = _show(tmp_path, tone(".flac"), "media/item.flac")
    manifest = show / "segments" / "item.md"
    manifest.write_text(manifest.read_text().replace(
        "  direct_link:", "  alternates: [{file: media/alt.m4a}]\n  direct_link:"))
    tone(".mp3").rename(show / "media" / "alt.m4a")
    out = tmp_path / "out"
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 1
    assert {"SEG309", "SEG312"} <= set(capsys.readouterr().err.replace(":", " ").split())
    tone(".mp3").rename(show / "media" / "item.flac")  # MP3 bytes now; the manifest untouched
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 1
    assert "SEG309" not in (err := capsys.readouterr().err) and "SEG312" in err, err
    tone(".m4a").rename(show / "media" / "alt.m4a")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()
    assert _enclosure(out) == ("item.mp3", "audio/mpeg")
