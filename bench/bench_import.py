"""Importing: article pages and a 1,000-item feed, each against a floor measured in the same run.

- 1,000 article pages in one `segpack import article` run vs parsing them with lxml (the
  hand-written Pangea test page with varied titles, canonical URLs and audio links, so every
  page becomes its own manifest); and one realistic Pangea page in-process, in ms a page
  (issue 12: under 50 ms), against lxml parsing it.
- a 1,000-item feed (the hand-made migration feed's rich item: notes, transcripts, chapters,
  season/episode, soundbite, location, license, a verbatim element) imported by `segpack import
  feed` (start-up, 1,000 manifests and import records written and synced) vs feedparser
  parsing the same file (issue 12: within 2x); and the parse alone (`import_feed`) in-process.
"""

from __future__ import annotations

import time
from pathlib import Path

import lxml.html
from common import ROOT, Row, best_of, run_segpack

COUNT = 1_000
PAGE = ROOT / "tests" / "data" / "pages" / "voa-en-newer-host.html"
PANGEA_2024 = ROOT / "tests" / "data" / "pages" / "voa-en-2024-pangea.html"
FEED = ROOT / "tests" / "data" / "feeds" / "migration.xml"
ITEMS = 1_000


def make_pages(folder: Path, count: int = COUNT) -> list[Path]:
    folder.mkdir(parents=True)
    template = PAGE.read_text(encoding="utf-8")
    pages = []
    for n in range(count):
        text = (template.replace("Coalition Retakes Key Town", f"Coalition Retakes Town {n}")
                .replace("coalition-retakes-key-town/7001234", f"town-{n}/{7001234 + n}")
                .replace("0a1b2c3d-aaaa-bbbb-cccc-000000000001", f"0a1b2c3d-{n:04d}"))
        path = folder / f"page-{n:04d}.html"
        path.write_text(text, encoding="utf-8")
        pages.append(path)
    return pages


def lxml_floor(pages: list[Path]) -> float:
    start = time.perf_counter()
    for path in pages:
        lxml.html.document_fromstring(path.read_bytes())
    return time.perf_counter() - start


def make_feed(path: Path, items: int = ITEMS) -> Path:
    """The migration feed with its first item repeated `items` times (own guid, title, file)."""
    text = FEED.read_text(encoding="utf-8")
    start, end = text.index("<item>"), text.index("</item>") + len("</item>")
    item = text[start:end]
    copies = [item.replace("episodes/1/", f"episodes/{n}/").replace("media/ep1.mp3",
                                                                      f"media/ep{n}.mp3")
              .replace("Salmon return&nbsp;to Mill Creek", f"Salmon return {n}")
              for n in range(items)]
    path.write_text(text[:start] + "\n".join(copies) + text[text.index("</channel>"):],
                    encoding="utf-8")
    return path


def feed_rows(work: Path) -> list[Row]:
    import feedparser

    from segment.importers.feed import import_feed

    feed = make_feed(work / "feed.xml")
    data = feed.read_bytes()
    floor = best_of(lambda: feedparser.parse(data))
    parse = best_of(lambda: import_feed(feed, owner_email="owner@example.org"))
    times = []
    for attempt in range(3):
        out = work / f"show-{attempt}"
        start = time.perf_counter()
        done = run_segpack("import", "feed", str(feed), "-o", str(out), "--owner-email",
                           "owner@example.org", "--feed-url", "https://new.example.org/f.xml",
                           "--json", check=False)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr.decode()[-500:]
        assert len(list((out / "segments").glob("*.md"))) == ITEMS
    return [Row(f"import a {ITEMS:,}-item feed (CLI: start-up, write, sync)", min(times), floor,
                "feedparser.parse of the same file", target=2.0,
                notes={"feed": f"{len(data) / 1e6:.1f} MB"}),
            Row(f"parse a {ITEMS:,}-item feed (import_feed, in-process)", parse, floor,
                "feedparser.parse of the same file", target=2.0)]


def page_row() -> Row:
    from segment.importers.article import import_article

    import_article(PANGEA_2024)  # imports (trafilatura, langcodes) loaded once, as in a run
    data = PANGEA_2024.read_bytes()
    runs = 50
    floor = best_of(lambda: [lxml.html.document_fromstring(data) for _ in range(runs)]) / runs
    page = best_of(lambda: [import_article(PANGEA_2024) for _ in range(runs)]) / runs
    return Row("one Pangea article page, in-process (target < 50 ms)", page, floor,
               "lxml.html.document_fromstring of the page",
               notes={"ms/page": f"segpack {page * 1000:.1f}, floor {floor * 1000:.2f}"})


def rows(work: Path) -> list[Row]:
    pages = make_pages(work / "pages")
    floor = min(lxml_floor(pages) for _ in range(3))
    times = []
    for attempt in range(3):
        out = work / f"segments-{attempt}"
        start = time.perf_counter()
        done = run_segpack("import", "article", *map(str, pages), "-o", str(out), "--json",
                           check=False)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr.decode()[-500:]
        assert len(list(out.glob("*.md"))) == COUNT
    best = min(times)
    return [Row(f"import {COUNT:,} article pages (one run, incl. start-up)", best, floor,
                "lxml.html.document_fromstring over the same pages",
                notes={"ms/page": f"segpack {best / COUNT * 1000:.1f}, "
                                  f"floor {floor / COUNT * 1000:.2f}"}),
            page_row(), *feed_rows(work)]
