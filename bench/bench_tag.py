"""Tag 1,000 copies of a 3:41 MP3 with the full field set (transcript, chapters, artwork) in one
`segpack tag` run, against `cp` of the same files and `ffmpeg -c copy -metadata` per file, all
measured in this run; then re-tag a 3-hour programme against a 3-minute item."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, Row, best_of, run_segpack

sys.path.insert(0, str(ROOT))

from media.ffmpeg import ffmpeg_path, run_ffmpeg
from segment.manifest import read_manifest, render_manifest

COUNT = 1000
FEW = 300
FFMPEG_SAMPLE = 30
EXAMPLE = ROOT / "examples" / "momentum-against-isil" / "segments" / \
    "momentum-against-isil-builds.md"


def make_inputs(work: Path) -> tuple[Path, Path, Path]:
    """One 3:41 mono 64k MP3, a manifest with every field, show.yaml and artwork."""
    item = work / "item.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=300:sample_rate=44100:duration=221",
                "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", "-map_metadata", "-1",
                str(item)])
    transcript = read_manifest(EXAMPLE).body
    from PIL import Image

    art = io.BytesIO()
    Image.new("RGB", (1400, 1400), (20, 60, 120)).save(art, "JPEG", quality=80)
    (work / "art.jpg").write_bytes(art.getvalue())
    (work / "show.yaml").write_text(
        "title: Bench show\ndescription: Generated\nlanguage: en\nauthor: Bench News\n"
        "feed_url: https://example.org/feed.xml\ncopyright: Public domain\n", encoding="utf-8")
    meta = {"id": "momentum-against-isil-builds", "title": "Momentum Against ISIL Builds",
            "summary": "The last few weeks have not been good for ISIL's goals.",
            "duration": "3:41", "language": "en",
            "audio": {"file": "item.mp3", "direct_link": "https://example.org/a/item.mp3"},
            "source": {"url": "https://example.org/a/page.html", "publisher": "VOA"},
            "image": {"file": "art.jpg"}, "published": "2016-03-28T14:00:00Z",
            "authors": ["VOA"], "season": 1, "episode": 12, "license": "CC0-1.0",
            "chapters": [{"start": 0, "title": "Carter on ISIL leaders"},
                         {"start": "1:30", "title": "Palmyra",
                          "url": "https://example.org/palmyra"},
                         {"start": "2:40", "title": "Kerry in Brussels"}]}
    first = work / "first.md"
    first.write_text(render_manifest(meta, transcript), encoding="utf-8")
    again = work / "again.md"
    again.write_text(render_manifest({**meta, "title": "Momentum Against ISIL Builds (update)"},
                                     transcript), encoding="utf-8")
    return item, first, again


def settle() -> None:
    """Flush dirty pages first, so no timing pays for an earlier step's writeback."""
    os.sync()


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, check=False)
    took = time.perf_counter() - start
    assert done.returncode == 0, done.stderr.decode()[-800:]
    return took


def rows(work: Path) -> list[Row]:
    item, first, again = make_inputs(work)
    source = work / "src"
    source.mkdir()
    for n in range(COUNT):
        shutil.copyfile(item, source / f"item-{n:04d}.mp3")
    names = sorted(p.name for p in source.iterdir())

    cp_times, durable, freeing = [], [], []
    for attempt in range(3):
        target = work / f"cp{attempt}"
        settle()
        cp_times.append(timed(["cp", "-r", str(source), str(target)]))
        start = time.perf_counter()
        os.sync()  # what a crash-safe copy must also wait for: the bytes on disk
        durable.append(cp_times[-1] + time.perf_counter() - start)
        start = time.perf_counter()
        shutil.rmtree(target)  # what replacing files also costs: freeing the old blocks
        freeing.append(time.perf_counter() - start)
    cp = min(cp_times)

    tagged = work / "tagged"
    shutil.copytree(source, tagged)
    paths = [str(tagged / n) for n in names]
    def timed_tag(manifest: Path, files: list[str] = paths) -> float:
        settle()
        start = time.perf_counter()
        done = run_segpack("tag", *files, "--from", str(manifest), "--show",
                           str(work / "show.yaml"), check=False)
        took = time.perf_counter() - start
        assert done.returncode == 0, done.stderr.decode()[-800:]
        return took

    first_time = timed_tag(first)
    retag_time = timed_tag(again)
    # issue 15's case: a few hundred files, where start-up weighs most
    few = paths[:FEW]
    few_source = work / "src-few"
    few_source.mkdir()
    for name in names[:FEW]:
        shutil.copyfile(source / name, few_source / name)
    few_cp = min(timed(["cp", "-r", str(few_source), str(work / f"cp-few{n}")]) for n in range(3))
    few_retag = min(timed_tag(manifest, few) for manifest in (first, again, first))
    grown = (tagged / names[0]).stat().st_size - item.stat().st_size
    settle()
    mutagen_alone = mutagen_retag(paths)
    settle()
    startup = best_of(lambda: run_segpack("tag", paths[0], "--from", str(again), "--show",
                                          str(work / "show.yaml")))

    transcript = read_manifest(first).body
    ffmpeg = ffmpeg_path()
    out = work / "ff"
    out.mkdir()
    start = time.perf_counter()
    for name in names[:FFMPEG_SAMPLE]:
        timed([ffmpeg, "-hide_banner", "-nostdin", "-y", "-i", str(source / name), "-map", "0",
               "-c", "copy", "-id3v2_version", "4", "-metadata", "title=Momentum Against ISIL",
               "-metadata", "artist=VOA", "-metadata", "album=Bench show",
               "-metadata", f"lyrics={transcript}", "-metadata", "genre=Podcast",
               str(out / name)])
    ffmpeg_each = (time.perf_counter() - start) / FFMPEG_SAMPLE
    segpack_each = first_time / COUNT

    long_ratio, long_time, short_time = long_vs_short(work, item, first, again)
    return [
        Row(f"tag {COUNT:,} x 3:41 MP3, first time (files grow), one run", first_time, cp,
            f"cp -r of the same {COUNT:,} files", target=2.0,
            notes={"tag growth per file": f"{grown:,} bytes (full fields, transcript, JPEG)",
                   "cp -r + sync (a durable copy)": f"{min(durable):.2f} s = "
                   f"{min(durable) / cp:.2f}x cp",
                   "freeing 1,000 replaced files (rm -rf)": f"{min(freeing):.2f} s = "
                   f"{min(freeing) / cp:.2f}x cp",
                   "of which start-up": f"{startup:.2f} s"}),
        Row(f"re-tag the same {COUNT:,} padded files (title changed)", retag_time, cp,
            f"cp -r of the same {COUNT:,} files", target=0.5,
            notes={"of which start-up": f"{startup:.2f} s (segpack tag on one file)",
                   "mutagen alone, in process": f"{mutagen_alone:.2f} s (load + save in place; "
                   "no journal, no fsync, no checks)"}),
        Row(f"re-tag {FEW} padded files (title changed; best of 3)", few_retag, few_cp,
            f"cp -r of the same {FEW} files", target=1.5,
            notes={"of which start-up": f"{startup:.2f} s (segpack tag on one file)"}),
        Row("per file: segpack first tagging vs ffmpeg -c copy -metadata", segpack_each,
            ffmpeg_each, f"ffmpeg remux per file ({FFMPEG_SAMPLE} timed, extrapolated)",
            target=0.05, notes={"ffmpeg / segpack": f"{ffmpeg_each / segpack_each:.0f}x "
                                f"(target >= 20x)",
                                f"ffmpeg for {COUNT:,} files": f"{ffmpeg_each * COUNT:.1f} s"}),
        Row("re-tag a 3-hour programme (in process, best of 5)", long_time, short_time,
            "re-tag a 3:41 item the same way", target=2.0,
            notes={"ratio": f"{long_ratio:.2f}"}),
    ]


def long_vs_short(work: Path, item: Path, first: Path, again: Path) -> tuple[float, float, float]:
    from media.tagging import write_tags
    from segment.loading import load_segment, load_show_file

    long = work / "programme.mp3"
    run_ffmpeg(["-stream_loop", "48", "-i", str(item), "-c", "copy", str(long)])  # 3 h 0 min
    short = work / "short.mp3"
    shutil.copyfile(item, short)
    show, _ = load_show_file(work / "show.yaml")
    one = load_segment(first, show, work).segment
    two = load_segment(again, show, work).segment
    art = (work / "art.jpg").read_bytes()
    results = {}
    for path in (long, short):
        write_tags(path, one, show, artwork=art)
        times = []
        for turn in range(6):
            start = time.perf_counter()
            write_tags(path, two if turn % 2 == 0 else one, show, artwork=art)
            times.append(time.perf_counter() - start)
        results[path] = min(times)
    return results[long] / results[short], results[long], results[short]


def mutagen_retag(paths: list[str]) -> float:
    """Reference: mutagen re-tagging the same padded files in place, nothing else."""
    from mutagen.id3 import ID3, TIT2

    start = time.perf_counter()
    for n, path in enumerate(paths):
        tags = ID3(path)
        tags.add(TIT2(encoding=3, text=[f"Re-titled {n}"]))
        tags.save(path, padding=lambda info: max(info.padding, 0) or 4096)
    return time.perf_counter() - start
