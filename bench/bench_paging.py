"""Archives of any size (issue 17): a paged show (`paging: {items_per_page: 300}`) of 10,000 and
of 100,000 direct-link episodes, built in a fresh `segpack build` process: cold, after one
manifest is edited, and with nothing changed; the cold build against the same show unpaged.
Wall time and peak resident memory of the build (its largest process, worker processes
included: `ru_maxrss` of the process tree).

Memory is flat when the peaks at 10,000 and at 100,000 episodes differ by little: the row's
"per episode" note is (peak at 100,000 - peak at 10,000) / 90,000. What keeps it flat: feed
pages are written one at a time and index.html as it is made; each episode's item and preview
article wait in a scratch file (`feeds.spool`); the store and the state are shards written by
whoever compiled the chunk and read one shard at a time (`feeds.shards`); chunks are at most
1,000 manifests (`segment.parallel.MAX_CHUNK`). The build process still keeps each episode's
place in the feed (sort key, path, guid, date, findings): a few hundred bytes.
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
    found, peaks = [], {}
    for count in SIZES:
        show = make_show(work / f"show-{count}", count)
        plain = show.parent / f"plain-{count}"
        shutil.copytree(show, plain)
        with (show / "show.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"paging: {{items_per_page: {PER_PAGE}}}\n")
        out = work / f"paged-{count}" / "public"
        paged_time, paged_rss, _ = timed_build(show, out)
        plain_time, plain_rss, _ = timed_build(plain, work / f"unpaged-{count}" / "public")
        feed, whole = out / "feed.xml", work / f"unpaged-{count}" / "public" / "feed.xml"
        pages = len(list((out / "archive").glob("*.xml")))
        edited = show / "segments" / "segment-00007.md"
        edited.write_text(edited.read_text(encoding="utf-8").replace("Generated", "Edited", 1),
                          encoding="utf-8")
        edit_time, edit_rss, _ = timed_build(show, out)
        same_time, same_rss, _ = timed_build(show, out)
        peaks[count] = (paged_rss, edit_rss, same_rss)
        found.append(Row(f"build {count:,} episodes, paged ({PER_PAGE} a page), cold",
                         paged_time, plain_time, "the same show unpaged",
                         notes={"peak RSS": f"{paged_rss} MB paged, {plain_rss} MB unpaged",
                                "feed.xml": f"{feed.stat().st_size / 1e6:.1f} MB + {pages} "
                                f"archive pages (unpaged: {whole.stat().st_size / 1e6:.1f} MB)"}))
        found.append(Row(f"rebuild {count:,} episodes, paged, one manifest edited", edit_time,
                         paged_time, "its cold build", notes={"peak RSS": f"{edit_rss} MB"}))
        found.append(Row(f"rebuild {count:,} episodes, paged, nothing changed", same_time,
                         paged_time, "its cold build", notes={"peak RSS": f"{same_rss} MB"}))
        shutil.rmtree(work / f"unpaged-{count}")
        shutil.rmtree(plain)
    small, big = (peaks[size] for size in SIZES)
    growth = ", ".join(f"{kind} {(b - s) * 1024 * 1024 / (SIZES[1] - SIZES[0]):.0f} B"
                       for kind, s, b in zip(("cold", "one edit", "no change"), small, big,
                                             strict=True))
    found[-1].notes["peak RSS per episode"] = growth
    return found
