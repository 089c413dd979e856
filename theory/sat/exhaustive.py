"""Brute force, the oracle every solver is tested against (docs/theory.md, "Trust nothing").

NumPy only (no PySAT). Codes ``c = 0 .. 2^n - 1`` enumerate the weights, ``w_i(c) = +1``
iff bit ``i`` of ``c`` is 1 (bit 1 = +1, as in ``bnncore.kernels.bitpack``). Each block of
codes is scored with one matrix product; ties keep the lowest code.

Examples
--------
>>> res = brute_force([[1, 1]], [-1])
>>> res.n_consistent, res.w_best.tolist(), res.n_evaluated
(1, [-1, -1], 4)
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .instances import HiddenInstance, PerceptronInstance, RegressionInstance, as_instance
from .result import BruteResult


def codes_to_weights(codes: np.ndarray, n: int) -> np.ndarray:
    """±1 rows (int64) of the codes: ``w_i = +1`` iff bit ``i`` is set.

    Examples
    --------
    >>> codes_to_weights(np.array([0, 1, 6]), 3).tolist()
    [[-1, -1, -1], [1, -1, -1], [-1, 1, 1]]
    """
    return ((codes[:, None] >> np.arange(n)) & 1) * 2 - 1


def _check_limit(n: int, max_n: int) -> None:
    if n > max_n:
        raise ValueError(f"brute force enumerates 2^n weight vectors; n={n} gives "
                         f"{2 ** n} candidates, above max_n={max_n}. Raise max_n or use "
                         f"solve / max_accuracy")


def _half_scores(X: np.ndarray, lo: int, hi: int, codes: np.ndarray, dtype) -> np.ndarray:
    """``<w, x_j>`` restricted to features ``lo..hi-1`` for the weight codes ``codes``."""
    return codes_to_weights(codes, hi - lo).astype(dtype) @ X[:, lo:hi].T.astype(dtype)


def _perceptron(inst: PerceptronInstance, max_n: int, chunk: int,
                keep_solutions: bool) -> BruteResult:
    """Meet in the middle: the scores of the low ``h`` weights (``2^h`` codes) and of each
    block of high codes are computed once and added by broadcasting, so a block of codes
    costs one addition and one comparison per sample."""
    n, m = inst.n, inst.m
    _check_limit(n, max_n)
    bound = int(np.abs(inst.X).sum(axis=1, initial=0).max(initial=0)) + abs(inst.theta)
    dtype = np.int32 if bound < 2 ** 31 else np.int64
    h = min(n, 12, chunk.bit_length() - 1)           # low weights: bits 0..h-1 of the code
    low = _half_scores(inst.X, 0, h, np.arange(2 ** h), dtype)            # (2^h, m)
    per_block = max(1, chunk >> h)                   # high codes per block
    positive = inst.y == 1
    best, best_code, n_best, consistent, sols = -1, 0, 0, 0, []
    for start in range(0, 2 ** (n - h), per_block):
        high_codes = np.arange(start, min(start + per_block, 2 ** (n - h)))
        high = _half_scores(inst.X, h, n, high_codes, dtype)             # (b, m)
        correct = ((high[:, None, :] + low[None, :, :] >= inst.theta) == positive).sum(axis=2)
        correct = correct.ravel()                    # row-major = increasing code
        i = int(np.argmax(correct))
        if correct[i] > best:
            best, best_code, n_best = int(correct[i]), (start << h) + i, 0
        n_best += int((correct == best).sum())
        full = correct == m
        consistent += int(full.sum())
        if keep_solutions and full.any():
            sols.append(codes_to_weights((start << h) + np.flatnonzero(full), n).astype(np.int8))
    w_best = codes_to_weights(np.array([best_code]), n)[0].astype(np.int8)
    solutions = None
    if keep_solutions:
        solutions = np.concatenate(sols) if sols else np.zeros((0, n), np.int8)
    return BruteResult(m - best, w_best, consistent, 2 ** n, m, solutions, None, n_best)


def _hidden(inst: HiddenInstance, max_bits: int) -> BruteResult:
    """``"weights"``: ordered ``H``-tuples of rows, lexicographically, every ``v`` code
    vectorised. ``"majority"``: multisets of rows (the majority ignores unit order)."""
    n, H, weights = inst.n, inst.H, inst.output == "weights"
    bits = H * n + (H if weights else 0)
    if bits > max_bits:
        raise ValueError(f"brute force over a hidden layer enumerates 2^{bits} bit patterns "
                         f"(H*n{' + H' if weights else ''} = {bits}), above "
                         f"max_bits={max_bits}. Raise max_bits or use solve / max_accuracy")
    rows = codes_to_weights(np.arange(2 ** n, dtype=np.int64), n)
    hout = np.where(rows @ inst.X.T >= 0, 1, -1)      # hout[r, j] = sign(<row_r, x_j>)
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
    R = 2 ** n
    count = R ** H * 2 ** H if weights else math.comb(R + H - 1, H)
    return BruteResult(best_errors, rows[list(best_units)].astype(np.int8), None, count,
                       inst.m, None, V[best_c].astype(np.int8) if weights else None)


def _regression(inst: RegressionInstance, max_n: int, chunk: int) -> BruteResult:
    """``min ||X w - t||^2`` over ``{-1,+1}^n``, its first minimiser and how many reach it."""
    n = inst.n
    _check_limit(n, max_n)
    best, best_code, count = None, 0, 0
    for start in range(0, 2 ** n, chunk):
        codes = np.arange(start, min(start + chunk, 2 ** n), dtype=np.int64)
        r = codes_to_weights(codes, n) @ inst.X.T - inst.t
        f = (r * r).sum(axis=1)
        i = int(np.argmin(f))
        if best is None or int(f[i]) < best:
            best, best_code, count = int(f[i]), int(codes[i]), 0
        count += int((f == best).sum())
    w = codes_to_weights(np.array([best_code]), n)[0].astype(np.int8)
    return BruteResult(best, w, count if best == 0 else 0, 2 ** n, inst.m, None, None, count)


def brute_force(X: object, y: object = None, hidden: int | None = None, *, max_n: int = 20,
                theta: int = 0, integer_features: bool = False, output: str = "majority",
                chunk: int = 65536, keep_solutions: bool = False,
                max_bits: int = 20) -> BruteResult:
    """Score every binary weight vector: fewest errors, first minimiser, consistent count.

    Parameters
    ----------
    X, y : arrays, or an instance with ``y=None``
        A ``RegressionInstance`` gives the smallest ``||X w - t||^2`` as ``min_errors``.
    hidden : int, optional
        One hidden layer of ``hidden`` sign units (``n_consistent`` is then ``None``).
    max_n : int
        Refuse ``n > max_n`` (``ValueError``): the work doubles with every weight.
    theta, integer_features, output
        As in ``theory.sat.solve``.
    chunk : int
        At most this many codes per block (does not change the result).
    keep_solutions : bool
        One neuron: also return every consistent weight vector, in code order.
    max_bits : int
        Hidden layer: refuse more than ``2^max_bits`` bit patterns.

    Examples
    --------
    >>> res = brute_force([[1, 1]], [1], keep_solutions=True)
    >>> res.n_consistent, res.max_accuracy, res.solutions.tolist()
    (3, 1.0, [[1, -1], [-1, 1], [1, 1]])
    """
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be an int >= 1, got {chunk!r}")
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output, regression=True)
    if isinstance(inst, RegressionInstance):
        return _regression(inst, max_n, chunk)
    if isinstance(inst, HiddenInstance):
        return _hidden(inst, max_bits)
    return _perceptron(inst, max_n, chunk, keep_solutions)
