"""The incomplete back end: simulated annealing on the binary perceptron, in Numba.

It can only ever *find* weights: it answers ``"sat"`` (and ``portfolio`` still re-checks the
model with ``verification`` before returning it) or ``"unknown"``; it never proves
anything. docs/theory.md, section "The certified portfolio", says why this method.

The search (one neuron, threshold ``theta``): with ``s_j = y_j x_j`` and the field
``h_j = <w, s_j>``, sample ``j`` is right iff ``h_j >= t_j`` (``t_j = theta`` for
``y_j = +1``, ``1 - theta`` for ``y_j = -1``; this is ``sign(0) = +1``). The energy is the
total deficit ``E(w) = sum_j max(0, t_j - h_j)``: zero exactly on the solutions, and unlike
the count of wrong samples it still points downhill between them. A restart draws a random
``w`` and runs ``sweeps * n`` Metropolis single-weight flips at a temperature that falls
geometrically from ``T0`` to ``T1`` (both scaled by the mean ``|x|``); a flip costs
``O(m)``: the column ``s_{., i}`` updates every field.

Restarts run in batches of ``BATCH`` over ``numba.prange``; each has its own splitmix64
stream seeded from the caller's Generator, and the answer is the lowest-index restart that
reached ``E = 0``. A restart only stops early when a *lower* index already succeeded, so the
answer does not depend on the number of threads: the same seed gives the same ``w`` bit for
bit (unless the time limit cuts the search). The kernels release the GIL; the timer of
``runner`` (the one that interrupts CDCL) sets a stop flag that every restart reads once per
sweep, so a time limit is honoured within one sweep.

Examples
--------
>>> from theory.sat.instances import random_instance
>>> out = anneal(random_instance(41, 0.6, "random", seed=1), seed=0)
>>> out.status, out.restarts >= 1
('sat', True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba as nb
import numpy as np

from bnncore._validation import check_int, check_rng

from .instances import PerceptronInstance
from .runner import _stop, _timer

#: Restarts per parallel batch (fixed, so that results do not depend on the thread count).
BATCH = 4
#: Default schedule length, in sweeps (one sweep = ``n`` proposed flips).
SWEEPS = 1000
#: Restarts tried when neither ``time_limit`` nor ``max_restarts`` bounds the search.
DEFAULT_MAX_RESTARTS = 256


@nb.njit(inline="always")
def _next(state: np.ndarray, k: int) -> np.uint64:
    """splitmix64: advance ``state[k]`` and return 64 random bits."""
    z = state[k] + np.uint64(0x9E3779B97F4A7C15)
    state[k] = z
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True, nogil=True)
def _energy(ST: np.ndarray, t: np.ndarray, w: np.ndarray, h: np.ndarray) -> int:
    """Fill the fields ``h = S w`` and return the total deficit."""
    n, m = ST.shape
    h[:] = 0
    for i in range(n):
        if w[i] > 0:
            for j in range(m):
                h[j] += ST[i, j]
        else:
            for j in range(m):
                h[j] -= ST[i, j]
    E = 0
    for j in range(m):
        if h[j] < t[j]:
            E += t[j] - h[j]
    return E


@nb.njit(cache=True, nogil=True)
def _restart(ST, t, w, h, state, k, sweeps, T0, T1, index, found, stop) -> int:
    """One annealing run from ``w`` (updated in place); returns the final energy."""
    n, m = ST.shape
    E = _energy(ST, t, w, h)
    steps = sweeps * n
    ratio = (T1 / T0) ** (1.0 / max(1, steps - 1))
    T = T0
    for step in range(steps):
        if E == 0:
            return 0
        if step % n == 0 and (stop[0] != 0 or found[0] < index):
            return E
        i = np.int64(_next(state, k) % np.uint64(n))
        d = -2 * w[i]                          # h_j changes by d * s_ji
        dE = 0
        for j in range(m):
            hj, tj = h[j], t[j]
            hn = hj + d * ST[i, j]
            dE += (tj - hn if hn < tj else 0) - (tj - hj if hj < tj else 0)
        u = (_next(state, k) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
        if dE <= 0 or u < np.exp(-dE / T):
            w[i] = -w[i]
            for j in range(m):
                h[j] += d * ST[i, j]
            E += dE
        T *= ratio
    return E


@nb.njit(cache=True, nogil=True, parallel=True)
def _batch(ST, t, W, seeds, sweeps, T0, T1, first, found, stop) -> np.ndarray:
    """Anneal every row of ``W`` (restarts ``first + r``); energies ``(R,)``."""
    R = W.shape[0]
    m = ST.shape[1]
    E = np.empty(R, np.int64)
    state = seeds.copy()
    for r in nb.prange(R):
        h = np.empty(m, np.int64)
        E[r] = _restart(ST, t, W[r], h, state, r, sweeps, T0, T1, first + r, found, stop)
        if E[r] == 0 and found[0] > first + r:
            found[0] = first + r               # a benign race: only lower indices win
    return E


@dataclass(frozen=True)
class AnnealOutcome:
    """What the incomplete search found: ``status`` ``"sat"`` (with ``w``) or ``"unknown"``.

    ``w`` is int8 ``(n,)`` and not yet verified (``portfolio`` does that); ``restarts`` counts
    the restarts run, ``best_energy`` is the smallest total deficit seen.
    """

    status: str
    w: np.ndarray | None
    restarts: int
    best_energy: int
    seconds: float
    reason: str | None


def problem_arrays(inst: PerceptronInstance) -> tuple[np.ndarray, np.ndarray]:
    """``S^T`` (n, m) with ``S = y x`` and the targets ``t`` (m,), both int64.

    Examples
    --------
    >>> from theory.sat.instances import make_perceptron_instance
    >>> ST, t = problem_arrays(make_perceptron_instance([[1, -1], [1, 1]], [1, -1]))
    >>> ST.tolist(), t.tolist()
    ([[1, -1], [-1, -1]], [0, 1])
    """
    y = inst.y.astype(np.int64)
    ST = np.ascontiguousarray((inst.X * y[:, None]).T)
    t = np.where(y == 1, inst.theta, 1 - inst.theta).astype(np.int64)
    return ST, t


def anneal(inst: PerceptronInstance, *, seed: int | np.random.Generator = 0,
           time_limit: float | None = None, max_restarts: int | None = None,
           sweeps: int = SWEEPS) -> AnnealOutcome:
    """Search weights of one neuron by simulated annealing with restarts.

    Parameters
    ----------
    inst : PerceptronInstance
        ±1 or integer features, any ``theta``.
    seed : int or numpy.random.Generator
        Draws each restart's start ``w`` and its stream, in restart order.
    time_limit : float, optional
        Seconds; the search stops within one sweep of it.
    max_restarts : int, optional
        At most this many restarts (rounded up to a multiple of ``BATCH``); with neither
        bound, ``DEFAULT_MAX_RESTARTS``. An unsatisfiable instance always ends here or at
        the time limit, as ``"unknown"``.
    sweeps : int
        Schedule length of one restart, in sweeps of ``n`` proposed flips.

    Returns
    -------
    AnnealOutcome
    """
    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"the incomplete search handles one neuron (a PerceptronInstance), "
                        f"got {type(inst).__name__}")
    rng = check_rng(seed, "seed")
    sweeps = check_int(sweeps, "sweeps", minimum=1)
    if max_restarts is None and time_limit is None:
        max_restarts = DEFAULT_MAX_RESTARTS
    if max_restarts is not None:
        max_restarts = check_int(max_restarts, "max_restarts", minimum=1)
    ST, t = problem_arrays(inst)
    n = inst.n
    scale = float(np.abs(inst.X).mean())
    T0, T1 = 2.0 * scale, 0.05 * scale
    stop = np.zeros(1, np.int64)
    start = time.perf_counter()
    timer, _ = _timer(time_limit, lambda: stop.fill(1))
    restarts, best = 0, None
    try:
        while max_restarts is None or restarts < max_restarts:
            W = (2 * rng.integers(0, 2, (BATCH, n)) - 1).astype(np.int64)
            seeds = rng.integers(0, 2 ** 63, BATCH, dtype=np.int64).astype(np.uint64)
            found = np.array([restarts + BATCH], np.int64)
            E = _batch(ST, t, W, seeds, sweeps, T0, T1, restarts, found, stop)
            best = int(E.min()) if best is None else min(best, int(E.min()))
            hits = np.flatnonzero(E == 0)
            if hits.size:                      # E == 0 is a solution, cut short or not
                k = int(hits[0])
                return AnnealOutcome("sat", W[k].astype(np.int8), restarts + k + 1, 0,
                                     time.perf_counter() - start, None)
            restarts += BATCH
            if stop[0]:
                break
    finally:
        _stop(timer)
    seconds = time.perf_counter() - start
    why = (f"time limit {time_limit:g} s reached" if stop[0] else
           f"no solution in {restarts} restarts")
    return AnnealOutcome("unknown", None, restarts, best if best is not None else -1,
                         seconds, f"incomplete search: {why} (it cannot prove unsat)")
