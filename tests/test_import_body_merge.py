"""Re-import merges the transcript paragraph by paragraph, and --dry-run shows the body's diff
(issue 12 review A5)."""

from __future__ import annotations

import json
from pathlib import Path

from segment.importers.bodymerge import merge, paragraph_keys
from segment.manifest import read_manifest

PAGE = Path(__file__).parent / "data" / "pages" / "voa-en-2024-pangea.html"
FIRST = "AUBURN, Wash. — For the first time in more than a century"
FISH = "The fish returned two years after work crews tore out a concrete dam"
LAST = "Tom Haverly, whose family has grown hay beside the creek"


def test_merge_takes_each_sides_changes():
    base = "One.\n\nTwo.\n\nThree.\n\nFour."
    mine = "One.\n\nTwo, edited.\n\nThree.\n\nFour."
    theirs = "One.\n\nTwo.\n\nThree.\n\nFour, corrected.\n\nFive."
    merged = merge(paragraph_keys(base), mine, theirs)
    assert merged.text == "One.\n\nTwo, edited.\n\nThree.\n\nFour, corrected.\n\nFive."
    assert (merged.taken, merged.conflicts) == (1, 0)


def test_merge_keeps_mine_where_both_changed():
    base = "One.\n\nTwo.\n\nThree."
    mine = "One.\n\nTwo, mine.\n\nThree."
    theirs = "One.\n\nTwo, theirs.\n\nThree, theirs."
    merged = merge(paragraph_keys(base), mine, theirs)
    assert merged.text == "One.\n\nTwo, mine.\n\nThree, theirs."
    assert merged.conflicts == 1


def test_merge_follows_removed_and_added_paragraphs_and_ignores_wrapping():
    base = "One.\n\nTwo.\n\nThree is long."
    theirs = "Zero.\n\nOne.\n\nThree is long."  # a paragraph added before, one removed
    assert merge(paragraph_keys(base), base, theirs).text == theirs
    rewrapped = "One.\n\nTwo.\n\nThree is\nlong."  # the same words: not an edit
    assert paragraph_keys("Three is long.") == paragraph_keys("Three  is\nlong.")
    merged = merge(paragraph_keys(base), rewrapped, theirs)
    assert merged.text == "Zero.\n\nOne.\n\nThree is\nlong."
    assert merged.conflicts == 0


def test_merge_of_stretches_of_different_lengths_where_both_changed():
    base = "One.\n\nTwo.\n\nThree."
    mine = "One.\n\nTwo and three, joined.\n\nFour."
    theirs = "One.\n\nTwo.\n\nThree, corrected.\n\nThree and a half."
    merged = merge(paragraph_keys(base), mine, theirs)
    assert merged.text == mine and merged.conflicts == 1


def _reimport(tmp_path, run_import, edit_manifest, edit_page):
    out = tmp_path / "segments"
    assert run_import("article", str(PAGE), "-o", str(out))[0] == 0
    (manifest,) = out.glob("*.md")
    manifest.write_text(edit_manifest(manifest.read_text(encoding="utf-8")), encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text(edit_page(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    return out, manifest, page


def test_reimport_keeps_my_paragraph_and_takes_the_pages(tmp_path, run_import):
    out, manifest, page = _reimport(
        tmp_path, run_import,
        lambda text: text.replace("The fish returned two years", "The salmon returned two years"),
        lambda html: html.replace("said he had come around.", "said he had changed his mind."))
    before = manifest.read_text(encoding="utf-8")

    code, printed, err = run_import("article", str(page), "-o", str(out), "--dry-run")
    assert code == 0, err
    assert manifest.read_text(encoding="utf-8") == before  # dry: nothing written
    assert "passage(s) you had not edited; your edits elsewhere kept" in printed
    removed = [line for line in printed.splitlines() if line.startswith("    -Tom Haverly")]
    added = [line for line in printed.splitlines() if line.startswith("    +Tom Haverly")]
    assert len(removed) == len(added) == 1 and "changed his mind" in added[0]
    assert "    +The fish returned" not in printed  # my edit is not undone

    code, printed, err = run_import("article", str(page), "-o", str(out), "--json")
    assert code == 0, err
    [result] = json.loads(printed)["results"]
    assert any(line.startswith("+Tom Haverly") for line in result["body_diff"])
    body = read_manifest(manifest).body
    assert "The salmon returned two years" in body and "changed his mind" in body
    assert body.startswith(FIRST) and LAST in body


def test_reimport_where_both_changed_a_paragraph_keeps_mine_and_shows_the_pages(
        tmp_path, run_import):
    out, manifest, page = _reimport(
        tmp_path, run_import,
        lambda text: text.replace("The fish returned two years", "The salmon returned two years"),
        lambda html: html.replace("The fish returned two years", "Fish returned two years"))
    code, printed, err = run_import("article", str(page), "-o", str(out), "--dry-run")
    assert code == 0, err
    assert "your edit of 1 passage(s) the page changed too: yours kept" in printed
    assert any(line.startswith("    +Fish returned two years") for line in printed.splitlines())
    assert run_import("article", str(page), "-o", str(out))[0] == 0
    body = read_manifest(manifest).body
    assert "The salmon returned two years" in body and "Fish returned" not in body
