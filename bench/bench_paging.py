"""Archives of any size (issue 17): a paged show (`paging: {items_per_page: 300}`) of 10,000 and
of 100,000 direct-link episodes, built cold in a fresh `segpack build` process, against the same
show unpaged; wall time and the peak resident memory of the build (its largest process, worker
processes included: `ru_maxrss` of the process tree).

What the figures say about memory (README): paging bounds each feed document to 300 items
(feed.xml of a 100,000-episode show: ~400 KB instead of ~130 MB) and pages are written one at a
time, and index.html is written as it is made; each episode's compiled item and preview article
wait in a scratch file for the end of the build (`feeds.spool.Spool`), not in memory. The
build still holds each episode's findings, file records, sort key and paths until the end, so
its peak still grows with the number of episodes, less steeply.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench_build import timed_build
from bench_validate import make_show
from common import Row

SIZES = (10_000, 100_000)
PER_PAGE = 300


def rows(work: Path) -> list[Row]:
    found = []
    for count in SIZES:
        show = make_show(work / f"show-{count}", count)
        plain = show.parent / f"plain-{count}"
        shutil.copytree(show, plain)
        with (show / "show.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"paging: {{items_per_page: {PER_PAGE}}}\n")
        paged_time, paged_rss, _ = timed_build(show, work / f"paged-{count}" / "public")
        plain_time, plain_rss, _ = timed_build(plain, work / f"unpaged-{count}" / "public")
        feed = work / f"paged-{count}" / "public" / "feed.xml"
        whole = work / f"unpaged-{count}" / "public" / "feed.xml"
        pages = len(list((work / f"paged-{count}" / "public" / "archive").glob("*.xml")))
        found.append(Row(f"build {count:,} episodes, paged ({PER_PAGE} a page), cold",
                         paged_time, plain_time, "the same show unpaged",
                         notes={"peak RSS": f"{paged_rss} MB paged, {plain_rss} MB unpaged",
                                "feed.xml": f"{feed.stat().st_size / 1e6:.1f} MB + {pages} "
                                f"archive pages (unpaged: {whole.stat().st_size / 1e6:.1f} MB)"}))
        shutil.rmtree(work / f"unpaged-{count}")
        shutil.rmtree(plain)
    return found
