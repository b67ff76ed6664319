"""Where independent jobs run: in this process, in local worker processes, or on a Dask cluster.

segpack's heavy work (encode, loudness, tagged copies, alignment, tags over many files) is a set
of independent jobs, each named by a content hash of everything that shapes its result. An
`Executor` runs such jobs and hands their results back as they finish; `executor_for` picks one:

- `InProcess` (one job at a time, here) and `LocalProcesses` (N worker processes from a clean
  forkserver, which die with segpack however it ends: `segment.parallel.worker_started`): the
  default, no dependency beyond Python;
- `DaskExecutor` (`segment.dask_executor`): a Dask distributed cluster, when `--scheduler
  tcp://HOST:8786` or `SEGPACK_SCHEDULER` names one (`pip install 'segpack[dask]'`; Dask is
  imported only then).

What every job keeps, whichever executor runs it:
- its function is module-level (workers import it by name) and its argument is plain data:
  models, strings, and paths that are absolute when `executor.remote`, on a file system every
  worker sees at the same path (an NFS or SMB mount, or the same machine); never an open file;
- it returns plain data, and a user's bad file as a returned `SegpackError`, not a raised one, so
  one file does not stop the others; an exception it raises is a bug (or the cluster's fault)
  and stops the whole run: the jobs not started are cancelled;
- it writes nothing the command owns (the output folder, the build cache): it makes its product
  where the command told it to, and the command, the one writer, moves it in. So a build killed
  anywhere, or a worker killed mid-job, leaves the output and the cache as crash-safe as a local
  build does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from segment.errors import SegpackError, ToolError, UsageError

T = TypeVar("T")
R = TypeVar("R")

SCHEDULER_ENV = "SEGPACK_SCHEDULER"
TIMEOUT_ENV = "SEGPACK_SCHEDULER_TIMEOUT"
DEFAULT_TIMEOUT = 5.0
"""Seconds to wait for the scheduler to answer, and for a worker while the cluster has none."""
LOCAL = "local"
"""`--scheduler local`: this machine's processes, whatever SEGPACK_SCHEDULER says."""

Progress = Callable[[int, int], None]
Fingerprint = Callable[[], str]
"""What must be the same where a job runs as here for its result to be the same (e.g. the
ffmpeg version). A module-level function: workers call it by name."""


class ClusterError(ToolError):
    """The cluster cannot run the jobs: its scheduler is out of reach, it has no workers, its
    workers run other code, or it lost a job. A problem of the set-up (exit status 2)."""


class Executor:
    """Runs `fn(item)` for every item; see the module docstring for what jobs keep."""

    remote = False
    """True when jobs run on other machines: paths must be absolute, nothing is inherited."""

    def __init__(self, workers: int = 1):
        self.workers = workers

    def describe(self) -> str:
        return "this process"

    def as_completed(self, fn: Callable[[T], R], items: Sequence[T],
                     keys: Sequence[str] | None = None, *, label: str = "job",
                     same: Fingerprint | None = None) -> Iterator[tuple[int, R]]:
        """Yield (index, fn(items[index])) as jobs finish. `keys` are their content hashes
        (equal keys, equal results); `label` names the kind of job in messages and in the
        cluster's dashboard. Closing the iterator early (an error, Ctrl-C) cancels the jobs
        not finished."""
        for index, item in enumerate(items):
            yield index, fn(item)

    def map(self, fn: Callable[[T], R], items: Sequence[T], keys: Sequence[str] | None = None,
            *, label: str = "job", same: Fingerprint | None = None,
            progress: Progress | None = None) -> list[R]:
        """[fn(item) for item in items], in order; `progress(done, total)` from 0 as they
        finish."""
        results: list[Any] = [None] * len(items)
        if progress is not None:
            progress(0, len(items))
        done = 0
        jobs = self.as_completed(fn, items, keys, label=label, same=same)
        try:
            for index, result in jobs:
                results[index] = result
                done += 1
                if progress is not None:
                    progress(done, len(items))
        finally:
            close = getattr(jobs, "close", None)
            if close is not None:
                close()
        return results

    def close(self) -> None:
        """Let go of workers or connections (an executor is used for one command)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(Executor):
    """One job after the other, in this process (`--jobs 1`, or work too small to hand out)."""


class LocalProcesses(Executor):
    """`workers` processes of this machine, started from a clean single-threaded server (not
    forked from this process: tagging keeps I/O threads alive, and forking while one of them
    holds a lock left a child waiting on it forever). They die with this process however it
    ends; when it stops early (Ctrl-C, an error), the jobs not started are dropped and the
    running ones killed at once, with whatever they run (ffmpeg), instead of being waited for."""

    def describe(self) -> str:
        return f"{self.workers} local process{'es' * (self.workers != 1)}"

    def as_completed(self, fn: Callable[[T], R], items: Sequence[T],
                     keys: Sequence[str] | None = None, *, label: str = "job",
                     same: Fingerprint | None = None) -> Iterator[tuple[int, R]]:
        if self.workers < 2 or len(items) < 2:
            yield from super().as_completed(fn, items, keys, label=label, same=same)
            return
        import concurrent.futures  # only here: ~4 ms to import
        from concurrent.futures.process import BrokenProcessPool

        from segment.parallel import deferring_interrupts, kill_workers, worker_started

        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(self.workers, len(items)), mp_context=_clean_process_context(),
            initializer=worker_started, initargs=(os.getpid(),))
        try:
            with deferring_interrupts():  # the workers (and the forkserver) start here
                futures = {pool.submit(fn, item): index for index, item in enumerate(items)}
            for future in concurrent.futures.as_completed(futures):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise SegpackError(f"a worker process ended abruptly while running {label} "
                                       "jobs (killed, or out of memory?)") from None
                yield futures.pop(future), result
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            kill_workers(list(getattr(pool, "_processes", None) or ()))  # private; no public way
            raise
        finally:
            pool.shutdown(wait=True)


def _clean_process_context() -> Any:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def scheduler_address(option: str | None) -> str | None:
    """The Dask scheduler to use: `--scheduler`, else SEGPACK_SCHEDULER; None for this machine
    (neither set, or `local`)."""
    address = option if option is not None else os.environ.get(SCHEDULER_ENV, "")
    address = address.strip()
    return None if address in ("", LOCAL) else address


def timeout() -> float:
    """SEGPACK_SCHEDULER_TIMEOUT seconds, else `DEFAULT_TIMEOUT`."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise UsageError(f"{TIMEOUT_ENV}={text!r}: give a number of seconds above 0")
    return value


def executor_for(jobs: int, scheduler: str | None = None) -> Executor:
    """The executor for `--jobs`/`--scheduler` (and SEGPACK_SCHEDULER). A Dask scheduler is
    looked at now, so one out of reach is said at once, before any work; its connection is made
    when the first jobs are handed out."""
    address = scheduler_address(scheduler)
    if address is not None:
        from segment.dask_executor import DaskExecutor

        return DaskExecutor(address, timeout())
    return LocalProcesses(jobs) if jobs > 1 else InProcess()
