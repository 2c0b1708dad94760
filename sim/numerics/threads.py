"""Optional threads over replicates for the compiled monthly loops (config key ``threads``).

Replicates never interact, and every compiled kernel computes a replicate with the same
operations in the same order whichever replicates it is handed, so splitting the replicate
axis into contiguous chunks, one per thread, gives bit-identical results for any number of
threads (tests/test_reproducibility.py checks it). The kernels release the GIL (numba
``nogil``), as does numpy's exponential on large arrays, so Python threads run them in parallel.

The default is 1 thread: the process's own. More threads only help on idle cores; an ensemble's
arms already run in parallel processes (experiments.ensemble), and on a loaded machine extra
threads compete with them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

MIN_PER_THREAD = 32  # replicates per chunk below which a thread costs more than it saves

_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size < workers:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool, _pool_size = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eurosec"), workers
    return _pool


def chunks(R: int, threads: int) -> list[tuple[int, int]]:
    """Contiguous (lo, hi) replicate ranges, at most ``threads`` of them and none smaller than
    MIN_PER_THREAD replicates (one range for small batches)."""
    k = max(1, min(int(threads), R // MIN_PER_THREAD))
    return [(R * c // k, R * (c + 1) // k) for c in range(k)]


def over_replicates(work: Callable[[int, int], None], R: int, threads: int) -> None:
    """``work(lo, hi)`` for each chunk of the replicates, the first in this thread and the others
    in pool threads at the same time; returns when all are done (an exception in any is raised)."""
    parts = chunks(R, threads)
    if len(parts) == 1:
        work(0, R)
        return
    pool = _executor(len(parts) - 1)
    futures = [pool.submit(work, lo, hi) for lo, hi in parts[1:]]
    try:
        work(*parts[0])
    finally:
        for f in futures:
            f.result()
