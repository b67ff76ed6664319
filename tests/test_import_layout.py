"""One YAML layout for a first import and every later update (manifests and show.yaml).

A first import writes with PyYAML's C emitter, updates go through ruamel's round trip
(`segment.manifest.round_trip_yaml`). The two must agree: rewriting an imported file without
changes gives it back byte for byte, a re-import that changes one field changes one line, no
line ends in white space, and a filled placeholder loses its "# not in ..." comment."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from segment.manifest import round_trip_yaml, split_front_matter, updated_text

DATA = Path(__file__).parent / "data"
FEEDS = sorted([*(DATA / "feeds").glob("*.xml"), *(DATA / "feeds" / "hosts").glob("*.xml")])
OWNERS = ["--owner-email", "owner@example.org"]
LOCKED = {"migration.xml": "owner@example.org", "simplecast.xml": "rights@example.net",
          "anchor.xml": "nightdesk@lateshift.example.net"}


def _import(*args: str) -> None:
    from segment.cli import main

    assert main(["import", *args, "-q"]) == 0


def _written(show: Path) -> list[Path]:
    return sorted([show / "show.yaml", *(show / "segments").glob("*.md")])


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _rewritten(path: Path) -> str:
    """The file as the update writer writes it back with nothing changed."""
    if path.suffix == ".md":
        return updated_text(path, {})
    import io

    text = path.read_text(encoding="utf-8")
    yaml = round_trip_yaml(text)
    stream = io.StringIO()
    yaml.dump(yaml.load(text), stream)
    return stream.getvalue()


@pytest.mark.parametrize("feed", FEEDS, ids=[f.stem for f in FEEDS])
def test_first_import_is_written_as_updates_write(tmp_path, feed):
    show = tmp_path / "show"
    owner = ["--owner-email", LOCKED[feed.name]] if feed.name in LOCKED else []
    _import("feed", str(feed), "-o", str(show), *owner)
    for path in _written(show):
        text = path.read_text(encoding="utf-8")
        assert [n for n, line in enumerate(text.splitlines(), 1) if line != line.rstrip()] \
            == [], f"{path.name}: trailing white space"
        assert _changed_lines(text, _rewritten(path)) == [], path.name


def test_reimport_changing_one_field_changes_one_line(tmp_path):
    """Simplecast's item: lists (transcripts, alternate enclosures), long notes and summary."""
    feed = tmp_path / "feed.xml"
    shutil.copyfile(DATA / "feeds" / "hosts" / "simplecast.xml", feed)
    show = tmp_path / "show"
    _import("feed", str(feed), "-o", str(show), "--owner-email", "rights@example.net")
    before = {p: p.read_text(encoding="utf-8") for p in _written(show)}
    feed.write_text(feed.read_text(encoding="utf-8").replace(
        "<itunes:duration>00:20:39</itunes:duration>",
        "<itunes:duration>00:20:41</itunes:duration>"), encoding="utf-8")
    _import("feed", str(feed), "-o", str(show), "--owner-email", "rights@example.net")
    diffs = {p.name: _changed_lines(text, p.read_text(encoding="utf-8"))
             for p, text in before.items()}
    manifest = "tuesday-the-bridge-vote-the-budget.md"
    assert diffs.pop(manifest) == ['-duration: "20:39"', '+duration: "20:41"']
    assert all(not lines for lines in diffs.values()), diffs


def test_a_filled_placeholder_loses_its_comment_and_nothing_else_moves(tmp_path):
    page = tmp_path / "page.html"
    shutil.copyfile(DATA / "pages" / "voa-en-newer-host.html", page)
    out = tmp_path / "segments"
    _import("article", str(page), "-o", str(out))
    (path,) = out.glob("*.md")
    before = path.read_text(encoding="utf-8")
    meta, _, _ = split_front_matter(before, path)
    assert "  # not in page" in meta
    # a person fills one placeholder and indents a list their own way; the page changes its
    # teaser: the update changes the summary line only, and keeps the person's layout
    placeholder = next(line for line in meta.splitlines() if line.endswith("# not in page"))
    key = placeholder.split(":")[0]
    mine = before.replace(placeholder, f"{key}: filled by hand")
    path.write_text(mine, encoding="utf-8")
    summary = next(line for line in meta.splitlines() if line.startswith("summary: "))
    teaser = "A rewritten teaser, long enough to pass any width: " + "words " * 40
    page.write_text(page.read_text(encoding="utf-8").replace(
        f'description" content="{summary.split(": ", 1)[1]}', f'description" content="{teaser}'),
        encoding="utf-8")
    _import("article", str(page), "-o", str(out))
    lines = _changed_lines(mine, path.read_text(encoding="utf-8"))
    assert [line[:10] for line in lines] == ["-summary: ", "+summary: "], lines


def test_the_update_writer_keeps_a_persons_list_indentation(tmp_path):
    path = tmp_path / "m.md"
    text = ("---\nid: a\ntitle: T\nlanguage: en\nkeywords:\n  - one\n  - two\nchapters:\n"
            "  - {start: 0, title: Opening}  # first\n---\nBody\n")
    path.write_text(text, encoding="utf-8")
    assert _changed_lines(text, updated_text(path, {"title": "U"})) == ["-title: T",
                                                                        "+title: U"]
    flush = text.replace("  - ", "- ")
    path.write_text(flush, encoding="utf-8")
    assert _changed_lines(flush, updated_text(path, {"title": "U"})) == ["-title: T",
                                                                         "+title: U"]


def test_an_import_that_fills_a_placeholder_drops_its_comment(tmp_path):
    page = DATA / "pages" / "voa-en-newer-host.html"
    out = tmp_path / "segments"
    _import("article", str(page), "-o", str(out))
    (path,) = out.glob("*.md")
    before = path.read_text(encoding="utf-8")
    assert "  file: null  # not in page\n" in before
    audio = tmp_path / "media" / "town.mp3"
    audio.parent.mkdir()
    audio.write_bytes(b"ID3")  # the page declares the duration: the audio is not probed
    _import("article", str(page), "-o", str(out), "--audio", str(audio))
    assert _changed_lines(before, path.read_text(encoding="utf-8")) == [
        "-  file: null  # not in page", "+  file: media/town.mp3"]
