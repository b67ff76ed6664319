"""Dynamic time warping of the reference onto the programme, in windows of bounded size.

The whole cost matrix of a 3-hour programme would have 270,000² cells, so the path is found
window by window: a minute of reference against the stretch of programme it can reach (its
length at the overall pace, times 1.6, plus 30 s for music or a long pause), the window's end
left open; the first two thirds of the path found are kept and the next window starts where
they end. Memory is one window (two float32 matrices of 1,500 x ~4,000: ~50 MB), whatever the
length.

Each row of a window is computed with whole-array operations: the step from the left,
D[i, j] = C[i, j] + D[i, j-1], is a running minimum over prefix sums,
D[i, j] = P[j] + min over k <= j of (B[k] - P[k]), where P is the row's prefix sum of costs and
B[k] = C[i, k] + min(D[i-1, k], D[i-1, k-1]) the best arrival from the row above.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

WINDOW = 1500
"""Reference frames per window (60 s at 40 ms)."""
KEEP = 2 / 3
SLACK = 750
"""Programme frames a window may reach beyond the reference's pace (30 s)."""


def distances(ref: np.ndarray, prog: np.ndarray) -> np.ndarray:
    """Euclidean distance of every reference frame to every programme frame (float32, made
    in place: one matrix of the window's size)."""
    out = ref.astype(np.float32) @ (-2.0 * prog.astype(np.float32)).T
    out += (ref ** 2).sum(axis=1, dtype=np.float32)[:, None]
    out += (prog ** 2).sum(axis=1, dtype=np.float32)[None, :]
    np.maximum(out, 0.0, out=out)
    return np.sqrt(out, out=out)


def _accumulate(cost: np.ndarray) -> np.ndarray:
    """Cumulative cost from (0, 0) with steps right, down and diagonal. (A programme's lead-in
    of music or silence is absorbed by the reference's own short lead-in of silence.)"""
    acc = np.empty_like(cost)  # float32 storage; each row is worked out in float64
    acc[0] = np.cumsum(cost[0], dtype=np.float64)
    rows = cost.shape[0]
    for i in range(1, rows):
        above = acc[i - 1].astype(np.float64)
        best = above.copy()
        np.minimum(best[1:], above[:-1], out=best[1:])
        prefix = np.cumsum(cost[i], dtype=np.float64)
        arrive = cost[i] + best - prefix
        acc[i] = prefix + np.minimum.accumulate(arrive)
    return acc


def _backtrack(acc: np.ndarray, end: int) -> np.ndarray:
    """For each row, the first column of the path ending at (last row, end)."""
    i, j = acc.shape[0] - 1, end
    first = np.zeros(acc.shape[0], dtype=np.int64)
    first[i] = j
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diag, up, left = acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]
            if diag <= up and diag <= left:
                i, j = i - 1, j - 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        first[i] = j
    return first


def align(ref: np.ndarray, prog: np.ndarray,
          progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Map every reference frame to a programme frame.

    Returns (first programme frame of each reference frame on the path, the frame distance
    there). The path runs from the start of both to the end of the reference and of the
    programme (or of the last window, when the programme runs on past it)."""
    n, m = len(ref), len(prog)
    pace = m / max(n, 1)
    mapping = np.zeros(n, dtype=np.int64)
    local = np.zeros(n, dtype=np.float64)
    i0 = j0 = 0
    while i0 < n:
        rows = min(WINDOW, n - i0)
        last = i0 + rows == n
        reach = max(1, min(m - j0, int(rows * pace * 1.6) + SLACK))
        cost = distances(ref[i0:i0 + rows], prog[j0:j0 + reach])
        acc = _accumulate(cost)
        # the last window ends at the end of the programme when it reaches it (else what is
        # left is not speech of the text: an outro); others end where arriving costs least
        # per step taken
        end = reach - 1 if last and j0 + reach == m else \
            int(np.argmin(acc[-1] / (rows + np.arange(reach))))
        first = _backtrack(acc, end)
        keep = rows if last else max(1, int(rows * KEEP))
        mapping[i0:i0 + keep] = j0 + first[:keep]
        local[i0:i0 + keep] = cost[np.arange(keep), first[:keep]]
        if progress:
            progress(keep)
        if last:
            break
        j0 = min(int(j0 + first[keep]), m - 1)
        i0 += keep
    return mapping, local
