"""Episodes compiled in worker processes give the same bytes as episodes compiled by the build.

`feeds.compile_all` compiles, writes and renders episodes in forked workers, and the build
splices their feed items and preview articles in; a show mixing direct-link segments with a
local-audio segment, a draft, chapters and control characters must come out byte for byte as
when every segment is compiled in the build process, and as a cold build after any rebuild.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds import compile_all
from feeds.build import BuildFailed, BuildOptions, build

DIRECT = """---
id: {sid}
title: Direct link number {n}
summary: Summary {n}, with <markup> & such.
duration: "1:{n:02d}"
language: en
published: 2024-02-{day:02d}T08:00:00Z
audio:
  direct_link: https://example.org/audio/{sid}.mp3
  length: {length}
  type: audio/mpeg
source:
  url: https://example.org/news/{sid}.html
  publisher: Bench News
persons:
  - name: Reporter {n}
    role: reporter
{extra}---
First paragraph of {n} <b>& friends</b> and a bell \x07.

Second paragraph.
"""
CHAPTERS = "chapters:\n  - {start: 0, title: Start}\n  - {start: 30, title: Later}\n"


def add_segments(show: Path, count: int = 12) -> None:
    for n in range(count):
        sid = f"direct-{n:02d}"
        extra = CHAPTERS if n % 3 == 0 else ("draft: true\n" if n == 5 else "")
        (show / "segments" / f"{sid}.md").write_text(
            DIRECT.format(sid=sid, n=n, day=n % 4 + 1, length=1000 + n, extra=extra),
            encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(show: Path, out: Path, jobs: int):
    return build(BuildOptions(show_dir=show, output=out, jobs=jobs))


@pytest.fixture
def mixed_show(example_show: Path) -> Path:
    add_segments(example_show)
    return example_show


def test_workers_and_build_process_give_the_same_bytes(mixed_show, tmp_path, monkeypatch):
    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    parallel = run(mixed_show, tmp_path / "parallel" / "public", jobs=2)
    serial = run(mixed_show, tmp_path / "serial" / "public", jobs=1)
    assert parallel.episodes == serial.episodes == 12
    assert parallel.drafts == 1
    assert sorted(f.code for f in parallel.findings) == sorted(f.code for f in serial.findings)
    built = tree(tmp_path / "parallel" / "public")
    assert "chapters/direct-00.json" in built and "transcripts/direct-11.html" in built
    assert "transcripts/direct-05.txt" not in built  # the draft
    assert built == tree(tmp_path / "serial" / "public")


def test_rebuild_from_the_cache_in_workers_is_identical(mixed_show, tmp_path, monkeypatch):
    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    out = tmp_path / "public"
    run(mixed_show, out, jobs=2)
    first = tree(out)
    edited = mixed_show / "segments" / "direct-07.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("number 7", "number seven"),
                      encoding="utf-8")
    again = run(mixed_show, out, jobs=2)
    assert again.manifests_parsed == 1 and again.manifests_cached == 12
    second = tree(out)
    assert second["feed.xml"] != first["feed.xml"]
    assert b"Direct link number seven" in second["feed.xml"]
    assert {k for k in first if first[k] != second[k]} == {
        "feed.xml", "index.html", "transcripts/direct-07.html"}


def test_a_refused_build_leaves_no_worker_files_and_the_old_output(mixed_show, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    out = tmp_path / "public"
    run(mixed_show, out, jobs=2)
    before = tree(out)
    bad = mixed_show / "segments" / "direct-03.md"
    bad.write_text(bad.read_text(encoding="utf-8").replace("id: direct-03", "id: direct-04"),
                   encoding="utf-8")
    with pytest.raises(BuildFailed):
        run(mixed_show, out, jobs=2)
    assert tree(out) == before
    assert not list(tmp_path.glob(".public.build-*"))


def test_preview_embeds_the_newest_transcripts_only(example_show, tmp_path, monkeypatch):
    """The page shows the transcripts of exactly the newest PREVIEW_TRANSCRIPTS episodes,
    whichever process compiled them, as when the build compiles every segment itself."""
    from lxml import html

    from feeds import preview

    for n in range(40):
        sid = f"many-{n:02d}"
        (example_show / "segments" / f"{sid}.md").write_text(DIRECT.format(
            sid=sid, n=n, day=(n * 7) % 28 + 1, length=1000 + n, extra=""), encoding="utf-8")
    monkeypatch.setattr(preview, "PREVIEW_TRANSCRIPTS", 4)
    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    run(example_show, tmp_path / "parallel" / "public", jobs=2)
    run(example_show, tmp_path / "serial" / "public", jobs=1)
    page = (tmp_path / "parallel" / "public" / "index.html").read_bytes()
    assert page == (tmp_path / "serial" / "public" / "index.html").read_bytes()
    articles = html.fromstring(page).xpath("//article")
    embedded = [a.get("id") for a in articles if a.xpath("details[@class='transcript']")]
    assert embedded == [a.get("id") for a in articles[:4]]
    assert all(a.xpath(".//a[starts-with(@href, 'transcripts/')]") for a in articles)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_rebuild_reuses_unchanged_episodes_and_equals_a_cold_build(mixed_show, tmp_path,
                                                                     monkeypatch, jobs):
    """After one manifest changes, the others are published as the last build compiled them
    (the store, `feeds.cache`), and the output is byte for byte a fresh build's."""
    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    out = tmp_path / "public"
    first = run(mixed_show, out, jobs)
    assert first.episodes_reused == 0
    edited = mixed_show / "segments" / "direct-04.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Direct link number 4",
                                                                  "Number four, edited"),
                      encoding="utf-8")
    again = run(mixed_show, out, jobs)
    cold = run(mixed_show, tmp_path / "cold" / "public", jobs)
    assert again.episodes == cold.episodes == 12
    assert again.episodes_reused == 12 - 1  # the edited one (local audio is reused too)
    assert sorted(f.code for f in again.findings) == sorted(f.code for f in cold.findings)
    assert tree(out) == tree(tmp_path / "cold" / "public")
    assert b"Number four, edited" in (out / "feed.xml").read_bytes()


def test_changed_files_in_the_last_output_are_written_anew(mixed_show, tmp_path):
    """A reused episode links its files from the previous output only while they are what
    that build wrote; a changed one is rendered again. show.yaml changes reuse nothing."""
    out = tmp_path / "public"
    run(mixed_show, out, 1)
    page = out / "transcripts" / "direct-07.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Second", "Tampered"),
                    encoding="utf-8")
    (mixed_show / "segments" / "direct-01.md").touch()
    again = run(mixed_show, out, 1)
    assert again.episodes_reused == 12 - 1 - 1  # touched, tampered (local audio reused)
    assert b"Tampered" not in page.read_bytes()
    show_yaml = mixed_show / "show.yaml"
    show_yaml.write_text(show_yaml.read_text(encoding="utf-8") + "\n# a comment\n",
                         encoding="utf-8")
    assert run(mixed_show, out, 1).episodes_reused == 0
    cold = tmp_path / "cold" / "public"
    run(mixed_show, cold, 1)
    assert tree(out) == tree(cold)


@pytest.mark.parametrize("jobs", [1, 2])
def test_check_after_a_build_uses_the_reused_episodes(mixed_show, tmp_path, monkeypatch, jobs):
    """--check reads the cache the last build left (rendered episodes included) and writes
    nothing; it must report what a fresh check reports."""
    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    out = tmp_path / "public"
    run(mixed_show, out, jobs)
    before = tree(out)
    checked = build(BuildOptions(show_dir=mixed_show, output=out, jobs=jobs, check=True))
    fresh = build(BuildOptions(show_dir=mixed_show, output=tmp_path / "other" / "public",
                               jobs=jobs, check=True))
    assert checked.checked_only and checked.episodes == fresh.episodes == 12
    assert checked.episodes_reused == 12 - 1  # all but the local-audio one
    assert sorted(f.code for f in checked.findings) == sorted(f.code for f in fresh.findings)
    assert tree(out) == before


def test_a_worker_failing_midway_leaves_the_cache_and_output_as_they_were(mixed_show, tmp_path,
                                                                          monkeypatch):
    """One worker runs out of disk after other chunks wrote their manifest cache shards: the
    error reaches the build, the new shards are removed, the last good cache and output stay."""
    import errno

    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    out = tmp_path / "public"
    run(mixed_show, out, jobs=2)
    before = tree(out)
    cache = tmp_path / ".segpack-cache" / "public"
    store = tree(cache / "manifests")
    for path in (mixed_show / "segments").glob("direct-*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("Summary", "Summed up"),
                        encoding="utf-8")
    real = compile_all.write_files

    def full_disk(files, staging, *args):
        if any("direct-10" in name for name in files):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(files, staging, *args)

    monkeypatch.setattr(compile_all, "write_files", full_disk)  # forked workers inherit it
    with pytest.raises(OSError, match="No space left"):
        run(mixed_show, out, jobs=2)
    assert tree(out) == before
    assert tree(cache / "manifests") == store
    assert not [p.name for p in cache.iterdir() if "manifests." in p.name]
    assert not list(tmp_path.glob(".public.build-*"))
