"""Encode + loudness-normalise: a 3:41 item, N segments on all cores, a 14-minute 7.1 192 kHz
item trimmed and given an intro, and a 3-hour programme.

The floor for normalising a file is what the job cannot avoid: one ebur128 measurement plus one
plain MP3 encode of the same file with ffmpeg, measured in the same run.

    python bench/run.py encode
    SEGPACK_BENCH_PROGRAMME_SECONDS=1800 python bench/run.py encode   # a shorter "programme"
    SEGPACK_BENCH_PROGRAMME_SECONDS=0 python bench/run.py encode      # skip it
    SEGPACK_BENCH_SURROUND_SECONDS=0 python bench/run.py encode       # skip the surround edit

The 3-hour row dominates the run time (about 6 minutes in all on a 2-core machine: 20 s to
generate a 1.9 GB WAV programme in the temp dir, 2.5 minutes for the floor, 2.7 for segpack).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, Row, best_of

from media.encode import prepare, prepare_many
from media.ffmpeg import run_ffmpeg
from media.loudness import measure
from segment.models import AudioSettings

SPEECH = ROOT / "examples" / "momentum-against-isil" / "media" / "momentum-against-isil-builds.mp3"
PROGRAMME_SECONDS = float(os.environ.get("SEGPACK_BENCH_PROGRAMME_SECONDS", 3 * 3600))
SURROUND_SECONDS = float(os.environ.get("SEGPACK_BENCH_SURROUND_SECONDS", 14 * 60))
SEGMENTS = 8
SEGMENT_SECONDS = 60
BITRATE = "96k"
SETTINGS = AudioSettings(encode="mp3", bitrate=BITRATE, normalise=True)


def stereo_speech(dst: Path, seconds: float, volume_db: float = -7.0) -> Path:
    """Stereo speech, too quiet for the target: the example's stand-in, looped as needed and
    panned a little differently per channel so the two channels are not identical."""
    loops = max(0, int(seconds // 221))
    run_ffmpeg(["-stream_loop", str(loops), "-i", str(SPEECH), "-t", f"{seconds}",
                "-af", f"volume={volume_db}dB,pan=stereo|c0=c0|c1=0.8*c0", "-ar", "44100",
                "-c:a", "flac" if dst.suffix == ".flac" else "pcm_s16le", str(dst)])
    return dst


def floor(src: Path, out: Path) -> float:
    """One ebur128 measurement + one plain MP3 encode of the same file."""
    start = time.perf_counter()
    measure(src)
    run_ffmpeg(["-i", str(src), "-c:a", "libmp3lame", "-b:a", BITRATE, str(out)])
    return time.perf_counter() - start


def item_row(work: Path) -> Row:
    src = stereo_speech(work / "item.wav", 221)
    floor_time = best_of(lambda: floor(src, work / "floor.mp3"))
    reports = []
    ours = best_of(lambda: reports.append(prepare(src, work / "item.mp3", SETTINGS)))
    report = reports[-1]
    return Row("normalise + encode a 3:41 stereo item to MP3 (96k)", ours, floor_time,
               "ebur128 measurement + plain libmp3lame encode, same file", target=1.3,
               notes={"loudness": f"{report.before.integrated} -> {report.after.integrated} LUFS,"
                      f" true peak {report.after.true_peak} dBTP, gain {report.gain_db:+} dB,"
                      f" limited {report.limited}, passes {report.passes}"})


CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from media.encode import prepare
from segment.models import AudioSettings
start = time.perf_counter()
report = prepare(Path(sys.argv[1]), Path(sys.argv[2]), AudioSettings(
    encode="mp3", bitrate=sys.argv[4], normalise=True, **json.loads(sys.argv[5])))
print(json.dumps({"seconds": time.perf_counter() - start,
                  "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "before": report.before.integrated, "after": report.after.integrated,
                  "peak": report.after.true_peak, "passes": report.passes}))
"""


def tree_rss_kb(root: int) -> int:
    """Sum of the resident memory of `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in tree)


def in_child(src: Path, dst: Path, **settings: object) -> tuple[dict, float]:
    """`prepare` in a fresh process: its report and the peak RSS of its whole tree (MB)."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(src), str(dst), str(ROOT),
                              BITRATE, json.dumps(settings)], stdout=subprocess.PIPE)
    peak_tree = 0
    while child.poll() is None:
        peak_tree = max(peak_tree, tree_rss_kb(child.pid))
        time.sleep(0.25)
    return json.loads(child.stdout.read()), peak_tree / 1024


def programme_row(work: Path) -> Row:
    hours = PROGRAMME_SECONDS / 3600
    made = time.perf_counter()
    src = stereo_speech(work / "programme.wav", PROGRAMME_SECONDS)
    made = time.perf_counter() - made
    floor_time = floor(src, work / "floor.mp3")
    (work / "floor.mp3").unlink()
    result, rss_mb = in_child(src, work / "prog.mp3")
    bound_mb = (result["self_kb"] + 2 * result["child_kb"]) / 1024
    return Row(f"normalise a {hours:g}-hour stereo programme (WAV -> MP3 96k)",
               result["seconds"], floor_time,
               "ebur128 measurement + plain libmp3lame encode, same file", target=1.5,
               notes={"peak RSS, whole process tree (sampled /proc)":
                      f"{rss_mb:.0f} MB (target < 200 MB: {'ok' if rss_mb < 200 else 'OVER'})",
                      "getrusage bound (python + 2 x largest ffmpeg)": f"{bound_mb:.0f} MB",
                      "loudness": f"{result['before']} -> {result['after']} LUFS, true peak "
                                  f"{result['peak']} dBTP, passes {result['passes']}",
                      "generating the programme": f"{made:.0f} s"})


def surround_edit_row(work: Path) -> Row:
    """Issue 18 item 11: a 14-minute 7.1 192 kHz item trimmed, given an intro and normalised.
    pydub, which edited items this short in memory, crashed on it after reaching 4.9 GB."""
    channels = "".join(f"[{n}]" for n in range(8))
    tones = [arg for n in range(8) for arg in
             ("-f", "lavfi", "-i", f"sine=f={220 + 110 * n}:r=192000:d={SURROUND_SECONDS}")]
    src = work / "surround.flac"  # silence at both ends for the trim to find
    run_ffmpeg([*tones, "-filter_complex", f"{channels}amerge=inputs=8,volume=-20dB,"
                "volume='between(t,2,{0})':eval=frame[a]".format(SURROUND_SECONDS - 2),
                "-map", "[a]", "-c:a", "flac", str(src)])
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=220:d=2", "-ac", "2", str(work / "intro.wav")])
    floor_time = floor(src, work / "floor.mp3")
    result, rss_mb = in_child(src, work / "surround.mp3", trim_silence=True,
                              intro=str(work / "intro.wav"))
    return Row(f"trim + intro + normalise, {SURROUND_SECONDS / 60:g} min 7.1 192 kHz FLAC",
               result["seconds"], floor_time,
               "ebur128 measurement + plain libmp3lame encode, same file", target=1.5,
               notes={"peak RSS, whole process tree (sampled /proc)":
                      f"{rss_mb:.0f} MB (target < 200 MB: {'ok' if rss_mb < 200 else 'OVER'})",
                      "loudness": f"{result['before']} -> {result['after']} LUFS, passes "
                                  f"{result['passes']}"})


def parallel_row(work: Path) -> Row:
    one = stereo_speech(work / "seg.wav", SEGMENT_SECONDS)
    jobs = [(one, work / f"seg{n}-{{}}.mp3", SETTINGS) for n in range(SEGMENTS)]

    def run(workers: int) -> None:
        prepare_many([(s, Path(str(d).format(workers)), st) for s, d, st in jobs], workers)

    cores = os.cpu_count() or 1
    serial = best_of(lambda: run(1), repeat=2)
    parallel = best_of(lambda: run(cores), repeat=2)
    return Row(f"encode + normalise {SEGMENTS} x {SEGMENT_SECONDS} s segments, "
               f"workers={cores}", parallel, serial, "the same with workers=1",
               notes={"speed-up": f"{serial / parallel:.2f}x on {cores} cores (each job already "
                                  "runs its result check beside the encoder)"})


def rows(work: Path) -> list[Row]:
    found = [item_row(work), parallel_row(work)]
    if SURROUND_SECONDS > 0:  # SEGPACK_BENCH_SURROUND_SECONDS=0 skips it
        found.append(surround_edit_row(work))
    if PROGRAMME_SECONDS > 0:  # SEGPACK_BENCH_PROGRAMME_SECONDS=0 skips the long row
        found.append(programme_row(work))
    return found
