"""The no-change shortcut answers "up to date" only when every input is as the last build read
it and every file it published is still there as published; a build whose output is live is
not reported as failed because its cache could not be saved (issue 18, item 7)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from feeds import output as output_mod
from feeds.cache import cache_dir_for, read_marshal, state_parts
from tests.test_bad_inputs import png_header
from tests.test_build import IMAGE_LINE, SHOW_YAML, manifest, run, write_show

LINK = ("audio: {direct_link: 'https://n.example.org/a.mp3', length: 10, type: audio/mpeg}\n"
        "source: {url: 'https://n.example.org/a.html'}\n")


@pytest.fixture
def built(tmp_path, tone, capsys) -> tuple[Path, Path]:
    """A show (local audio, a direct-link episode, show artwork) built once: (show, output)."""
    show = tmp_path / "show"
    (show / "media").mkdir(parents=True)
    shutil.move(tone(".mp3", seconds=1.0), show / "media" / "one.mp3")
    (show / "art.png").write_bytes(png_header(1400, 1400))
    write_show(show, {"one": manifest("one", duration="0:01",
                                      audio="audio: {file: media/one.mp3}\n"),
                      "two": manifest("two", audio=LINK)},
               SHOW_YAML.replace(IMAGE_LINE, "image: {file: art.png}\n"))
    out = tmp_path / "public"
    assert build(show, out, capsys)[0] == 0
    return show, out


def build(show: Path, out: Path, capsys, *extra: str) -> tuple[int, str, str]:
    return run(show, "-o", out, "--jobs", "1", *extra, capsys=capsys)


def test_nothing_changed_is_up_to_date(built, capsys) -> None:
    show, out = built
    status, stdout, _ = build(show, out, capsys)
    assert status == 0 and "up to date" in stdout


def test_the_state_records_every_published_file(built) -> None:
    """The show's own files in state.marshal, each episode's in the state's shards (issue 17:
    never all in one process's memory)."""
    show, out = built
    cache = cache_dir_for(out)
    state = read_marshal(cache / "state.marshal")
    episodes = dict(state_parts(cache, state).items())  # {manifest: (stat, read, published)}
    assert sorted(episodes) == sorted(p.name for p in (show / "segments").glob("*.md"))
    published = set(state["files"]).union(*(part[2] for part in episodes.values()))
    assert published == output_mod.read_record(out)
    assert {"feed.xml", "index.html"} <= set(state["files"])  # the show's own
    assert not {"feed.xml", "index.html"} & set().union(*(p[2] for p in episodes.values()))


@pytest.mark.parametrize("rel", ["index.html", "feed.xml", "media/one.mp3",
                                 "transcripts/two.txt", "transcripts/one.html", "artwork.png"])
def test_a_deleted_published_file_is_put_back(built, capsys, rel) -> None:
    show, out = built
    before = (out / rel).read_bytes()
    (out / rel).unlink()
    status, stdout, err = build(show, out, capsys)
    assert status == 0, err
    assert "up to date" not in stdout
    assert (out / rel).read_bytes() == before


def test_a_published_file_edited_in_place_is_put_back(built, capsys) -> None:
    """A tagger that keeps the file's mtime and size: only the inode change time tells."""
    show, out = built
    published = out / "media" / "one.mp3"
    good = published.read_bytes()
    st = published.stat()
    with open(published, "r+b") as handle:
        handle.seek(len(good) - 100)
        handle.write(b"\x00" * 10)
    os.utime(published, ns=(st.st_atime_ns, st.st_mtime_ns))
    status, stdout, err = build(show, out, capsys)
    assert status == 0 and "up to date" not in stdout, err
    assert published.read_bytes() == good
    assert "up to date" in build(show, out, capsys)[1]


def test_touching_the_list_of_files_makes_a_full_build(built, capsys) -> None:
    show, out = built
    os.utime(out / output_mod.RECORD)
    assert "up to date" not in build(show, out, capsys)[1]
    assert "up to date" in build(show, out, capsys)[1]


def test_a_disk_full_after_the_swap_is_a_warning_the_output_being_live(built, capsys,
                                                                       monkeypatch) -> None:
    """Saving the cache after the swap fails (here every new file in the build's folders is
    refused, as on a full disk): exit 0, one warning line, the new feed published; the next
    build trusts nothing of this one's and builds in full."""
    show, out = built
    real_publish, real_mkstemp = output_mod.publish, tempfile.mkstemp
    full = []
    parent = str(out.parent)

    def publish_then_fill(*args, **kwargs):
        done = real_publish(*args, **kwargs)
        full.append(True)
        return done

    def mkstemp(*args, **kwargs):
        if full and str(kwargs.get("dir", "")).startswith(parent):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(output_mod, "publish", publish_then_fill)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    (show / "segments" / "two.md").write_text(manifest("two", title="Brand new", audio=LINK),
                                              encoding="utf-8")
    status, stdout, err = build(show, out, capsys, "--json")
    assert status == 0, err
    assert "Traceback" not in err
    warnings = [line for line in err.splitlines() if "build cache could not be saved" in line]
    assert len(warnings) == 1 and "No space left on device" in warnings[0], err
    assert f"{out} is published" in warnings[0]
    summary = json.loads(stdout)
    assert summary["ok"] and summary["cache_saved"] is False
    assert b"Brand new" in (out / "feed.xml").read_bytes()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".public.")]

    monkeypatch.undo()
    status, stdout, err = build(show, out, capsys)
    assert status == 0 and "up to date" not in stdout, err
    assert "up to date" in build(show, out, capsys)[1]
