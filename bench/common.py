"""What every benchmark shares: a timer, a row type, and the table the runner prints.

A benchmark module `bench/bench_<topic>.py` exposes `rows(workdir: Path) -> list[Row]`; each
row times segpack's work and the floor for the same work, measured in the same run, so the ratio
means something on whatever machine runs it.
"""

from __future__ import annotations

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
