"""Spread per-file work over forked worker processes, results in input order.

`validate` and `build` both read thousands of manifests, each on its own; with N cores that is
N times faster once the list is long enough to pay for the forks (~20 ms). Workers are forked,
so what they need (settings, the show, caches) is set in module globals by the caller before
the call and inherited, never pickled; only the chunk of items goes to them, and their results
come back pickled, so callers send plain tuples (unpickling dataclass trees costs ~35 us each,
tuples ~5 us).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

PARALLEL_FROM = 400
"""Fewer items than this are done in this process: forking costs more than it saves."""
CHUNKS_PER_JOB = 8
"""Chunks per worker: small enough to balance the load, large enough to batch the work."""


def map_chunks(work: Callable[[list[T]], list[Any]], items: list[T], jobs: int,
               started: Callable[[], object] | None = None,
               minimum: int = PARALLEL_FROM) -> Iterator[tuple[list[T], list[Any]]]:
    """Yield (chunk, work(chunk)) for consecutive chunks of `items`, in order.

    `work` must be a module-level function (workers find it by name). With one job, too few
    items or no `fork` on this platform, it runs here on the whole list. `started` is called
    once the workers exist (or at once without them), so a thread it starts is not running
    when they are forked (only a worker killed meanwhile would be forked again)."""
    if not workers_wanted(jobs, len(items), minimum):
        if started is not None:
            started()
        if items:
            yield items, work(items)
        return
    chunks = _chunks(items, jobs)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        if started is not None:
            started()
        yield from zip(chunks, pool.imap(work, chunks), strict=True)


def _chunks(items: list[T], jobs: int) -> list[list[T]]:
    """`CHUNKS_PER_JOB` equal chunks per worker. (Shrinking chunks, guided scheduling, measured
    slower on 10,000 manifests: fewer, bigger results arrive in bursts.)"""
    size = -(-len(items) // (jobs * CHUNKS_PER_JOB))
    return [items[i:i + size] for i in range(0, len(items), size)]


def workers_wanted(jobs: int, items: int, minimum: int = PARALLEL_FROM) -> bool:
    """Whether `map_chunks` would fork for this many items."""
    return jobs > 1 and items >= minimum and "fork" in multiprocessing.get_all_start_methods()
