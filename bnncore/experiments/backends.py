"""Where the runs of a grid execute: this process, local processes, or a Dask cluster.

Each backend is a generator of ``(index, result)`` pairs in completion order; the caller
stores every result as it arrives (:func:`bnncore.experiments.grid.run_grid`). Closing the
generator early (an exception, Ctrl-C) cancels what has not started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from .._validation import check_int


def serial(fn: Callable, specs: Sequence) -> Iterator[tuple[int, object]]:
    """Run ``fn(spec)`` for each spec in this process, in order."""
    for i, spec in enumerate(specs):
        yield i, fn(spec)


def processes(fn: Callable, specs: Sequence, jobs: int) -> Iterator[tuple[int, object]]:
    """Run ``fn(spec)`` in ``jobs`` local worker processes (``spawn``, not ``fork``: a
    forked child of a process whose thread pools already run may deadlock)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    jobs = check_int(jobs, "jobs", minimum=1)
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        futures = {pool.submit(fn, spec): i for i, spec in enumerate(specs)}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def import_distributed():
    """``dask.distributed``, or an ImportError naming the extra to install."""
    try:
        import dask.distributed as distributed
    except ImportError as exc:
        raise ImportError("running on a Dask cluster needs dask.distributed: "
                          "pip install 'bnncore[cluster]'") from exc
    return distributed


def dask(fn: Callable, specs: Sequence, scheduler: str) -> Iterator[tuple[int, object]]:
    """Run ``fn(spec)`` on the Dask cluster whose scheduler listens at ``scheduler``.

    Every worker needs bnncore installed (the same version: records check it). Results
    come back to this process, which stores them, so workers need no shared disk.
    """
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValueError(f"scheduler must be an address like 'tcp://127.0.0.1:8786', "
                         f"got {scheduler!r}")
    distributed = import_distributed()
    client = distributed.Client(scheduler, set_as_default=False, timeout="30s")
    try:
        with client.as_current():
            futures = client.map(fn, list(specs), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for future in distributed.as_completed(futures):
                yield index[future.key], future.result()
    finally:
        client.close()
