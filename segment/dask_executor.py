"""Jobs on a Dask distributed cluster: `--scheduler tcp://HOST:8786` or SEGPACK_SCHEDULER.

Install with `pip install 'segpack[dask]'` here and on every worker (the same segpack, and the
same ffmpeg where jobs encode: a job checks both before it starts, see `_run_checked`). Workers
read and write through paths: the show folder and the folder the output goes into (where the
build cache lives) must be mounted at the same path on every worker (NFS, SMB, or the same
machine).

How a run goes: the scheduler is looked at when the executor is made (a TCP connect bounded by
SEGPACK_SCHEDULER_TIMEOUT, so one out of reach is one line at once, before any work); the
client connects when jobs are first handed out, waits that long for a worker, then keeps a
window of jobs on the cluster (a few per worker thread, so a 100,000-job archive does not sit
in the scheduler's memory), each under the key `segpack-LABEL-CONTENTHASH`. A worker killed
mid-job is the scheduler's to handle: it runs the job again elsewhere (Dask gives up on a job
after it killed `distributed.scheduler.allowed-failures` workers, 3 by default: one line here).
A cluster left with no worker, or a scheduler lost, for SEGPACK_SCHEDULER_TIMEOUT seconds ends
the run with one line; whatever ends it, the jobs still out are cancelled. Dask's own log lines
are kept off the terminal meanwhile: the run's outcome is said in segpack's words.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from segment.errors import SegpackError, UsageError
from segment.executor import ClusterError, Executor, Fingerprint
from segment.sourcekey import source_key

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_PORT = 8786
JOBS_PER_THREAD = 4
"""Jobs kept on the cluster per worker thread: enough that no worker waits for the next one."""
POLL = 0.5
"""Seconds between looks at the cluster while no job finishes."""
INSTALL = "pip install 'segpack[dask]'"


class DaskExecutor(Executor):
    remote = True

    def __init__(self, address: str, timeout: float):
        super().__init__(0)
        self.address = address
        self.timeout = timeout
        self._client: Any = None
        self._logging: list[tuple[logging.Logger, int]] = []
        _require_dask()
        self._reachable()

    def describe(self) -> str:
        workers = f", {self.workers} worker thread{'s' * (self.workers != 1)}" \
            if self._client is not None else ""
        return f"Dask scheduler {self.address}{workers}"

    def _reachable(self) -> None:
        """Refuse at once a scheduler nobody answers for: a TCP connect, no Dask handshake, and
        no import of Dask (`segpack build` with nothing to rebuild stays fast)."""
        from urllib.parse import urlsplit

        scheme = self.address.split("://", 1)[0] if "://" in self.address else "tcp"
        try:
            parts = urlsplit(self.address if "://" in self.address else f"tcp://{self.address}")
            host, port = parts.hostname, parts.port or DEFAULT_PORT
        except ValueError as exc:
            raise UsageError(f"--scheduler {self.address!r}: not a Dask scheduler address "
                             f"({exc}); e.g. tcp://HOST:{DEFAULT_PORT}") from None
        if not host:
            raise UsageError(f"--scheduler {self.address!r}: no host; e.g. "
                             f"tcp://HOST:{DEFAULT_PORT}")
        if scheme not in ("tcp", "tls"):
            return  # the client's own timeout bounds the others
        try:
            socket.create_connection((host, port), timeout=self.timeout).close()
        except OSError as exc:
            why = exc.strerror or str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError):
                why = f"no answer within {self.timeout:g} s"
            raise ClusterError(f"cannot reach the Dask scheduler at {self.address} ({why}): "
                               "start it (dask scheduler) or fix --scheduler / "
                               "SEGPACK_SCHEDULER") from None

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        from distributed import Client

        self._quiet()
        made: dict[str, Any] = {}

        def connect() -> None:
            try:
                with warnings.catch_warnings():  # version notes: `_run_checked` checks
                    warnings.simplefilter("ignore")
                    made["client"] = Client(self.address, timeout=self.timeout,
                                            set_as_default=False, name="segpack")
            except BaseException as exc:
                made["error"] = exc

        # In a thread of its own: a server that takes the connection and never answers the
        # handshake held the client's own timeout up until the server let go (seen: 38 s).
        connecting = threading.Thread(target=connect, name="segpack-dask-connect", daemon=True)
        connecting.start()
        connecting.join(self.timeout)
        error = made.get("error")
        if connecting.is_alive() or isinstance(error, (OSError, TimeoutError)):
            why = _one_line(error) if error else f"no answer within {self.timeout:g} s"
            raise ClusterError(f"cannot connect to the Dask scheduler at {self.address}: "
                               f"{why}") from None
        if error is not None:
            raise error
        client = self._client = made["client"]
        try:
            client.wait_for_workers(1, timeout=self.timeout)
        except (OSError, TimeoutError):
            raise ClusterError(f"the Dask scheduler at {self.address} has no workers (waited "
                               f"{self.timeout:g} s): start some (dask worker "
                               f"{self.address})") from None
        self.workers = self._threads()
        return client

    def _quiet(self) -> None:
        """Dask's log lines off the terminal while this executor is in use (`close` restores).
        Dask's logging settings give some of its loggers levels of their own (seen: the
        client's 'Failed to reconnect to scheduler'), so each is set, not only the parents."""
        import distributed  # noqa: F401  (its loggers exist once it is imported)

        names = [name for name in logging.root.manager.loggerDict
                 if name.split(".")[0] in ("distributed", "tornado")]
        for name in sorted({"distributed", "tornado", *names}):
            logger = logging.getLogger(name)
            self._logging.append((logger, logger.level))
            logger.setLevel(logging.CRITICAL + 1)

    def _threads(self) -> int:
        try:
            return sum(self._client.nthreads().values())
        except (OSError, TimeoutError):
            return 0

    def as_completed(self, fn: Callable[[T], R], items: Sequence[T],
                     keys: Sequence[str] | None = None, *, label: str = "job",
                     same: Fingerprint | None = None) -> Iterator[tuple[int, R]]:
        if not items:
            return
        client = self._connect()
        job = functools.partial(_run_checked, fn, same, _fingerprint(same))
        done: queue.SimpleQueue[Any] = queue.SimpleQueue()
        out: dict[Any, int] = {}
        following = iter(range(len(items)))
        watch = _Watch(self, label)
        try:
            while True:
                while len(out) < self._window():
                    index = next(following, None)
                    if index is None:
                        break
                    key = None if keys is None else f"segpack-{label}-{keys[index]}"
                    future = client.submit(job, items[index], key=key, pure=False)
                    out[future] = index
                    future.add_done_callback(done.put)
                if not out:
                    return
                try:
                    ready = [done.get(timeout=POLL)]
                except queue.Empty:
                    watch.idle(len(out))
                    continue
                watch.busy()
                while True:  # take every job finished meanwhile: one gather for them all
                    try:
                        ready.append(done.get_nowait())
                    except queue.Empty:
                        break
                for future, result in self._results([f for f in ready if f in out], label):
                    yield out.pop(future), result
        except BaseException:
            if out:
                with contextlib.suppress(Exception):  # the cluster may be why we stop
                    client.cancel(list(out), force=True)
            raise

    def _window(self) -> int:
        return max(16, JOBS_PER_THREAD * self.workers)

    def _results(self, ready: list[Any], label: str) -> Iterator[tuple[Any, Any]]:
        finished = [f for f in ready if f.status == "finished"]
        if finished:
            try:
                values = self._client.gather(finished)
            except Exception as exc:  # the worker holding one died before it was fetched
                raise (_cluster_error(exc, label, self.address) or exc) from None
            yield from zip(finished, values, strict=True)
        for future in ready:
            if future.status == "finished":
                continue
            try:
                future.result()
            except SegpackError:
                raise
            except Exception as exc:
                error = _cluster_error(exc, label, self.address)
                if error is None:
                    raise  # a bug in the job: its traceback
                raise error from None
            raise ClusterError(f"a {label} job ended as {future.status!r} on the Dask "
                               "cluster")  # pragma: no cover (no such state known)

    def close(self) -> None:
        client, self._client = self._client, None
        try:
            if client is not None:
                with contextlib.suppress(Exception):  # already lost: nothing to let go of
                    client.close(timeout=self.timeout)
        finally:
            for logger, level in reversed(self._logging):
                logger.setLevel(level)
            self._logging.clear()


class _Watch:
    """Ends a run whose cluster has had no worker, or no scheduler, for the timeout."""

    def __init__(self, executor: DaskExecutor, label: str):
        self.executor = executor
        self.label = label
        self.since: float | None = None

    def busy(self) -> None:
        self.since = None

    def idle(self, waiting: int) -> None:
        executor = self.executor
        client = executor._client
        lost = client.status != "running"
        threads = 0 if lost else executor._threads()
        if threads:
            executor.workers = threads
            self.since = None
            return
        now = time.monotonic()
        if self.since is None:
            self.since = now
        if now - self.since < executor.timeout:
            return
        what = "lost its scheduler" if lost else "had no workers"
        raise ClusterError(f"the Dask cluster at {executor.address} {what} for "
                           f"{executor.timeout:g} s; {waiting} {self.label} job"
                           f"{'s' * (waiting != 1)} not done")


def _cluster_error(exc: BaseException, label: str, address: str) -> ClusterError | None:
    """The cluster's part in a job that did not come back, in one line; None for a bug."""
    from concurrent.futures import CancelledError

    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        return ClusterError(f"a {label} job killed every Dask worker that ran it, so the "
                            "scheduler gave up on it (out of memory? see the workers' logs)")
    if isinstance(exc, CancelledError):
        return ClusterError(f"the Dask scheduler at {address} dropped the {label} jobs "
                            "(restarted, or lost)")
    if isinstance(exc, ImportError):
        return ClusterError(f"a Dask worker cannot run segpack's jobs ({_one_line(exc)}): "
                            f"install the same segpack on every worker ({INSTALL})")
    if isinstance(exc, (OSError, TimeoutError)) or type(exc).__module__.startswith(
            "distributed"):
        return ClusterError(f"the Dask cluster at {address} failed a {label} job: "
                            f"{_one_line(exc)}")
    return None


def _run_checked(fn: Callable[[T], R], same: Fingerprint | None, expected: tuple[str, str],
                 item: T) -> R:
    """`fn(item)` on a worker whose segpack code (and `same()`) is this machine's, else one
    line saying which differs."""
    found = _fingerprint(same)
    if found != expected:
        from distributed import get_worker

        if found[0] != expected[0]:
            what = "another version of segpack's code"
        else:
            what = f"{found[1]} where segpack here has {expected[1]}"
        raise ClusterError(f"Dask worker {get_worker().address} runs {what}: install the same "
                           "on every worker, or its output would differ")
    return fn(item)


@functools.lru_cache(maxsize=8)
def _fingerprint(same: Fingerprint | None) -> tuple[str, str]:
    return source_key(), same() if same is not None else ""


def _require_dask() -> None:
    """Dask installed here, found without importing it (~1 s)."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise UsageError(f"--scheduler needs Dask: {INSTALL}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
