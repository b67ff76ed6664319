"""Import 1,000 article pages in one `segpack import article` run vs just parsing them with lxml.

The pages are the hand-written Pangea test page with varied titles, canonical URLs and audio
links, so every page becomes its own manifest.
"""

from __future__ import annotations

import time
from pathlib import Path

import lxml.html
from common import ROOT, Row, run_segpack

COUNT = 1_000
PAGE = ROOT / "tests" / "data" / "pages" / "voa-en-newer-host.html"


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
                "lxml.html.document_fromstring over the same pages", target=2.0,
                notes={"pages/s": f"segpack {COUNT / best:,.0f}, floor {COUNT / floor:,.0f}"})]
