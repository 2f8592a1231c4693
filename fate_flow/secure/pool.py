"""CryptoPool: worker processes for big encrypt / decrypt / dot batches.

Workers are started with the "spawn" method: the calling process runs gRPC threads, and forking a
multi-threaded process can copy held locks into the child. A pool is meant to live across many calls
(one per training job, say): starting a worker costs a Python start-up and imports. Each chunk carries the
key's numbers; a worker derives the costly per-key data (the fixed-base table, CRT constants) once and
keeps it (kernels' caches), so a key is processed once per worker, not once per chunk.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Callable

# a chunk below this many items costs more in messaging than it saves
MIN_CHUNK = 128
# chunks per worker: small enough for an even finish when a core is shared, big enough to amortise messages
CHUNKS_PER_WORKER = 4


# how often a pool worker checks that the process that made it is still there
PARENT_CHECK_SECONDS = 0.5


def _end_with_parent(parent_pid: int) -> None:
    """Runs first in every pool worker: the worker ends as soon as the process that made the pool is gone
    (killed, even with SIGKILL), instead of waiting forever for work that will not come; and with the workers
    goes multiprocessing's resource tracker, which ends when the last process holding its pipe does.

    A watching thread rather than a parent-death signal (prctl PR_SET_PDEATHSIG): that signal follows the
    thread that started the worker, and a pool may be started from a thread that ends before the pool does."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _ready() -> bool:
    import fate_flow.secure.kernels  # noqa: F401  (import the arithmetic before the first chunk arrives)
    return True


class CryptoPool:
    """A pool of `workers` processes; use as a context manager (or call close()). Pass it as `pool=` to
    PaillierPublicKey.encrypt, PaillierPrivateKey.decrypt and EncryptedVector.dot."""

    def __init__(self, workers: int) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"a CryptoPool needs at least one worker, got {workers!r}")
        self._workers = workers
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_end_with_parent,
            initargs=(os.getpid(),))

    @property
    def workers(self) -> int:
        return self._workers

    def __enter__(self) -> "CryptoPool":
        # start every worker now (a submit starts one only when none is idle), so calls are not slowed by it
        futures = [self._live().submit(_ready) for _ in range(self._workers)]
        for future in futures:
            future.result(timeout=120)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _live(self) -> ProcessPoolExecutor:
        if self._executor is None:
            raise RuntimeError("this CryptoPool is closed")
        return self._executor

    def split(self, count: int, chunks: int | None = None) -> list[tuple[int, int]]:
        """[start, stop) ranges cutting `count` items into about `chunks` (default: CHUNKS_PER_WORKER per
        worker) near-equal parts of at least MIN_CHUNK items."""
        wanted = chunks if chunks is not None else self._workers * CHUNKS_PER_WORKER
        parts = max(1, min(wanted, count // MIN_CHUNK))
        bounds = [count * i // parts for i in range(parts + 1)]
        return list(zip(bounds[:-1], bounds[1:]))

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        """function(*args) in a worker; the caller goes on and collects the result later."""
        return self._live().submit(function, *args)

    def map(self, function: Callable[..., Any], arguments: list[tuple]) -> list[Any]:
        """[function(*args) for args in arguments], computed by the workers, in order."""
        executor = self._live()
        futures = [executor.submit(function, *args) for args in arguments]
        return [future.result() for future in futures]
