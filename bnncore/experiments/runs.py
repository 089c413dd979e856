"""One run, measured the same way for every method: :func:`run`.

A method only says how its trainer and data are built (:mod:`.setups`); training, flip
and write counting, accuracy, sizes and speed are measured here for all of them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import numpy as np

from ..flips import FlipCounter, binary_tensors
from ..train import predict
from .setups import setup_for
from .spec import RunResult, RunSpec


def best_time(fn: Callable[[], object], repeats: int = 5) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn`` (the caller warms it up first)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def packed_speedup(model, X: np.ndarray, repeats: int = 5) -> float | None:
    """Inference throughput of ``model.pack()`` over ``model.unpack()`` on ``X`` (best of N).

    None when the model has no binary weights, or when its packed path does not apply
    (XNOR-popcount needs ±1 inputs at every binary layer; FSG's task model feeds real
    pixels to its first one).
    """
    if not binary_tensors(model):
        return None
    packed = copy.deepcopy(model).pack()
    try:
        packed.forward(X[:8], training=False)
    except ValueError:
        return None
    reference = copy.deepcopy(model).unpack()

    def best(m):
        m.forward(X[:8], training=False)
        return best_time(lambda: predict(m, X), repeats)

    return best(reference) / best(packed)


def run(spec: RunSpec) -> RunResult:
    """Build ``spec.method``'s trainer, train it, measure it.

    Every method is measured by the same code: sign flips and parameter writes per step
    with :class:`~bnncore.flips.FlipCounter`, accuracy with ``trainer.evaluate``, sizes
    with ``model.nbytes``. A top-level function, so process pools and Dask can ship it.

    Examples
    --------
    >>> r = run(RunSpec("ste", epochs=1, measure_speed=False))
    >>> r.method, r.steps, 0.5 < r.test_accuracy <= 1.0
    ('ste', 22, True)
    """
    if not isinstance(spec, RunSpec):
        raise TypeError(f"spec must be a RunSpec, got {type(spec).__name__}")
    start = time.perf_counter()
    trainer, train, test = setup_for(spec.method)(spec)
    counter = FlipCounter()
    hist = trainer.fit(train, val=test, epochs=spec.epochs, batch_size=spec.batch_size,
                       seed=spec.seed, callbacks=[counter], progress=False)
    model = trainer.model
    scores = trainer.evaluate(test)
    speed = packed_speedup(model, test[0]) if spec.measure_speed else None
    return RunResult(method=spec.method, seed=spec.seed,
                     test_accuracy=float(scores["accuracy"]), test_loss=float(scores["loss"]),
                     sign_flips=counter.total, weight_writes=counter.writes,
                     n_binary_weights=counter.n_weights, steps=counter.steps,
                     seconds_per_epoch=float(np.mean(hist.seconds)),
                     wall_seconds=time.perf_counter() - start,
                     float_bytes=model.nbytes(packed=False),
                     packed_bytes=model.nbytes(packed=True),
                     packed_speedup=speed, history=hist.to_dict())


def run_one_thread(spec: RunSpec) -> RunResult:
    """:func:`run` with one BLAS thread and one Numba thread, whatever the backend.

    With several runs in parallel the cores are already full, and a multi-threaded BLAS
    in each oversubscribes them (measured several times slower on 2 cores); the models
    are small enough that one thread is also the faster choice serially. The same thread
    set-up for serial, process and Dask runs keeps their results bit-identical (a
    reduction split over threads may sum in another order).
    """
    import numba
    from threadpoolctl import threadpool_limits

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            return run(spec)
    finally:
        numba.set_num_threads(previous)
