"""`segpack build` speed: a 10,000-segment show (direct links, no media work) against the floor
of parsing the same manifests with the C YAML loader and building the same entries with feedgen
alone; the no-change rebuild; 200 segments of real audio with --jobs 1 vs --jobs 2.

Every segpack time is a fresh `python -m segment build` process (start-up included); peak
memory is that process's maximum resident set size; CPU is its user + system time, its worker
processes included (what a 2-core machine shared with other work measures best).

The guard rails of a change to the build (issue 14): with SEGPACK_BENCH_BASELINE=<git revision>,
the same show is built by that revision's code too (extracted with `git archive`), the two
taking turns: a cold build's CPU against the baseline's, a one-edit rebuild's CPU (<= 3.5 s) and
a no-change rebuild's wall time (<= 0.7 s), medians of the interleaved runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from bench_validate import make_show
from common import ROOT, Row, launch, settle_file_system

COUNT = 10_000
COLD_RUNS = 5
AUDIO_COUNT = 200


def run_build(show: Path, out: Path, *extra: str) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one `segpack build` process."""
    took, rss, _ = timed_build(show, out, *extra)
    return took, rss


def timed_build(show: Path, out: Path, *extra: str, code: Path = ROOT
                ) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in MB, CPU seconds: user + system, workers included) of one
    `segpack build` process running the packages in `code` (this checkout by default)."""
    cmd = [sys.executable, "-m", "segment", "build", str(show), "-o", str(out), "-q", *extra]
    done = launch(cmd, code, {**os.environ, "PYTHONPATH": str(code)})  # see `launch`
    assert done["status"] == 0, done["stderr"]
    return done["wall"], done["maxrss_kb"] // 1024, done["cpu"]


PODCAST_NS = "https://podcastindex.org/namespace/1.0"


def _podcast_namespace_extension():
    """The least feedgen needs to write podcast:transcript and podcast:person (it has no
    Podcasting 2.0 support): one SubElement per tag, nothing else."""
    from feedgen.ext.base import BaseEntryExtension, BaseExtension
    from lxml.etree import SubElement

    class Channel(BaseExtension):
        def extend_ns(self):
            return {"podcast": PODCAST_NS}

    class Item(BaseEntryExtension):
        def __init__(self):
            self.transcripts, self.persons = [], []

        def extend_rss(self, entry):
            for url, kind in self.transcripts:
                SubElement(entry, f"{{{PODCAST_NS}}}transcript", url=url, type=kind,
                           language="en")
            for name, role in self.persons:
                SubElement(entry, f"{{{PODCAST_NS}}}person", role=role,
                           group="cast").text = name
            return entry

    return Channel, Item


def feedgen_floor(show: Path) -> float:
    """C YAML loader over every manifest + the same items as the build's feed, written by
    feedgen alone (its podcast extension for the iTunes tags, `_podcast_namespace_extension`
    for the two podcast:transcript and the podcast:person): the same 15 elements per item."""
    from feedgen.feed import FeedGenerator

    channel_ext, item_ext = _podcast_namespace_extension()
    start = time.perf_counter()
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", channel_ext, item_ext)
    fg.title("Bench show")
    fg.link(href="https://example.org/")
    fg.description("Generated")
    fg.language("en")
    base = "https://example.org/"
    for path in sorted((show / "segments").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        end = text.index("\n---", 3)
        meta = yaml.load(text[4:end + 1], Loader=yaml.CSafeLoader)
        sid, audio = meta["id"], meta["audio"]
        fe = fg.add_entry(order="append")
        fe.title(meta["title"])
        fe.guid(sid, permalink=False)
        fe.link(href=meta["source"]["url"])
        fe.description(f"<p>{meta['summary']}</p><p><a href=\"{base}transcripts/{sid}.html\">"
                       f"Transcript</a> | <a href=\"{audio['direct_link']}\">Direct link to "
                       "the audio</a></p>")
        fe.enclosure(audio["direct_link"], str(audio["length"]), audio["type"])
        fe.pubDate(meta["published"])
        itunes = fe.podcast
        itunes.itunes_author(meta["source"]["publisher"])
        itunes.itunes_duration("100")
        itunes.itunes_explicit("no")
        itunes.itunes_summary(meta["summary"])
        itunes.itunes_title(meta["title"])
        itunes.itunes_episode_type("full")
        fe.podcastindex.transcripts = [(f"{base}transcripts/{sid}.txt", "text/plain"),
                                       (f"{base}transcripts/{sid}.html", "text/html")]
        fe.podcastindex.persons = [(p["name"], p["role"]) for p in meta["persons"]]
    fg.rss_str(pretty=True)
    return time.perf_counter() - start


def floor_process(show: Path) -> float:
    """Wall time of a fresh Python process running `feedgen_floor`, timed from outside as
    `run_build` times segpack: both sides pay interpreter start-up and their imports.

    Its own process also keeps the benchmark small: Linux hands a process's peak RSS on to
    what it starts (exec keeps the old image's high-water mark), so a benchmark process that
    built 10,000 feedgen entries itself would report that as the peak memory of every build."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from bench_build import feedgen_floor; feedgen_floor(Path(sys.argv[2]))")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(show)],
                   check=True, cwd=ROOT)
    return time.perf_counter() - start


def big_show_rows(work: Path) -> list[Row]:
    show = make_show(work / "show", COUNT)
    create_us = settle_file_system(work)
    floors, cold, peak = [], [], 0
    # Floor and build alternate, so both sample the same moments of a noisy machine; each cold
    # run builds into a new folder (no cache beside it), and the earlier runs' output is
    # deleted only after timing: see `settle_file_system` for why deletes just before timing
    # would measure the file system's memory of them, not a build.
    for n in range(COLD_RUNS):
        floors.append(floor_process(show))
        out = work / f"cold-{n}" / "public"
        took, rss = run_build(show, out)
        cold.append(took)
        peak = max(peak, rss)
    floor = min(floors)
    paired = sorted(t / f for t, f in zip(cold, floors, strict=True))
    again = [run_build(show, out) for _ in range(3)]
    noop, noop_rss = min(t for t, _ in again), max(r for _, r in again)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    python = time.perf_counter() - start
    # one manifest edited: only it is re-parsed, the feed is rebuilt
    edited = show / "segments" / "segment-00042.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("number 42", "number 42 (ed.)"),
                      encoding="utf-8")
    one_change, _ = run_build(show, out)
    return [
        Row(f"build {COUNT:,} segments (direct links; one run, cold cache)", min(cold), floor,
            "a Python process: C YAML loader + feedgen alone writing the same items "
            "(15 elements each)",
            target=1.3,
            notes={"peak memory": f"{peak} MB",
                   "segpack adds": "validation rules, transcripts (.txt/.html), index.html, "
                                   "Podcasting 2.0 tags, the rebuild cache, atomic swap",
                   "file system": f"{create_us:.0f} us to create a small file here "
                                  f"(a cold build creates {2 * COUNT:,})",
                   "runs": f"best of {COLD_RUNS}, alternating with the floor; ratios of "
                           f"the pairs {paired[0]:.2f}-{paired[-1]:.2f}, median "
                           f"{paired[len(paired) // 2]:.2f}"}),
        Row(f"no-change rebuild of {COUNT:,} segments", noop, python,
            "`python -c pass` (interpreter start-up)",
            notes={"absolute target": f"<= 0.5 s ({'ok' if noop <= 0.5 else 'OVER'})",
                   "peak memory": f"{noop_rss} MB"}),
        Row(f"rebuild after editing 1 of {COUNT:,} manifests", one_change, floor,
            "C YAML loader + feedgen alone (full)", notes={}),
    ]


def audio_show(work: Path, name: str, audio_yaml: str, seconds: int = 3,
               bitrate: str = "64k", count: int = AUDIO_COUNT) -> Path:
    """`count` segments, each with its own copy of a `seconds` MP3 tone."""
    from media.ffmpeg import run_ffmpeg

    show = work / name
    (show / "media").mkdir(parents=True)
    (show / "segments").mkdir()
    (show / "show.yaml").write_text(
        "title: Audio bench\ndescription: Generated\nlanguage: en\n"
        f"feed_url: https://example.org/feed.xml\n{audio_yaml}", encoding="utf-8")
    tone = work / f"tone-{seconds}-{bitrate}.mp3"
    if not tone.exists():
        run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a",
                    "libmp3lame", "-b:a", bitrate, str(tone)])
    for n in range(count):
        sid = f"audio-{n:03d}"
        shutil.copyfile(tone, show / "media" / f"{sid}.mp3")
        (show / "segments" / f"{sid}.md").write_text(
            f"---\nid: {sid}\ntitle: Audio segment {n}\nduration: {seconds}\nlanguage: en\n"
            f"published: 2024-01-01T09:00:00Z\naudio: {{file: media/{sid}.mp3}}\n---\n"
            "A few words.\n", encoding="utf-8")
    return show


def jobs_row(work: Path, name: str, audio_yaml: str, what: str) -> Row:
    show = audio_show(work, name, audio_yaml)
    runs: dict[str, list[float]] = {"1": [], "2": []}
    # --jobs 1 and 2 take turns going first, each run into a new folder (deleting the last
    # one's files just before timing would slow whichever comes later: `settle_file_system`)
    for turn in range(2):
        for jobs in ("1", "2") if turn % 2 == 0 else ("2", "1"):
            out = work / f"{name}-{jobs}-{turn}" / "public"
            runs[jobs].append(run_build(show, out, "--jobs", jobs)[0])
    times = {jobs: min(took) for jobs, took in runs.items()}
    cached, _ = run_build(show, out, "--jobs", "2")
    return Row(f"build {AUDIO_COUNT} segments of real audio ({what}), --jobs 2", times["2"],
               times["1"], "the same build with --jobs 1",
               notes={"speed-up": f"{times['1'] / times['2']:.2f}x on {os.cpu_count()} cores",
                      "no-change rebuild": f"{cached:.3f} s"})


def audio_rows(work: Path) -> list[Row]:
    try:
        import media.tagging  # noqa: F401
    except ImportError:
        return []
    return [jobs_row(work, "tag-only", "", "copy + tag + probe"),
            jobs_row(work, "encoded", "audio: {encode: mp3, bitrate: 64k}\n",
                     "encode to MP3 + tag + probe")]


def guard_rows(work: Path, show: Path, revision: str) -> list[Row]:
    """This code against `revision`'s on the same show, taking turns (see the module doc)."""
    baseline = work / "baseline"
    baseline.mkdir()
    archive = subprocess.run(["git", "archive", revision, "segment", "media", "feeds"],
                             cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
    runs: dict[str, dict[str, list[float]]] = {
        name: {"cold": [], "edit": [], "noop": []} for name in ("now", "baseline")}
    edited = show / "segments" / "segment-00077.md"
    for turn in range(COLD_RUNS):
        for name in ("now", "baseline") if turn % 2 == 0 else ("baseline", "now"):
            code = ROOT if name == "now" else baseline
            out = work / f"guard-{name}-{turn}" / "public"
            runs[name]["cold"].append(timed_build(show, out, code=code)[2])
            text = edited.read_text(encoding="utf-8")
            edited.write_text(text.replace(" (ed.)", "") if "(ed.)" in text else
                              text.replace("number 77", "number 77 (ed.)"), encoding="utf-8")
            runs[name]["edit"].append(timed_build(show, out, code=code)[2])
            runs[name]["noop"].append(min(timed_build(show, out, code=code)[0]
                                          for _ in range(3)))
    med = {name: {kind: statistics.median(times) for kind, times in kinds.items()}
           for name, kinds in runs.items()}
    colds = {name: ", ".join(f"{t:.2f}" for t in kinds["cold"]) for name, kinds in runs.items()}
    base = f"the same with {revision}'s code (medians of {COLD_RUNS} runs each, taking turns)"

    def verdict(value: float, limit: float) -> str:
        return f"<= {limit:g} s ({'ok' if value <= limit else 'OVER'})"

    return [
        Row(f"cold build of {COUNT:,}: CPU (user+sys)", med["now"]["cold"],
            med["baseline"]["cold"], base, target=1.0,
            notes={"runs": f"now {colds['now']}; baseline {colds['baseline']}"}),
        Row(f"one-edit rebuild of {COUNT:,}: CPU (user+sys)", med["now"]["edit"],
            med["baseline"]["edit"], base,
            notes={"absolute target": verdict(med["now"]["edit"], 3.5)}),
        Row(f"no-change rebuild of {COUNT:,}: wall", med["now"]["noop"],
            med["baseline"]["noop"], base,
            notes={"absolute target": verdict(med["now"]["noop"], 0.7)}),
    ]


def rows(work: Path) -> list[Row]:
    revision = os.environ.get("SEGPACK_BENCH_BASELINE")
    if revision:  # the guard rails alone: the other rows take as long again
        show = make_show(work / "show", COUNT)
        settle_file_system(work)
        return guard_rows(work, show, revision)
    return big_show_rows(work) + audio_rows(work)
