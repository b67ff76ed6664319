"""A big show's feed in pages (issue 17, RFC 5005 archived feeds): show.yaml `paging:
{items_per_page: N}` publishes the newest N episodes in feed.xml and the rest in archive pages
counted from the oldest. Read back by feedparser (every page, following `prev-archive`),
podcastparser and lxml, and the W3C feed validator's checks on an archive page; full pages keep
their bytes when new episodes come."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree

from segment.cli import main
from tests.readers import w3c_check

BASE = "https://example.org/show/"
FH = "http://purl.org/syndication/history/1.0"
SHOW = ("title: Paged\ndescription: A long-running show\nlanguage: en\n"
        f"feed_url: {BASE}feed.xml\nimage: {{url: https://example.org/c.png}}\n"
        "categories: [News]\nowner: {name: A Newsroom, email: podcasts@example.org}\n"
        "explicit: false\n")
PER_PAGE = 5
ITEM = re.compile(rb"    <item>.*?    </item>\n", re.DOTALL)


def episode(n: int) -> str:
    return (f"---\nid: ep-{n:03d}\ntitle: Episode {n}\nsummary: Number {n}.\nlanguage: en\n"
            f'duration: "1:00"\npublished: 2024-01-01T{n // 60:02d}:{n % 60:02d}:00Z\n'
            f"audio:\n  direct_link: https://cdn.example.org/ep-{n:03d}.mp3\n"
            "  length: 1000\n  type: audio/mpeg\n"
            f"source: {{url: 'https://example.org/news/{n}'}}\n---\nWords of episode {n}.\n")


def make_show(root: Path, count: int, paging: bool = True) -> Path:
    (root / "segments").mkdir(parents=True, exist_ok=True)
    (root / "show.yaml").write_text(
        SHOW + (f"paging: {{items_per_page: {PER_PAGE}}}\n" if paging else ""), encoding="utf-8")
    for n in range(count):
        add(root, n)
    return root


def add(root: Path, n: int) -> None:
    (root / "segments" / f"ep-{n:03d}.md").write_text(episode(n), encoding="utf-8")


def build(show: Path, out: Path, capsys) -> None:
    status = main(["build", str(show), "-o", str(out), "--jobs", "1", "-q"])
    assert status == 0, capsys.readouterr().err


def pages(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "archive").glob("*.xml"))}


def links(doc: etree._ElementTree, rel: str) -> list[str]:
    return doc.xpath(f"/rss/channel/atom:link[@rel='{rel}']/@href",
                     namespaces={"atom": "http://www.w3.org/2005/Atom"})


def read_all(out: Path) -> list[list[str]]:
    """Every document's item guids as feedparser reads them, feed.xml first, then each
    `prev-archive` in turn (its URL mapped into the output folder)."""
    found = []
    url = BASE + "feed.xml"
    while url:
        parsed = feedparser.parse(str(out / url.removeprefix(BASE)))
        assert not parsed.bozo, parsed.bozo_exception
        found.append([entry.id for entry in parsed.entries])
        older = [link.href for link in parsed.feed.links if link.rel == "prev-archive"]
        assert len(older) <= 1
        url = older[0] if older else ""
    return found


@pytest.fixture
def paged(tmp_path, capsys) -> tuple[Path, Path]:
    show = make_show(tmp_path / "show", 23)
    out = tmp_path / "public"
    build(show, out, capsys)
    return show, out


def test_every_episode_once_across_the_pages(paged, tmp_path, capsys):
    _, out = paged
    plain = make_show(tmp_path / "plain", 23, paging=False)
    build(plain, tmp_path / "unpaged", capsys)
    unpaged = feedparser.parse(str(tmp_path / "unpaged" / "feed.xml"))
    documents = read_all(out)
    # newest 5 in feed.xml; 18 older in pages of 5 from the oldest: 4.xml holds the 3 newest
    assert [len(d) for d in documents] == [5, 3, 5, 5, 5]
    assert [guid for doc in documents for guid in doc] == \
        [entry.id for entry in unpaged.entries]  # the guids, in feed order
    assert sorted(pages(out)) == ["1.xml", "2.xml", "3.xml", "4.xml"]
    feed = etree.parse(str(out / "feed.xml"))
    assert links(feed, "prev-archive") == [BASE + "archive/4.xml"]
    assert not feed.xpath("//fh:archive | //fh:complete", namespaces={"fh": FH})
    guid = unpaged.feed.podcast_guid
    for number in range(1, 5):
        page = etree.parse(str(out / "archive" / f"{number}.xml"))
        assert len(page.xpath("/rss/channel/fh:archive", namespaces={"fh": FH})) == 1
        assert not page.xpath("//fh:complete", namespaces={"fh": FH})
        assert links(page, "current") == [BASE + "feed.xml"]
        assert links(page, "self") == [BASE + f"archive/{number}.xml"]
        assert links(page, "prev-archive") == ([BASE + f"archive/{number - 1}.xml"]
                                               if number > 1 else [])
        assert links(page, "next-archive") == []
        read = feedparser.parse(str(out / "archive" / f"{number}.xml"))
        assert read.feed.podcast_guid == guid
    assert feedparser.parse(str(out / "feed.xml")).feed.podcast_guid == guid
    # the same items as an unpaged feed, byte for byte
    documents_bytes = [(out / "feed.xml").read_bytes(), *reversed(pages(out).values())]
    assert [item for doc in documents_bytes for item in ITEM.findall(doc)] == \
        ITEM.findall((tmp_path / "unpaged" / "feed.xml").read_bytes())
    assert len(podcastparser.parse(BASE + "feed.xml", (out / "feed.xml").open("rb"))
               ["episodes"]) == 5


def test_an_archive_page_passes_the_w3c_validators_checks(paged):
    _, out = paged
    assert w3c_check(out / "archive" / "2.xml")["errors"] == []
    assert w3c_check(out / "feed.xml")["errors"] == []


def test_full_pages_keep_their_bytes_as_episodes_come(paged, capsys):
    show, out = paged
    before = pages(out)
    add(show, 23)  # the oldest of feed.xml moves into the partial page 4
    build(show, out, capsys)
    after = pages(out)
    assert {k: after[k] for k in ("1.xml", "2.xml", "3.xml")} == \
        {k: before[k] for k in ("1.xml", "2.xml", "3.xml")}
    assert after["4.xml"] != before["4.xml"]
    assert [len(d) for d in read_all(out)] == [5, 4, 5, 5, 5]
    add(show, 24)  # page 4 is full now
    build(show, out, capsys)
    full = pages(out)
    assert [len(d) for d in read_all(out)] == [5, 5, 5, 5, 5]
    add(show, 25)  # across the boundary: a new page 5, and page 4 as it was
    build(show, out, capsys)
    assert [len(d) for d in read_all(out)] == [5, 1, 5, 5, 5, 5]
    now = pages(out)
    assert {k: now[k] for k in full} == full
    assert links(etree.parse(str(out / "feed.xml")), "prev-archive") == [
        BASE + "archive/5.xml"]


def test_pages_no_longer_needed_are_removed_and_few_episodes_need_none(paged, capsys):
    show, out = paged
    for n in range(12):
        (show / "segments" / f"ep-{n:03d}.md").unlink()
    build(show, out, capsys)  # 11 left: 5 in feed.xml, pages of 5 and 1
    assert sorted(pages(out)) == ["1.xml", "2.xml"]
    assert [len(d) for d in read_all(out)] == [5, 1, 5]
    for n in range(12, 19):
        (show / "segments" / f"ep-{n:03d}.md").unlink()
    build(show, out, capsys)  # 4 left: feed.xml alone, no link
    assert not (out / "archive").exists() or not pages(out)
    assert [len(d) for d in read_all(out)] == [4]
    assert links(etree.parse(str(out / "feed.xml")), "prev-archive") == []


def test_items_per_page_must_be_a_positive_number(tmp_path, capsys):
    show = make_show(tmp_path / "show", 2)
    (show / "show.yaml").write_text(SHOW + "paging: {items_per_page: 0}\n", encoding="utf-8")
    assert main(["validate", str(show)]) == 1
    out = capsys.readouterr().out
    assert "paging.items_per_page" in out and "show.yaml" in out


def test_spooled_items_and_articles_give_the_same_bytes_as_held_ones(tmp_path, capsys,
                                                                     monkeypatch):
    """The build keeps each compiled item and preview article in a scratch file until the
    pages and index.html are written (`feeds.spool.Spool`, issue 17: memory): feed.xml,
    every archive page and index.html are the bytes the build makes holding them in memory,
    as it did before, with worker processes and a right-to-left, non-ASCII episode."""
    import feeds.compile_all
    import feeds.preview
    import feeds.spool

    monkeypatch.setattr(feeds.compile_all, "PARALLEL_FROM", 2)  # fork workers for 40
    monkeypatch.setattr(feeds.preview, "PREVIEW_TRANSCRIPTS", 7)  # newest 7 fold theirs in
    show = make_show(tmp_path / "show", 40)
    (show / "segments" / "ep-017.md").write_text(
        episode(17).replace("language: en", "language: ar")
        .replace("Episode 17", "الحلقة ١٧ — «نشرة»"), encoding="utf-8")
    spilled = []
    real_spill = feeds.spool.Spool.spill

    def counted(self, path, data):
        kept = real_spill(self, path, data)
        spilled.append(kept is not data)
        return kept

    def held(self, path, data):
        return data

    made = {}
    for name, spill in (("spooled", counted), ("held", held)):
        monkeypatch.setattr(feeds.spool.Spool, "spill", spill)
        out = tmp_path / name
        status = main(["build", str(show), "-o", str(out), "--jobs", "2", "-q"])
        assert status == 0, capsys.readouterr().err
        made[name] = {p.relative_to(out).as_posix(): p.read_bytes()
                      for p in sorted(out.rglob("*")) if p.is_file() and
                      p.name != ".segpack-files"}
    assert spilled and all(spilled) and len(spilled) == 40
    assert len([p for p in made["held"] if p.startswith("archive/")]) == 7
    assert "الحلقة ١٧".encode() in made["held"]["index.html"]
    assert made["spooled"] == made["held"]
