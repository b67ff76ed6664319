"""Spread per-file work over forked worker processes, results in input order.

`validate` and `build` both read thousands of manifests, each on its own; with N cores that is
N times faster once the list is long enough to pay for the forks (~20 ms). Workers are forked,
so what they need (settings, the show, caches) is set in module globals by the caller before
the call and inherited, never pickled; only the chunk of items goes to them, and their results
come back pickled, so callers send plain tuples (unpickling dataclass trees costs ~35 us each,
tuples ~5 us).

Workers die with the process that started them, however it ends: multiprocessing's own workers
wait on a queue whose writing end they hold themselves, so a SIGKILLed or SIGTERMed parent left
them (and the forkserver and resource tracker they keep alive) running for good. Every worker
segpack starts runs `worker_started` first: it leads a process group of its own (with whatever
it runs, e.g. ffmpeg), ignores Ctrl-C (the parent alone answers it: one "interrupted" line, no
worker tracebacks), asks Linux to kill it when its parent dies (PR_SET_PDEATHSIG), and watches
the segpack process itself (a pidfd, else polling): when that is gone, it kills its group.
`deferring_interrupts` holds Ctrl-C back while workers are forked or the forkserver is started,
so none starts with Python's KeyboardInterrupt handler, and answers it once they exist;
`kill_workers` ends them at once when the parent stops early.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

T = TypeVar("T")

PARALLEL_FROM = 400
"""Fewer items than this are done in this process: forking costs more than it saves."""
CHUNKS_PER_JOB = 8
"""Chunks per worker: small enough to balance the load, large enough to batch the work."""
MAX_CHUNK = 1000
"""Items per chunk at most, with workers or without: what a chunk holds while it is worked on
(parsed manifests, compiled episodes) then stays the same for 10,000 items and for 1,000,000
(issue 17), and 1,000 items are plenty to batch the work."""


def map_chunks(work: Callable[[list[T]], list[Any]], items: list[T], jobs: int,
               started: Callable[[], object] | None = None,
               minimum: int = PARALLEL_FROM) -> Iterator[tuple[list[T], list[Any]]]:
    """Yield (chunk, work(chunk)) for consecutive chunks of `items`, in order.

    `work` must be a module-level function (workers find it by name). With one job, too few
    items or no `fork` on this platform, it runs here (in chunks of `MAX_CHUNK` too).
    `started` is called once the workers exist (or at once without them), so a thread it
    starts is not running when they are forked (only a worker killed meanwhile would be
    forked again)."""
    if not workers_wanted(jobs, len(items), minimum):
        if started is not None:
            started()
        for start in range(0, len(items), MAX_CHUNK):
            chunk = items[start:start + MAX_CHUNK]
            yield chunk, work(chunk)
        return
    chunks = _chunks(items, jobs)
    with deferring_interrupts():
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=worker_started,
                                                        initargs=(os.getpid(),))
    with pool:
        if started is not None:
            started()
        yield from zip(chunks, pool.imap(work, chunks), strict=True)


def _chunks(items: list[T], jobs: int) -> list[list[T]]:
    """`CHUNKS_PER_JOB` equal chunks per worker. (Shrinking chunks, guided scheduling, measured
    slower on 10,000 manifests: fewer, bigger results arrive in bursts.)"""
    size = min(-(-len(items) // (jobs * CHUNKS_PER_JOB)), MAX_CHUNK)
    return [items[i:i + size] for i in range(0, len(items), size)]


def workers_wanted(jobs: int, items: int, minimum: int = PARALLEL_FROM) -> bool:
    """Whether `map_chunks` would fork for this many items."""
    return jobs > 1 and items >= minimum and "fork" in multiprocessing.get_all_start_methods()


def worker_started(parent: int) -> None:
    """Initializer of every worker process: see the module docstring. `parent` is the pid of
    the segpack process the worker works for (for a forkserver's worker, not its parent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with suppress(OSError):
        os.setpgid(0, 0)
    _kill_me_with_my_parent()
    threading.Thread(target=_watch, args=(parent,), name="segpack-watch-parent",
                     daemon=True).start()


def _kill_me_with_my_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass


def _watch(parent: int) -> None:
    """Wait for `parent` to end, then end this worker's group (or this worker)."""
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        _end_group()
    except (AttributeError, OSError):  # not Linux 5.3+: poll
        while _alive(parent):
            threading.Event().wait(0.5)
        _end_group()
    else:
        import select

        select.select([fd], [], [])
        _end_group()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end_group() -> None:
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)  # with ffmpeg or whatever else it started
    os._exit(1)


@contextmanager
def ignoring_interrupts() -> Iterator[None]:
    """Ctrl-C (SIGINT) ignored in this block, and lost: while workers (or the forkserver) are
    started, so they start ignoring it (a forked child inherits it, and so does an exec'd
    forkserver, which hands it to every worker); while a build swaps its output in and saves its
    cache, so a live output is never reported as an interrupted build. Only the main thread can
    set handlers: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def deferring_interrupts() -> Iterator[None]:
    """Ctrl-C (SIGINT) held back in this block and answered right after it: while workers (or
    the forkserver) are started. A child forked or exec'd here inherits the blocked signal, so
    none starts with Python's KeyboardInterrupt handler; a Ctrl-C pressed meanwhile stays
    pending and raises KeyboardInterrupt when the block ends (or at once, if another thread of
    this process took the signal: Python answers it in the main thread either way). Ignoring it
    here lost it: a build whose workers were starting carried on to exit 0. Only the main
    thread answers signals: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def kill_workers(pids: Iterable[int]) -> None:
    """End workers (and what they run) at once: each leads its own process group."""
    for pid in pids:
        with suppress(OSError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
