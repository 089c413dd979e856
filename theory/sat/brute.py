"""Exhaustive search, the oracle every solver is tested against (sat_theory.md §8).

NumPy only (no PySAT). Codes ``c = 0 .. 2^n - 1`` enumerate the weights, ``w_i(c) = +1``
iff bit ``i`` of ``c`` is 1 (bit 1 = +1, as in ``bnncore.kernels.bitpack``). Each chunk of
codes is scored with one matrix product; ties keep the lowest code.

Examples
--------
>>> from theory.sat.instances import make_perceptron_instance
>>> res = brute_force_perceptron(make_perceptron_instance([[1, 1]], [-1]))
>>> res.n_consistent, res.w_best.tolist(), res.n_evaluated
(1, [-1, -1], 4)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ._record import ArrayRecord
from .instances import HiddenInstance, PerceptronInstance, RegressionInstance


@dataclass(frozen=True, eq=False)
class BruteResult(ArrayRecord):
    """Exhaustive answer: fewest errors, the first minimiser, the consistent count.

    Attributes
    ----------
    min_errors : int
    w_best : numpy.ndarray
        int8, the lowest-code minimiser ``(n,)`` (hidden: ``W`` of shape ``(H, n)``).
    n_consistent : int or None
        Weight vectors with zero errors (``None`` for hidden networks).
    n_evaluated : int
        Candidates scored (``2^n`` for the perceptron).
    m : int
    solutions : numpy.ndarray or None
        The consistent weight vectors ``(n_consistent, n)`` in code order, when requested.
    v : numpy.ndarray or None
        Hidden ``"weights"`` mode: the output weights of the minimiser.
    """

    min_errors: int
    w_best: np.ndarray
    n_consistent: int | None
    n_evaluated: int
    m: int
    solutions: np.ndarray | None = None
    v: np.ndarray | None = None

    @property
    def n_correct(self) -> int:
        return self.m - self.min_errors

    @property
    def max_accuracy(self) -> float:
        return self.n_correct / self.m if self.m else 1.0


def _check_limit(n: int, max_n: int, what: str = "n") -> None:
    if n > max_n:
        raise ValueError(f"brute force enumerates 2^{what} weight vectors; {what}={n} gives "
                         f"{2 ** n} candidates, above max_n={max_n}. Raise max_n or use "
                         f"solve_consistency / solve_max_accuracy")


def codes_to_weights(codes: np.ndarray, n: int) -> np.ndarray:
    """±1 rows (int64) of the codes: ``w_i = +1`` iff bit ``i`` is set.

    Examples
    --------
    >>> codes_to_weights(np.array([0, 1, 6]), 3).tolist()
    [[-1, -1, -1], [1, -1, -1], [-1, 1, 1]]
    """
    return ((codes[:, None] >> np.arange(n)) & 1) * 2 - 1


def _half_scores(X: np.ndarray, lo: int, hi: int, codes: np.ndarray, dtype) -> np.ndarray:
    """``<w, x_j>`` restricted to features ``lo..hi-1`` for the weight codes ``codes``."""
    W = codes_to_weights(codes, hi - lo).astype(dtype)
    return W @ X[:, lo:hi].T.astype(dtype)


def brute_force_perceptron(inst: PerceptronInstance, *, max_n: int = 24, chunk: int = 65536,
                           keep_solutions: bool = False) -> BruteResult:
    """Score all ``2^n`` weight vectors of a perceptron instance.

    Meet in the middle: the scores of the low ``h`` weights (``2^h`` codes) and of each
    block of high codes are computed once and added by broadcasting, so a block of codes
    costs one addition and one comparison per sample.

    Parameters
    ----------
    inst : PerceptronInstance
    max_n : int
        Refuse ``n > max_n`` (``ValueError``): the work doubles with every weight.
    chunk : int
        At most this many codes per block (does not change the result).
    keep_solutions : bool
        Also return every consistent weight vector (``solutions``), in code order.
    """
    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"inst must be a PerceptronInstance, got {type(inst).__name__}")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be an int >= 1, got {chunk!r}")
    n, m = inst.n, inst.m
    _check_limit(n, max_n)
    bound = int(np.abs(inst.X).sum(axis=1, initial=0).max(initial=0)) + abs(inst.theta)
    dtype = np.int32 if bound < 2 ** 31 else np.int64
    h = min(n, 12, chunk.bit_length() - 1)           # low weights: bits 0..h-1 of the code
    low = _half_scores(inst.X, 0, h, np.arange(2 ** h), dtype)            # (2^h, m)
    per_block = max(1, chunk >> h)                   # high codes per block
    positive = inst.y == 1
    best, best_code, consistent, sols = -1, 0, 0, []
    for start in range(0, 2 ** (n - h), per_block):
        high_codes = np.arange(start, min(start + per_block, 2 ** (n - h)))
        high = _half_scores(inst.X, h, n, high_codes, dtype)             # (b, m)
        correct = ((high[:, None, :] + low[None, :, :] >= inst.theta) == positive).sum(axis=2)
        correct = correct.ravel()                    # row-major = increasing code
        i = int(np.argmax(correct))
        if correct[i] > best:
            best, best_code = int(correct[i]), (start << h) + i
        full = correct == m
        consistent += int(full.sum())
        if keep_solutions and full.any():
            sols.append(codes_to_weights((start << h) + np.flatnonzero(full), n).astype(np.int8))
    w_best = codes_to_weights(np.array([best_code]), n)[0].astype(np.int8)
    solutions = None
    if keep_solutions:
        solutions = np.concatenate(sols) if sols else np.zeros((0, n), np.int8)
    return BruteResult(m - best, w_best, consistent, 2 ** n, m, solutions)


def _hidden_outputs(inst: HiddenInstance) -> tuple[np.ndarray, np.ndarray]:
    rows = codes_to_weights(np.arange(2 ** inst.n, dtype=np.int64), inst.n)
    return rows, np.where(rows @ inst.X.T >= 0, 1, -1)   # hout[r, j] = sign(<row_r, x_j>)


def brute_force_hidden(inst: HiddenInstance, *, max_bits: int = 20
                       ) -> tuple[int, np.ndarray, np.ndarray | None]:
    """Fewest errors of a one-hidden-layer network, and the first minimiser ``(W, v)``.

    ``"weights"``: ordered ``H``-tuples of rows, lexicographically, every ``v`` code
    vectorised. ``"majority"``: multisets of rows (the majority ignores unit order).

    Examples
    --------
    >>> import itertools
    >>> from theory.sat.instances import make_hidden_instance
    >>> X = np.array(list(itertools.product([-1, 1], repeat=3))); y = X.prod(axis=1)
    >>> [brute_force_hidden(make_hidden_instance(X, y, H))[0] for H in (1, 2, 3)]
    [2, 2, 0]
    """
    if not isinstance(inst, HiddenInstance):
        raise TypeError(f"inst must be a HiddenInstance, got {type(inst).__name__}")
    n, H, weights = inst.n, inst.H, inst.output == "weights"
    bits = H * n + (H if weights else 0)
    if bits > max_bits:
        raise ValueError(f"brute force over a hidden layer enumerates 2^{bits} bit patterns "
                         f"(H*n{' + H' if weights else ''} = {bits}), above "
                         f"max_bits={max_bits}. Raise max_bits or use solve_hidden")
    rows, hout = _hidden_outputs(inst)
    y = inst.y.astype(np.int64)
    # output codes (C, H): every v for "weights"; the all-ones vector for "majority"
    V = codes_to_weights(np.arange(2 ** H), H) if weights else np.ones((1, H), np.int64)
    prefixes = (itertools.product(range(hout.shape[0]), repeat=H - 1) if weights
                else itertools.combinations_with_replacement(range(hout.shape[0]), H - 1))
    best_errors, best_units, best_c = inst.m + 1, (), 0
    for prefix in prefixes:
        first = prefix[-1] if prefix and not weights else 0   # multisets: nondecreasing
        partial = V[:, :H - 1] @ hout[list(prefix)]                       # (C, m)
        score = partial[None] + V[None, :, H - 1, None] * hout[first:, None, :]
        errors = (np.where(score >= 0, 1, -1) != y).sum(axis=2)           # (rows, C)
        flat = int(np.argmin(errors))   # row-major: last unit first, then v code
        if errors.flat[flat] < best_errors:
            r, best_c = divmod(flat, V.shape[0])
            best_errors, best_units = int(errors.flat[flat]), (*prefix, first + r)
    W = rows[list(best_units)].astype(np.int8)
    return best_errors, W, (V[best_c].astype(np.int8) if weights else None)


def count_hidden_candidates(n: int, H: int, output: str) -> int:
    """How many networks ``brute_force_hidden`` scores (ordered tuples times ``v`` codes,
    or multisets of rows)."""
    R = 2 ** n
    return R ** H * 2 ** H if output == "weights" else math.comb(R + H - 1, H)


def brute_force_regression(inst: RegressionInstance, *, max_n: int = 24,
                           chunk: int = 65536) -> tuple[int, np.ndarray, int]:
    """``(min_f, w_best, n_minimizers)`` of ``f(w) = ||X w - t||^2`` over ``{-1,+1}^n``.

    Examples
    --------
    >>> from theory.sat.instances import make_regression_instance
    >>> brute_force_regression(make_regression_instance([[3, 1, 2]], [0]))
    (0, array([ 1, -1, -1], dtype=int8), 2)
    """
    if not isinstance(inst, RegressionInstance):
        raise TypeError(f"inst must be a RegressionInstance, got {type(inst).__name__}")
    n = inst.n
    _check_limit(n, max_n)
    best, best_code, count = None, 0, 0
    for start in range(0, 2 ** n, chunk):
        codes = np.arange(start, min(start + chunk, 2 ** n), dtype=np.int64)
        r = codes_to_weights(codes, n) @ inst.X.T - inst.t
        f = (r * r).sum(axis=1)
        i = int(np.argmin(f))
        low = int(f[i])
        if best is None or low < best:
            best, best_code, count = low, int(codes[i]), int((f == low).sum())
        elif low == best:
            count += int((f == low).sum())
    return best, codes_to_weights(np.array([best_code]), n)[0].astype(np.int8), count
