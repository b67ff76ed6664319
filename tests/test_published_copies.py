"""A published file shares its inode with nothing anyone keeps: editing it in place (a tagger,
an image editor) reaches neither the build cache nor the show folder, and the next build
publishes the right bytes again instead of carrying the edit over (issue 18, item 4)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from segment.cli import main
from tests.test_bad_inputs import png_header
from tests.test_build import manifest, run, write_show

LINK = ("audio: {direct_link: 'https://n.example.org/a.mp3', length: 10, type: audio/mpeg}\n"
        "source: {url: 'https://n.example.org/a.html'}\n")


@pytest.fixture
def show(tmp_path, tone) -> Path:
    """Two local-audio segments (one with its own image), one direct-link segment, show art."""
    root = tmp_path / "show"
    (root / "media").mkdir(parents=True)
    (root / "images").mkdir()
    shutil.move(tone(".mp3", seconds=1.0), root / "media" / "one.mp3")
    shutil.move(tone(".mp3", seconds=2.0), root / "media" / "two.mp3")
    (root / "images" / "one.png").write_bytes(png_header(1400, 1400))
    (root / "images" / "show.png").write_bytes(png_header(1400, 1400))
    from tests.test_build import IMAGE_LINE, SHOW_YAML

    write_show(root, {
        "one": manifest("one", duration="0:01", audio="audio: {file: media/one.mp3}\n",
                        extra="image: {file: images/one.png}\n"),
        "two": manifest("two", duration="0:02", audio="audio: {file: media/two.mp3}\n"),
        "three": manifest("three", audio=LINK),
    }, SHOW_YAML.replace(IMAGE_LINE, "image: {file: images/show.png}\n"))
    return root


def build(show: Path, out: Path, capsys) -> None:
    status, _, err = run(show, "-o", out, "--jobs", "1", capsys=capsys)
    assert status == 0, err


def inodes(folder: Path) -> dict[tuple[int, int], str]:
    return {(p.stat().st_dev, p.stat().st_ino): str(p) for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink()}


def edit_in_place(path: Path, offset: int, data: bytes) -> None:
    """Overwrite bytes inside `path` without a new inode, size or mtime (as a tagger that keeps
    file times does): only the inode change time tells."""
    st = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_size == st.st_size


def touch_manifest(show: Path, sid: str, title: str) -> None:
    text = (show / "segments" / f"{sid}.md").read_text(encoding="utf-8")
    (show / "segments" / f"{sid}.md").write_text(
        text.replace(f"title: Title of {sid}", f"title: {title}"), encoding="utf-8")


def test_no_published_file_shares_an_inode_with_the_cache_or_the_show(show, tmp_path,
                                                                      capsys) -> None:
    out = tmp_path / "public"
    build(show, out, capsys)
    first = (out / "media" / "one.mp3").stat().st_ino
    touch_manifest(show, "three", "Changed")  # a rebuild: unchanged files come from the output
    build(show, out, capsys)
    assert (out / "media" / "one.mp3").stat().st_ino == first, "not reused from the output"
    published = inodes(out)
    assert {"media/one.mp3", "images/one.png", "artwork.png"} <= {
        str(Path(p).relative_to(out)) for p in published.values()}
    kept = {**inodes(show), **inodes(tmp_path / ".segpack-cache")}
    shared = {published[i]: kept[i] for i in published.keys() & kept.keys()}
    assert not shared, f"published files share an inode with: {shared}"


def test_tagging_the_published_copy_in_place_reaches_neither_cache_nor_next_build(
        show, tmp_path, capsys) -> None:
    out = tmp_path / "public"
    build(show, out, capsys)
    published = out / "media" / "one.mp3"
    good = published.read_bytes()
    other = tmp_path / "other.md"
    other.write_text(manifest("other", title="Somebody Else's Title", duration="0:01"),
                     encoding="utf-8")
    assert main(["tag", str(published), "--from", str(other)]) == 0, capsys.readouterr()
    edit_in_place(published, len(good) - 200, b"\xff" * 50)  # and the audio, times kept
    assert published.read_bytes() != good
    for info in (tmp_path / ".segpack-cache").rglob("info.json"):
        copy = next(p for p in info.parent.iterdir() if p.name != "info.json")
        recorded = json.loads(info.read_text(encoding="utf-8"))["sha256"]
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == recorded, f"{copy} changed"

    touch_manifest(show, "three", "Changed")  # another episode changes: a full build
    build(show, out, capsys)
    assert published.read_bytes() == good
    capsys.readouterr()
    assert main(["tags", str(published), "--json"]) == 0
    assert "Somebody Else" not in capsys.readouterr().out


def test_an_image_edited_in_the_output_leaves_the_show_image_alone(show, tmp_path,
                                                                   capsys) -> None:
    out = tmp_path / "public"
    build(show, out, capsys)
    source = (show / "images" / "one.png").read_bytes()
    edit_in_place(out / "images" / "one.png", 40, b"edited")
    edit_in_place(out / "artwork.png", 40, b"edited")
    assert (show / "images" / "one.png").read_bytes() == source
    assert (show / "images" / "show.png").read_bytes() == source
    touch_manifest(show, "three", "Changed")
    build(show, out, capsys)
    assert (out / "images" / "one.png").read_bytes() == source
    assert (out / "artwork.png").read_bytes() == source


@pytest.mark.parametrize("sid", ["one", "three"], ids=["planned-here", "reused-fragment"])
def test_a_transcript_edited_in_place_is_written_anew(show, tmp_path, capsys, sid) -> None:
    """Text files equal to the last build's are linked from the previous output only when
    still as published; the direct-link episode comes back whole from the manifest cache
    (`feeds.fragments`), the local-audio one is planned by the build process."""
    out = tmp_path / "public"
    build(show, out, capsys)
    page = out / "transcripts" / f"{sid}.txt"
    good = page.read_bytes()
    edit_in_place(page, 0, b"X")
    touch_manifest(show, "two", "Changed")
    build(show, out, capsys)
    assert page.read_bytes() == good


def test_a_cache_entry_an_older_segpack_linked_into_the_output_is_checked(show, tmp_path,
                                                                          capsys) -> None:
    out = tmp_path / "public"
    build(show, out, capsys)
    published = out / "media" / "one.mp3"
    good = published.read_bytes()
    entry = next(p for p in (tmp_path / ".segpack-cache").rglob("one.mp3"))
    published.unlink()
    os.link(entry, published)  # what segpack did before: the published file was the entry
    edit_in_place(published, len(good) - 100, b"\x00" * 20)
    touch_manifest(show, "three", "Changed")
    build(show, out, capsys)
    assert published.read_bytes() == good
    assert entry.read_bytes() == good or not entry.exists()


def test_a_tagged_copy_cut_short_by_the_file_system_is_never_cached_or_published(
        tmp_path, tone, capsys) -> None:
    """A nearly full disk (here RLIMIT_FSIZE, the same refusal without a mount) stops the
    tagged copy in the build cache short: once a scrambled, shorter copy was cached and
    published, exit 0. Now the build is refused, and the next one publishes the audio whole."""
    from tests.media_helpers import payload_hash
    from tests.test_journal import file_size_limit

    root = tmp_path / "show"
    (root / "media").mkdir(parents=True)
    shutil.move(tone(".mp3", seconds=20.0), root / "media" / "one.mp3")
    write_show(root, {"one": manifest("one", duration="0:20",
                                      audio="audio: {file: media/one.mp3}\n")})
    source = root / "media" / "one.mp3"
    out = tmp_path / "public"
    with file_size_limit(source.stat().st_size + 200):  # the copy fits; grown tag: it does not
        status, _, err = run(root, "-o", out, "--jobs", "1", capsys=capsys)
    assert status == 1 and "File too large" in err and "Traceback" not in err, err
    assert not out.exists()
    assert not [p for p in (tmp_path / ".segpack-cache").rglob("one.mp3")]
    build(root, out, capsys)
    assert payload_hash(out / "media" / "one.mp3") == payload_hash(source)


def refused_build(show: Path, out: Path, capsys) -> None:
    """A build refused at the media step (two.mp3 is not audio): by then the episodes that
    needed no media work had their files linked from the output into the staging folder."""
    good = (show / "media" / "two.mp3").read_bytes()
    (show / "media" / "two.mp3").write_text("not audio\n", encoding="utf-8")
    status, _, err = run(show, "-o", out, "--jobs", "1", capsys=capsys)
    assert status == 1 and "nothing published" in err, err
    (show / "media" / "two.mp3").write_bytes(good)


def test_the_build_after_a_refused_build_reuses_the_published_copies(show, tmp_path,
                                                                     capsys) -> None:
    """The refused build's links (made, then removed with its staging folder) moved the
    published files' ctimes past the mark, and the next build copied every one of them again
    (issue 14): it marks again when only its own links did."""
    out = tmp_path / "public"
    build(show, out, capsys)
    before = inodes(out)
    refused_build(show, out, capsys)
    assert inodes(out) == before  # nothing published
    touch_manifest(show, "three", "Changed")
    build(show, out, capsys)
    after = {path: node for node, path in inodes(out).items()}
    for node, path in before.items():
        if path.endswith((".mp3", ".png")):
            assert after[path] == node, f"{path} was copied again, not reused"


def test_an_edit_before_a_refused_build_is_still_written_anew(show, tmp_path, capsys) -> None:
    """Marking again after a refused build must not bless an in-place edit (times kept) made
    to the output before it: the old mark stands, and the file is copied anew."""
    out = tmp_path / "public"
    build(show, out, capsys)
    published = out / "media" / "one.mp3"
    good = published.read_bytes()
    edit_in_place(published, len(good) - 200, b"\xff" * 50)
    refused_build(show, out, capsys)
    touch_manifest(show, "three", "Changed")
    build(show, out, capsys)
    assert published.read_bytes() == good


def test_a_recording_fixed_after_a_refused_build_is_built(show, tmp_path, capsys) -> None:
    """The refused build's verdict on the unreadable audio (SEG304, found before the episode
    was compiled, so the audio was never recorded as its input) was cached with the manifest:
    the fixed recording was refused again by every build until the manifest changed."""
    out = tmp_path / "public"
    build(show, out, capsys)
    refused_build(show, out, capsys)  # two.mp3 fixed, the manifest untouched
    build(show, out, capsys)
