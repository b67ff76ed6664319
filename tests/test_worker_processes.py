"""Worker processes die with the build, however it ends (issue 18, items 9 and 12): a SIGKILL or
SIGTERM to the build's own PID (not its process group) during media work or manifest reading
leaves no process behind (workers, forkserver, resource tracker, ffmpeg), and Ctrl-C (SIGINT to
the terminal's process group) gives one line, "segpack: interrupted", exit 130, no worker
traceback, and the previous output as it was."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_tone
from tests.test_build import DIRECTORY_FIELDS
from tests.test_crash_safety import left_after, session

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="counts processes through /proc (Linux)")

SHOW = ("title: Workers\ndescription: Killed at work\nlanguage: en\n"
        "feed_url: https://example.org/w/feed.xml\naudio: {encode: mp3, bitrate: 64k}\n"
        + DIRECTORY_FIELDS)


def start(*args: str | Path) -> subprocess.Popen:
    """`segpack ARGS` in a session of its own (so its processes can be counted), as a user
    starts it from a terminal: the session's process group gets Ctrl-C."""
    return subprocess.Popen([sys.executable, "-m", "segment", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def wait_for(process: subprocess.Popen, what: str, count: int = 1,
             limit: float = 60.0) -> None:
    """Until the `count`-th process whose command holds `what` runs in the build's session
    (the venv's and the checkout's own paths left out: they may hold 'ffmpeg' too)."""
    seen: set[int] = set()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the build ended before {what} ran: {process.stderr.read().decode()}")
        seen.update(pid for pid, command in session(process.pid) if pid != process.pid and
                    what in command.replace(sys.prefix, "").replace(str(ROOT), ""))
        if len(seen) >= count:
            return
        time.sleep(0.02)  # a scan of /proc costs ms: polling harder starves the build itself
    pytest.fail(f"{what} never ran")


@pytest.fixture(scope="module")
def media_show(tmp_path_factory) -> Path:
    """Eight segments whose audio show.yaml asks to encode: media work in worker processes."""
    root = tmp_path_factory.mktemp("workers") / "show"
    (root / "media").mkdir(parents=True)
    (root / "segments").mkdir()
    (root / "show.yaml").write_text(SHOW, encoding="utf-8")
    tone = make_tone(root.parent / "tone.wav", 4.0)
    for n in range(8):
        shutil.copyfile(tone, root / "media" / f"s{n}.wav")
        (root / "segments" / f"s{n}.md").write_text(
            f"---\nid: s{n}\ntitle: Segment {n}\nduration: 4\nlanguage: en\n"
            f"published: 2024-01-01T09:00:00Z\naudio: {{file: media/s{n}.wav}}\n---\n"
            "Words words words.\n", encoding="utf-8")
    return root


def fresh(show: Path, tmp_path: Path) -> Path:
    """A copy of the show, to build into an output (and a cache) of its own."""
    copy = tmp_path / "show"
    shutil.copytree(show, copy)
    return copy


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_a_build_killed_during_media_work_leaves_no_process(media_show, tmp_path, signum):
    show = fresh(media_show, tmp_path)
    process = start("build", show, "-o", tmp_path / "public", "--jobs", "2")
    wait_for(process, "ffmpeg")
    os.kill(process.pid, signum)  # the build's PID alone, not its process group
    left = left_after(process)
    assert not left, f"left running after the build was killed: {left}"


def test_a_build_killed_while_workers_read_manifests_leaves_no_process(tmp_path):
    """The manifest workers (forked, 400+ manifests) too."""
    from tests.test_build import manifest, write_show

    link = "audio: {direct_link: 'https://n.example.org/a.mp3', length: 10, type: audio/mpeg}\n"
    show = write_show(tmp_path / "show", {f"s{n:04d}": manifest(f"s{n:04d}", audio=link)
                                          for n in range(1200)})
    process = start("build", show, "-o", tmp_path / "public", "--jobs", "2")
    wait_for(process, "-m segment build")  # a forked worker carries the build's command
    os.kill(process.pid, signal.SIGKILL)
    left = left_after(process)
    assert not left, f"left running after the build was killed: {left}"


def test_ctrl_c_during_media_work_is_one_line_and_the_output_stays(media_show, tmp_path):
    show = fresh(media_show, tmp_path)
    out = tmp_path / "public"
    done = subprocess.run([sys.executable, "-m", "segment", "build", str(show), "-o", str(out),
                           "--jobs", "2", "-q"], cwd=ROOT, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    for attempt in range(3):
        (show / "segments" / "s0.md").write_text(
            (show / "segments" / "s0.md").read_text(encoding="utf-8").replace(
                "title: Segment 0", f"title: Segment 0 take {attempt}"), encoding="utf-8")
        shutil.rmtree(tmp_path / ".segpack-cache" / "public" / "media")  # all media work again
        process = start("build", show, "-o", out, "--jobs", "2")
        wait_for(process, "ffmpeg", count=1 + 2 * attempt)  # early, midway, late
        os.killpg(process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err.decode()
        assert err.decode() == "segpack: interrupted\n"
        assert not left_after(process)
        assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".public.")]
