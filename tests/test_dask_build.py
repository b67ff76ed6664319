"""`segpack build --scheduler` on a real Dask cluster (issue 17): a scheduler and two
`--nthreads 1` workers on 127.0.0.1 (`tests/dask_cluster.py`), no mocks.

A show of 12 items whose audio must be encoded builds through Dask into the same bytes as
through local processes; a worker SIGKILLed while it encodes is the scheduler's to handle (its job
runs again on the other worker) and the build completes with the same bytes; a cluster left
with no worker, or a scheduler killed mid-build, ends the build with one line and the previous
output as it was.

Skipped when Dask is not installed (`pip install -e '.[dask]'`; `.ci/run` installs it).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from segment.cli import main
from tests.conftest import make_tone

pytest.importorskip("distributed")

SHOW = ("title: Encoded\ndescription: Encoded on a cluster\nlanguage: en\n"
        "feed_url: https://example.org/e/feed.xml\nimage: {url: https://example.org/c.png}\n"
        "categories: [News]\nowner: {name: A Newsroom, email: podcasts@example.org}\n"
        "explicit: false\naudio: {encode: mp3, bitrate: 64k%s}\n")


def make_show(root: Path, tone: Path, count: int, audio_extra: str = "") -> Path:
    (root / "media").mkdir(parents=True)
    (root / "segments").mkdir()
    (root / "show.yaml").write_text(SHOW % audio_extra, encoding="utf-8")
    for n in range(count):
        shutil.copyfile(tone, root / "media" / f"s{n:02d}.wav")
        (root / "segments" / f"s{n:02d}.md").write_text(
            f"---\nid: s{n:02d}\ntitle: Segment {n}\nlanguage: en\n"
            f"published: 2024-01-{n + 1:02d}T09:00:00Z\naudio: {{file: media/s{n:02d}.wav}}\n"
            f"---\nWords of segment {n}.\n", encoding="utf-8")
    return root


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build(show: Path, out: Path, capsys, *extra: str) -> tuple[int, str]:
    status = main(["build", str(show), "-o", str(out), "--json", *extra])
    captured = capsys.readouterr()
    return status, captured.err if status else captured.out


def during(work: Callable[[], None], act: Callable[[], bool], limit: float = 60.0) -> list[bool]:
    """Run `work` here while a thread tries `act` every 2 ms until it returns True (or `work`
    is over); returns [True] when it acted."""
    acted: list[bool] = []
    over = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + limit
        while not over.is_set() and time.monotonic() < deadline:
            if act():
                acted.append(True)
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        work()
    finally:
        over.set()
        watcher.join()
    return acted


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tones")
    return {"short": make_tone(folder / "short.wav", 0.5),
            "long": make_tone(folder / "long.wav", 2.0)}


def test_a_build_through_dask_is_byte_identical_to_a_local_build(dask_cluster, tones,
                                                                  tmp_path, capsys):
    show = make_show(tmp_path / "show", tones["short"], 12)
    status, local = build(show, tmp_path / "local" / "public", capsys, "--jobs", "2")
    assert status == 0, local
    status, remote = build(show, tmp_path / "dask" / "public", capsys, "--scheduler",
                           dask_cluster.address)
    assert status == 0, remote
    assert '"media_made": 12' in remote
    built = files(tmp_path / "dask" / "public")
    assert sum(name.startswith("media/") and name.endswith(".mp3") for name in built) == 12
    assert built == files(tmp_path / "local" / "public")
    cache = tmp_path / "dask" / ".segpack-cache" / "public" / "media"
    assert not list(cache.glob(".incoming-*"))  # the jobs' scratch is gone
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 12
    # a build after an edit that changes no copy takes them all from the cache
    with (show / "show.yaml").open("a") as handle:
        handle.write("# an edit\n")
    status, again = build(show, tmp_path / "dask" / "public", capsys, "--scheduler",
                          dask_cluster.address)
    assert status == 0 and '"media_made": 0' in again and '"media_cached": 12' in again


def test_a_worker_killed_while_it_encodes_does_not_change_the_output(dask_cluster, tones,
                                                                     tmp_path, capsys):
    show = make_show(tmp_path / "show", tones["long"], 12, ", normalise: true")
    status, local = build(show, tmp_path / "local" / "public", capsys, "--jobs", "2")
    assert status == 0, local
    killed: list[int] = []

    def kill_a_busy_worker() -> bool:
        busy = dask_cluster.busy_workers("ffmpeg")
        if busy:
            killed.append(busy[0].pid)
            dask_cluster.kill(busy[0])
        return bool(busy)

    result: list[tuple[int, str]] = []
    acted = during(lambda: result.append(build(show, tmp_path / "dask" / "public", capsys,
                                               "--scheduler", dask_cluster.address)),
                   kill_a_busy_worker)
    assert acted and len(dask_cluster.running_workers()) == 1
    status, out = result[0]
    assert status == 0, out
    assert '"media_made": 12' in out
    assert files(tmp_path / "dask" / "public") == files(tmp_path / "local" / "public")


def test_a_cluster_left_without_workers_stops_the_build_in_one_line(dask_cluster, tones,
                                                                    tmp_path, capsys,
                                                                    monkeypatch):
    show = make_show(tmp_path / "show", tones["long"], 12, ", normalise: true")
    out = tmp_path / "public"
    status, first = build(show, out, capsys, "--jobs", "1", "--check")
    assert status == 0, first
    status, first = build(show, out, capsys, "--jobs", "2")
    assert status == 0, first
    before = files(out)
    (show / "show.yaml").write_text((show / "show.yaml").read_text().replace("64k", "48k"))
    monkeypatch.setenv("SEGPACK_SCHEDULER_TIMEOUT", "2")

    def kill_every_worker() -> bool:
        if not dask_cluster.busy_workers("ffmpeg"):
            return False
        for worker in dask_cluster.running_workers():
            dask_cluster.kill(worker)
        return True

    result: list[tuple[int, str]] = []
    started = time.monotonic()
    acted = during(lambda: result.append(build(show, out, capsys, "--scheduler",
                                               dask_cluster.address)), kill_every_worker)
    took = time.monotonic() - started
    assert acted
    status, err = result[0]
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "had no workers for 2 s" in err and err.endswith("nothing published\n"), err
    assert took < 30
    assert files(out) == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".public")]  # no staging


def test_a_scheduler_lost_mid_build_is_one_line_and_the_output_as_it_was(tones, tmp_path,
                                                                         capsys, monkeypatch):
    """A cluster of its own (its scheduler is killed): one worker is enough."""
    from tests.dask_cluster import local_cluster

    show = make_show(tmp_path / "show", tones["long"], 12, ", normalise: true")
    out = tmp_path / "public"
    status, first = build(show, out, capsys, "--jobs", "2")
    assert status == 0, first
    before = files(out)
    (show / "show.yaml").write_text((show / "show.yaml").read_text().replace("64k", "48k"))
    monkeypatch.setenv("SEGPACK_SCHEDULER_TIMEOUT", "2")
    with local_cluster(tmp_path / "cluster", workers=1) as cluster:

        def kill_the_scheduler() -> bool:
            if not cluster.busy_workers("ffmpeg"):
                return False
            cluster.kill(cluster.scheduler)
            return True

        result: list[tuple[int, str]] = []
        acted = during(lambda: result.append(build(show, out, capsys, "--scheduler",
                                                   cluster.address)), kill_the_scheduler)
    assert acted
    status, err = result[0]
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "Dask scheduler" in err and err.endswith("nothing published\n"), err
    assert files(out) == before
