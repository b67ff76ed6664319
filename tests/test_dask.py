"""Jobs on a real Dask cluster (issue 17): a `dask scheduler` and two `dask worker` processes on
127.0.0.1 (`tests/dask_cluster.py`), no mocks. The same files come out as from local work, a
scheduler out of reach is one line at once, and what the workers run must be what runs here.

Skipped when Dask is not installed (`pip install -e '.[dask]'`; `.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from segment.cli import main
from tests.conftest import EXAMPLE, ROOT, make_tone

pytest.importorskip("distributed")

MANIFEST = "segments/momentum-against-isil-builds.md"


def run(*args: str | Path, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`segpack ARGS` in a fresh interpreter, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "segment", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tone_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tones")
    return make_tone(folder / "tone.mp3", 0.3)


# -- the scheduler out of reach ---------------------------------------------------------------

def _one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_a_scheduler_nobody_answers_for_is_one_line_at_once(tmp_path, tone_files):
    audio = tmp_path / "a.mp3"
    shutil.copyfile(tone_files, audio)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{closed.getsockname()[1]}"
    started = time.monotonic()
    result = run("tag", audio, "--from", EXAMPLE / MANIFEST, env={"SEGPACK_SCHEDULER": address})
    assert time.monotonic() - started < 15  # the interpreter and Dask's import included
    _one_line(result, f"cannot reach the Dask scheduler at {address}", "refused",
              "SEGPACK_SCHEDULER")
    assert audio.read_bytes() == tone_files.read_bytes()


def test_a_scheduler_that_never_answers_is_one_line_within_the_timeout(tmp_path, tone_files,
                                                                       monkeypatch, capsys):
    audio = tmp_path / "a.mp3"
    shutil.copyfile(tone_files, audio)
    monkeypatch.setenv("SEGPACK_SCHEDULER_TIMEOUT", "2")
    with socket.socket() as silent:  # takes the connection, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        status = main(["tag", str(audio), "--from", str(EXAMPLE / MANIFEST), "--scheduler",
                       address])
        took = time.monotonic() - started
    assert took < 5, took
    out, err = capsys.readouterr()
    _one_line(subprocess.CompletedProcess([], status, out, err),
              f"cannot connect to the Dask scheduler at {address}", "within 2 s")
    assert audio.read_bytes() == tone_files.read_bytes()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:port", "tcp://nosuch.invalid:8786"])
def test_a_bad_address_is_one_line(address, tmp_path, capsys):
    status = main(["tag", str(tmp_path / "a.mp3"), "--from", str(EXAMPLE / MANIFEST),
                   "--scheduler", address])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and address in err, err


# -- the executor on a real cluster ------------------------------------------------------------

def test_jobs_come_back_in_order_with_progress(dask_cluster):
    from segment.executor import executor_for

    seen = []
    with executor_for(1, dask_cluster.address) as executor:
        assert executor.remote
        results = executor.map(abs, list(range(-40, 0)), [f"n{i}" for i in range(40)],
                               label="abs", progress=lambda done, total: seen.append(done))
        assert "2 worker threads" in executor.describe()
    assert results == list(range(40, 0, -1))
    assert seen == list(range(41))


def test_a_bug_in_a_job_keeps_its_traceback_and_stops_the_run(dask_cluster):
    from segment.executor import executor_for

    with executor_for(1, dask_cluster.address) as executor, \
            pytest.raises(ValueError, match="invalid literal"):
        executor.map(int, ["1", "x", "3"], label="int")


def test_workers_that_differ_from_here_are_refused(dask_cluster):
    """What a job's result depends on (here: the folder a process runs in, which differs
    between the workers and this process) must be the same on the worker."""
    from segment.executor import ClusterError, executor_for

    with executor_for(1, dask_cluster.address) as executor, \
            pytest.raises(ClusterError, match="where segpack here has") as caught:
        executor.map(abs, [1, 2], label="abs", same=os.getcwd)
    assert "install the same on every worker" in str(caught.value)


# -- tag ---------------------------------------------------------------------------------------

def test_tag_through_dask_writes_the_same_bytes(dask_cluster, tmp_path, tone_files, capsys):
    """150 files (3 jobs of 64 and 22), one named twice and one through a symlink, tagged on
    the cluster and here: the same bytes, the same report."""
    here, there = tmp_path / "here", tmp_path / "there"
    for folder in (here, there):
        folder.mkdir()
        for n in range(150):
            shutil.copyfile(tone_files, folder / f"f{n:03d}.mp3")
        (folder / "link.mp3").symlink_to(folder / "f007.mp3")

    def names(folder: Path) -> list[str]:
        return [str(p) for p in sorted(folder.glob("f*.mp3"))] + [str(folder / "f003.mp3"),
                                                                 str(folder / "link.mp3")]

    manifest = str(EXAMPLE / MANIFEST)
    outputs = {}
    for folder, extra in ((here, []), (there, ["--scheduler", dask_cluster.address])):
        status = main(["tag", *names(folder), "--from", manifest, "--json", *extra])
        out, err = capsys.readouterr()
        assert status == 0, err
        outputs[folder] = out.replace(str(folder), "X")
    assert outputs[here] == outputs[there]
    assert files(here) == files(there)
    assert (there / "link.mp3").is_symlink()
    assert main(["tag", *names(there), "--from", manifest, "--scheduler",
                 dask_cluster.address]) == 0
    assert capsys.readouterr().out.count("up to date") == 152
