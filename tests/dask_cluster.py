"""A real Dask cluster on this machine: `dask scheduler` and `dask worker` processes (no mocks).

Used by the tests (`tests/test_dask.py`) and by `bench/bench_dask.py`. Everything listens on
127.0.0.1 on ports the system picks (the scheduler writes its address into a file); each process
leads a session of its own (so it can be killed with whatever it runs, ffmpeg included) and is
told to die with the process that started it (PR_SET_PDEATHSIG), so a test run killed half-way
leaves no cluster behind; `close` ends them all however the test ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT = 60.0
"""Seconds a process may take to start on a loaded 2-core machine."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Cluster:
    """A scheduler and its workers, each `--nthreads 1`, without nannies: a worker killed is
    gone (no nanny starts it again) until `start_worker`."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        self.folder = folder
        self.env = {**os.environ, **(env or {})}
        self.logs: list[Path] = []
        self.workers: list[subprocess.Popen] = []
        self.scheduler_file = folder / "scheduler.json"
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--dashboard-address", "127.0.0.1:0",
                                     "--scheduler-file", str(self.scheduler_file),
                                     "--idle-timeout", "600")
        deadline = time.monotonic() + START_TIMEOUT
        while not self._address():
            self._alive(self.scheduler, deadline)
            time.sleep(0.05)
        self.address = self._address()

    def _address(self) -> str:
        try:
            return json.loads(self.scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            return ""

    def _start(self, kind: str, *args: str) -> subprocess.Popen:
        log = self.folder / f"{kind}-{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "wb") as handle:
            return subprocess.Popen([sys.executable, "-m", "dask", kind, *args],
                                    stdin=subprocess.DEVNULL, stdout=handle, stderr=handle,
                                    env=self.env, cwd=self.folder, start_new_session=True,
                                    preexec_fn=_die_with_parent)

    def _alive(self, process: subprocess.Popen, deadline: float) -> None:
        if process.poll() is not None or time.monotonic() > deadline:
            logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in self.logs)
            raise RuntimeError(f"the Dask cluster did not start:\n{logs}")

    def start_worker(self) -> subprocess.Popen:
        worker = self._start("worker", "--scheduler-file", str(self.scheduler_file),
                             "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                             "--dashboard-address", "127.0.0.1:0",
                             "--local-directory", str(self.folder / "workers"),
                             "--death-timeout", "60")
        self.workers.append(worker)
        return worker

    def running_workers(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def wait_for_workers(self, count: int) -> None:
        """Until the scheduler has `count` workers (asked through a client of its own)."""
        from distributed import Client

        while len(self.running_workers()) < count:
            self.start_worker()
        with Client(self.address, timeout=START_TIMEOUT, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=START_TIMEOUT)
            deadline = time.monotonic() + START_TIMEOUT
            while len(client.nthreads()) != count:  # a killed one may still be listed
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the scheduler lists {client.nthreads()}")
                time.sleep(0.1)

    def busy_workers(self, program: str = "ffmpeg") -> list[subprocess.Popen]:
        """The running workers that have a child process running `program` (a job at work)."""
        return [w for w in self.running_workers() if any(
            os.path.basename(_argv0(child)).startswith(program) for child in _children(w.pid))]

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a process and everything it started (its session)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            self.kill(process)


@contextlib.contextmanager
def local_cluster(folder: Path, workers: int = 2,
                  env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A scheduler and `workers` single-threaded workers, ended however the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(folder, env)
    try:
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.close()


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (Linux: /proc/PID/task/*/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found + [grandchild for child in found for grandchild in _children(child)]


def _argv0(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""
