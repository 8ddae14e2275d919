"""Elementwise work on every core: fixed blocks of rows handed to a small thread pool.

BLAS runs NumPy's matmuls on every core, but each elementwise pass (GELU, softmax,
LayerNorm, the AdamW update) runs on one: on two cores a training step left a third
of its time to a single core. NumPy releases the GIL inside its ufuncs, so plain
Python threads can run them on different blocks of the same arrays at once::

    from tinykd import parallel
    parallel.for_blocks(n, parallel.BLOCK, lambda s: np.exp(x[s], out=y[s]))   # x, y: (n,)

The results do not depend on the number of threads. The rows are cut into blocks
of a *fixed* size (never "one block per thread"), every block is computed by the
same code whichever thread runs it, and a reduction over blocks (a gradient summed
over rows) adds the blocks' partial sums in block order. ``--threads 1`` and
``--threads 2`` give the same weights, bit for bit (tests/test_parallel.py).

One switch sets both pools: :func:`set_threads` sizes this module's pool and, through
threadpoolctl, the BLAS library's. The default is every core this process may use.
On CuPy the GPU does the elementwise work: :func:`for_blocks` then calls ``work`` once
with a single block of all n (the callers keep one code path).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

from tinykd import backend

__all__ = ["BLOCK", "available_cores", "threads", "set_threads", "blas_limit", "for_blocks", "block_slices",
           "rows_per_block"]

# Elements of one array in a block: 512 KB of float32. A block is the unit of work a thread takes.
# Smaller blocks stay in a core's cache but make NumPy calls so short (a few microseconds)
# that the threads queue for the GIL between them; at this size the AdamW update runs
# 1.7x faster on two threads than on one (benchmarks/README.md).
BLOCK = 131072


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                      # macOS, Windows: no affinity call
        return os.cpu_count() or 1


_threads = available_cores()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_blas_limits = None                             # threadpoolctl's handle, kept so the limit holds
_controller: ThreadpoolController | None = None  # threadpoolctl's view of the loaded BLAS, made on first use


def threads() -> int:
    """The number of threads elementwise passes use (1: the calling thread alone)."""
    return _threads


def set_threads(n: int | None = None, blas: bool = True) -> int:
    """Use ``n`` threads (None or 0: every available core) for elementwise passes and,
    with ``blas=True``, for BLAS (threadpoolctl). Returns the number set."""
    global _threads, _pool, _blas_limits
    n = int(n) if n else available_cores()
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    with _pool_lock:
        if _pool is not None and n != _threads:
            _pool.shutdown(wait=True)
            _pool = None
        _threads = n
    if blas:
        _blas_limits = blas_limit(n)
    return n


def blas_limit(n: int):
    """Hold BLAS to ``n`` threads (threadpoolctl) from now on; as a ``with`` context, until its
    end, when the limit found before comes back (encoding holds it to one thread a batch)."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()     # scans the loaded libraries: once, not per call
    return _controller.limit(limits=n, user_api="blas")


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # the calling thread works too: threads - 1 helpers
            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="tinykd")
        return _pool


def block_slices(n: int, block: int) -> list[slice]:
    """[0, n) cut into slices of ``block`` (the last may be shorter); at least one slice."""
    block = max(1, int(block))
    return [slice(start, min(start + block, n)) for start in range(0, max(n, 1), block)]


def rows_per_block(row_size: int) -> int:
    """Rows of ``row_size`` elements that make one block of about :data:`BLOCK` elements."""
    return max(1, BLOCK // max(1, int(row_size)))


def in_order(work, items) -> Iterator:
    """``work(item)`` for each item, yielded in the items' order, computed on :func:`threads` threads
    (a few items ahead of the one yielded): for independent pieces of work whose results the caller
    adds up in a fixed order, so that any thread count gives the same sums."""
    items = list(items)
    if _threads <= 1 or len(items) <= 1:
        yield from (work(item) for item in items)
        return
    with ThreadPoolExecutor(max_workers=_threads, thread_name_prefix="tinykd-in-order") as pool:
        ahead = 2 * _threads
        futures = [pool.submit(work, item) for item in items[:ahead]]
        for k in range(len(items)):
            result = futures[k].result()
            futures[k] = None                                       # let the result go once yielded
            if k + ahead < len(items):
                futures.append(pool.submit(work, items[k + ahead]))
            yield result


def for_blocks(n: int, block: int, work) -> list:
    """``[work(s) for s in block_slices(n, block)]``, the blocks spread over the threads.

    The threads take the blocks one at a time from a shared counter, the calling
    thread among them: a thread that the operating system holds back (another
    program on the core) is not waited for, the others take its share. ``work`` must
    only read shared arrays and write the rows of its own slice. The results come
    back in block order; an exception in any block is raised here once all have stopped.
    """
    if _on_gpu():                                # one kernel launch per pass, over everything
        return [work(slice(0, n))]
    slices = block_slices(n, block)
    if _threads == 1 or len(slices) == 1:
        return [work(s) for s in slices]
    results = [None] * len(slices)
    next_block = itertools.count()               # next() on it is atomic under the GIL

    def run() -> None:
        for i in next_block:
            if i >= len(slices):
                return
            results[i] = work(slices[i])

    pool = _get_pool()
    futures = [pool.submit(run) for _ in range(min(_threads, len(slices)) - 1)]
    error = None
    try:
        run()
    except BaseException as err:                 # wait for the others before raising
        error = err
    for future in futures:
        try:
            future.result()
        except BaseException as err:
            error = error or err
    if error is not None:
        raise error
    return results


def _on_gpu() -> bool:
    return backend.is_cupy()
