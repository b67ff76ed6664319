"""Validate 10,000 generated manifests in one `segpack validate` run vs the C YAML loader alone."""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from common import Row, run_segpack

COUNT = 10_000

SHOW_YAML = """\
title: Bench show
description: Generated
language: en
feed_url: https://example.org/feed.xml
image: {url: https://example.org/cover.png}
categories: [News/Daily News]
owner: {name: Bench News, email: podcasts@example.org}
explicit: false
"""
"""A show.yaml the directory rules accept (SEG407-SEG414): validate must exit 0 on it."""


def make_show(folder: Path, count: int = COUNT) -> Path:
    """A show folder of `count` realistic manifests (front matter + a ~250-word transcript)."""
    segments = folder / "segments"
    segments.mkdir(parents=True)
    (folder / "show.yaml").write_text(SHOW_YAML, encoding="utf-8")
    words = ("the coalition said on monday that forces had advanced toward the city while "
             "officials in the capital warned of further attacks ").split()
    body = "\n\n".join(" ".join(words[(i + p) % len(words)] for i in range(80)) for p in range(3))
    for n in range(count):
        sid = f"segment-{n:05d}"
        (segments / f"{sid}.md").write_text(
            f"---\nid: {sid}\ntitle: Generated segment number {n}\n"
            f"summary: A generated summary for segment {n}, one sentence long.\n"
            f"duration: \"1:40\"\nlanguage: en\n"
            f"published: 2024-01-{n % 28 + 1:02d}T09:00:00Z\n"
            f"audio:\n  direct_link: https://example.org/audio/{sid}.mp3\n  length: 1600000\n"
            f"  type: audio/mpeg\nsource:\n  url: https://example.org/news/{sid}.html\n"
            f"  publisher: Bench News\npersons:\n  - name: Reporter {n % 17}\n    role: reporter\n"
            f"---\n{body}\n", encoding="utf-8")
    return folder


def c_loader_floor(folder: Path) -> float:
    start = time.perf_counter()
    for path in sorted((folder / "segments").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        end = text.index("\n---", 3)
        yaml.load(text[4:end + 1], Loader=yaml.CSafeLoader)
    return time.perf_counter() - start


def rows(work: Path) -> list[Row]:
    show = make_show(work / "show")
    floor = min(c_loader_floor(show) for _ in range(3))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        done = run_segpack("validate", "--quiet", "--format", "json", str(show), check=False)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr.decode()[-500:]
    return [Row(f"validate {COUNT:,} manifests (one run, incl. start-up)", min(times), floor,
                "PyYAML CSafeLoader over the same files' front matter", target=1.5,
                notes={"absolute target": f"< 3 s ({'ok' if min(times) < 3 else 'OVER'})"})]
