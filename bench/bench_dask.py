"""Media work on a Dask cluster against local processes (issue 17).

A 24-item show whose audio is encoded and normalised is built locally (`--jobs 2`) and through a
local Dask cluster of 2 single-threaded workers (a real `dask scheduler` and two `dask worker`
processes, `tests/dask_cluster.py`), the two taking turns; both output folders must be byte for
byte the same. What the Dask path costs on top of the work, per job:

- in the build: (Dask build - local build) / 24, which includes connecting to the scheduler
  (importing Dask and the handshake, once per build; given apart);
- through the executor alone: 240 jobs that do nothing (`id` of a real media job, so each job's
  payload, a segment and its show, is pickled, scheduled, run and its result fetched) on the
  cluster, against the same jobs through the local process pool.

The per-item costs (CPU seconds of an encode job per minute of audio, the Dask overhead per
job) feed README's paper estimate for a 100,000-item archive. Timings on the shared 2-core
machine are noisy: the scheduler, both workers and the build share the same two cores.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bench_build import audio_show, timed_build
from common import ROOT, Row

sys.path.insert(0, str(ROOT))

COUNT = 24
SECONDS = 30
"""Length of each item's tone: long enough that encoding is the work, as with real items."""
NOOP_JOBS = 240
TURNS = 3
"""Builds of each kind, taking turns; the best of each is compared."""
AUDIO = "audio: {encode: mp3, bitrate: 64k, normalise: true}\n"


def make_show(work: Path) -> Path:
    return audio_show(work, "show", AUDIO, seconds=SECONDS, count=COUNT)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build_row(work: Path, show: Path, address: str) -> Row:
    runs: dict[str, list[float]] = {"local": [], "dask": []}
    outputs: dict[str, Path] = {}
    for turn in range(TURNS):
        for kind in ("local", "dask") if turn % 2 == 0 else ("dask", "local"):
            out = work / f"{kind}-{turn}" / "public"
            extra = ("--jobs", "2") if kind == "local" else ("--scheduler", address)
            runs[kind].append(timed_build(show, out, *extra)[0])
            outputs[kind] = out
    assert files(outputs["local"]) == files(outputs["dask"]), "Dask built other bytes"
    local, dask = min(runs["local"]), min(runs["dask"])
    connect = connect_time(address)
    per_item_cpu = encode_cpu(work, show)
    return Row(f"build {COUNT} items ({SECONDS} s, encode + normalise) on Dask, 2 workers x 1",
              dask, local, "the same build with local processes, --jobs 2",
              notes={"Dask overhead per job": f"{(dask - local) / COUNT * 1000:.0f} ms, "
                     f"{(dask - local - connect) / COUNT * 1000:.0f} ms without connecting "
                     f"({connect:.2f} s a build)",
                     "media job CPU per item": f"{per_item_cpu:.2f} s (encode, normalise, tag, "
                     f"probe) = {per_item_cpu * 60 / SECONDS:.2f} s per minute of audio",
                     "same bytes": "yes (every file of both output folders)"})


def media_jobs(show: Path, count: int, folder: Path) -> list:
    """`count` media jobs for the show's first item, each into its own cache folder."""
    from feeds.media_step import MediaJob
    from segment.loading import load_segment, load_show_file

    loaded, _ = load_show_file(show / "show.yaml")
    assert loaded is not None
    segment = load_segment(show / "segments" / "audio-000.md", loaded, show).segment
    assert segment is not None
    return [MediaJob(segment, loaded, show, show / "media" / "audio-000.mp3", None,
                     f"{n:064x}", folder / f"{n:064x}", "audio-000.mp3") for n in range(count)]


def encode_cpu(work: Path, show: Path) -> float:
    """CPU seconds (this process and the ffmpeg it runs) of one item's media job, the least
    of three, made here (`feeds.media_step.make_copy`)."""
    import resource

    from feeds.media_step import make_copy

    def used() -> float:
        return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))

    best = float("inf")
    for job in media_jobs(show, 3, work / "cpu"):
        before = used()
        make_copy(job)
        best = min(best, used() - before)
    return best


def connect_time(address: str) -> float:
    """Seconds a fresh process takes to import Dask and connect (what a build pays once)."""
    import subprocess

    code = ("import time; t = time.perf_counter(); from segment.executor import executor_for;"
            f" e = executor_for(1, {address!r}); e.map(abs, [1], ['x'], label='probe');"
            " print(time.perf_counter() - t); e.close()")
    best = float("inf")
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                             text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        best = min(best, float(out.stdout.split()[-1]))
    return best


def noop_row(show: Path, address: str) -> Row:
    """The executor's own cost per job: real media jobs' payloads, no work."""
    from segment.executor import LocalProcesses, executor_for

    jobs = media_jobs(show, NOOP_JOBS, show / "cache")
    keys = [f"noop-{time.time_ns()}-{n}" for n in range(NOOP_JOBS)]
    with executor_for(1, address) as dask:
        dask.map(id, jobs[:1], ["warm-" + keys[0]], label="noop")  # connected, warm
        start = time.perf_counter()
        dask.map(id, jobs, keys, label="noop")
        took = time.perf_counter() - start
    with LocalProcesses(2) as local:
        start = time.perf_counter()
        local.map(id, jobs)
        floor = time.perf_counter() - start
    per_job = took / NOOP_JOBS * 1000
    return Row(f"{NOOP_JOBS} no-op media jobs through the Dask executor", took, floor,
               "the same jobs through 2 local processes (fresh pool)",
               notes={"per job": f"{per_job:.1f} ms (target < 50 ms: "
                      f"{'ok' if per_job < 50 else 'OVER'}); local pool "
                      f"{floor / NOOP_JOBS * 1000:.1f} ms"})


def rows(work: Path) -> list[Row]:
    from tests.dask_cluster import local_cluster

    show = make_show(work)
    with local_cluster(work / "cluster", workers=2) as cluster:
        return [build_row(work, show, cluster.address), noop_row(show, cluster.address)]


if __name__ == "__main__":
    import tempfile

    from common import table

    with tempfile.TemporaryDirectory(prefix="dask-") as folder:
        print(table(rows(Path(folder))))
