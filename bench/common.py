"""What every benchmark shares: a timer, a row type, and the table the runner prints.

A benchmark module `bench/bench_<topic>.py` exposes `rows(workdir: Path) -> list[Row]`; each
row times segpack's work and the floor for the same work, measured in the same run, so the ratio
means something on whatever machine runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    work: str
    segpack: float
    floor: float
    floor_name: str = ""
    target: float | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.segpack / self.floor if self.floor else float("inf")

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.ratio <= self.target else "OVER"


def best_of(func: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of `repeat` runs (the least disturbed by the machine's other work)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def run_segpack(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run the installed CLI in a fresh interpreter, as a user would."""
    cmd = [sys.executable, "-m", "segment", *args]
    return subprocess.run(cmd, capture_output=True, check=check, cwd=ROOT)


def table(rows: list[Row]) -> str:
    head = f"{'work':<58} | {'segpack':>9} | {'floor':>9} | {'ratio':>6} | target"
    lines = [head, "-" * len(head)]
    for r in rows:
        target = f"<= {r.target:g} {r.verdict}" if r.target is not None else ""
        lines.append(f"{r.work:<58} | {r.segpack:>8.3f}s | {r.floor:>8.3f}s | "
                     f"{r.ratio:>6.2f} | {target}")
        lines.append(f"{'':<58} |   floor: {r.floor_name}")
        for key, value in r.notes.items():
            lines.append(f"{'':<58} |   {key}: {value}")
    return "\n".join(lines)


SLOW_CREATE_US = 60.0
"""Creating a small file costs ~20-30 us on a healthy ext4 here; far above that, the folder's
block group is still full of just-deleted inodes (see `settle_file_system`)."""


def file_create_us(folder: Path, count: int = 400) -> float:
    """Microseconds to create (and write 2 KB into) one new file in `folder`."""
    probe = folder / f".probe-{time.time_ns()}"
    probe.mkdir(parents=True)
    data = b"x" * 2048
    start = time.perf_counter()
    for n in range(count):
        fd = os.open(probe / f"{n}.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)
    return (time.perf_counter() - start) / count * 1e6


def settle_file_system(folder: Path, wait: float = 360.0) -> float:
    """Wait (up to `wait` s) until creating files in `folder` runs at normal speed; return
    the last probe (us per file) for the report.

    ext4 without a journal (this machine) will not reuse an inode deleted in the last 60 s
    (300 s while its inode table block is unwritten), and checks each candidate one by one;
    a new folder tends to land in the block group the last big `rm -r` emptied, so right after
    one (an earlier benchmark's, a test run's) creating 20,000 files costs 10x more. That is a
    cost of the machine's recent history, not of the work measured, so the file system is
    synced and given the time to forget."""
    os.sync()
    deadline = time.monotonic() + wait
    speed = file_create_us(folder)
    while speed > SLOW_CREATE_US and time.monotonic() < deadline:
        print(f"  file system slow here ({speed:.0f} us per new file): waiting for recently "
              "deleted inodes to age", file=sys.stderr, flush=True)
        time.sleep(20)
        speed = file_create_us(folder)
    return speed


_LAUNCHER_CODE = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    start = time.perf_counter()
    proc = subprocess.Popen(job["cmd"], cwd=job["cwd"], env=job["env"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    print(json.dumps({"wall": time.perf_counter() - start, "maxrss_kb": usage.ru_maxrss,
                      "cpu": usage.ru_utime + usage.ru_stime,
                      "status": os.waitstatus_to_exitcode(status),
                      "stderr": err.decode(errors="replace")[-1000:]}), flush=True)
"""
_launcher: subprocess.Popen | None = None


def start_launcher() -> None:
    """Start the process that runs timed commands (`launch`), while this one is small.

    Linux counts in a child's peak RSS (`ru_maxrss`) the memory of the process it was forked
    from, exec or not: a build started by a bench process that has grown to 110 MB (making a
    100,000-manifest show) reports at least 110 MB. Forked from a small, fixed launcher, a
    command's peak is its own (measured: `python -c pass` forked from a 150 MB process reports
    161 MB)."""
    global _launcher
    if _launcher is None:
        _launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER_CODE],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def launch(cmd: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run `cmd` from the launcher: {wall, maxrss_kb (its process tree), cpu, status, stderr}."""
    import json

    start_launcher()
    assert _launcher is not None and _launcher.stdin and _launcher.stdout
    _launcher.stdin.write(json.dumps({"cmd": cmd, "cwd": str(cwd), "env": env}) + "\n")
    _launcher.stdin.flush()
    return json.loads(_launcher.stdout.readline())
