"""Solver-independent verification of weights (shared/spec/sat_theory.md §9).

Plain NumPy in int64. This module imports only NumPy and the standard library: it must
not trust the encoder, the solver or PySAT, since its job is to catch their mistakes.

Examples
--------
>>> X = np.array([[1, -1], [-1, -1]]); y = np.array([1, -1])
>>> verify_perceptron(X, y, np.array([1, 1]))          # <w, x_0> = 0 predicts +1
Verification(ok=True, n_errors=0, wrong=array([], dtype=int64))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Verification:
    """``ok`` iff ``n_errors == 0``; ``wrong`` are the misclassified sample indices."""

    ok: bool
    n_errors: int
    wrong: np.ndarray

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verification):
            return NotImplemented
        return (self.ok == other.ok and self.n_errors == other.n_errors
                and np.array_equal(self.wrong, other.wrong))

    __hash__ = None


def _integer_array(a: object, name: str, ndim: int) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf" or arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D integer array, got "
                         f"dtype {arr.dtype} and shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise ValueError(f"{name} must hold integer values")
    return arr.astype(np.int64)


def _pm1(a: object, name: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf" or arr.shape != shape:
        raise ValueError(f"{name} must be a ±1 array of shape {shape}, got dtype {arr.dtype} "
                         f"and shape {arr.shape}")
    bad = (arr != 1) & (arr != -1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be ±1, found {arr[idx]} at {idx}")
    return arr.astype(np.int64)


def _sign(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, 1, -1)   # sign(0) = +1, the library's one rule


def _result(pred: np.ndarray, y: np.ndarray) -> Verification:
    wrong = np.flatnonzero(pred != y).astype(np.int64)
    return Verification(wrong.size == 0, int(wrong.size), wrong)


def verify_perceptron(X: object, y: object, w: object, theta: int = 0) -> Verification:
    """Check ``y_j * pred(x_j) = +1`` with ``pred(x) = +1 iff <w, x> >= theta``.

    ``X`` may hold any integers (integer-feature instances); ``w`` must be ±1 of length n.
    """
    X = _integer_array(X, "X", 2)
    m, n = X.shape
    y = _pm1(y, "y", (m,))
    w = _pm1(w, "w", (n,))
    return _result(np.where(X @ w >= int(theta), 1, -1), y)


def verify_hidden(X: object, y: object, W: object, v: object | None = None,
                  output: str | None = None) -> Verification:
    """Check the one-hidden-layer network ``h = sign(W x)``, then the output rule.

    ``output="majority"``: ``sign(sum_k h_k)``; ``output="weights"``: ``sign(<v, h>)``.
    ``output=None`` means ``"weights"`` when ``v`` is given, else ``"majority"``.

    Examples
    --------
    >>> X = np.array([[1, 1], [-1, -1]]); W = np.array([[1, 1], [1, -1], [-1, 1]])
    >>> verify_hidden(X, np.array([1, 1]), W).ok
    True
    """
    if output is None:
        output = "majority" if v is None else "weights"
    if output not in ("majority", "weights"):
        raise ValueError(f"output must be 'majority' or 'weights', got {output!r}")
    X = _integer_array(X, "X", 2)
    m, n = X.shape
    y = _pm1(y, "y", (m,))
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[1:] != (n,) or W.shape[0] < 1:
        raise ValueError(f"W must have shape (H, {n}) with H >= 1, got {W.shape}")
    W = _pm1(W, "W", W.shape)
    h = _sign(X @ W.T)
    if output == "weights":
        if v is None:
            raise ValueError("v is required for output='weights'")
        score = h @ _pm1(v, "v", (W.shape[0],))
    else:
        if v is not None:
            raise ValueError("v must be None for output='majority'")
        score = h.sum(axis=1)
    return _result(_sign(score), y)


def verify_regression(X: object, t: object, w: object) -> tuple[np.ndarray, int]:
    """Residual ``X w - t`` and its squared norm, in int64.

    Examples
    --------
    >>> verify_regression([[3, 1, 2]], [0], [1, -1, -1])
    (array([0]), 0)
    """
    X = _integer_array(X, "X", 2)
    t = _integer_array(t, "t", 1)
    if t.shape != (X.shape[0],):
        raise ValueError(f"t must have shape ({X.shape[0]},), got {t.shape}")
    r = X @ _pm1(w, "w", (X.shape[1],)) - t
    return r, int(r @ r)


def verify_partition(a: Sequence[int], subset: Sequence[int]) -> bool:
    """Whether ``subset`` (distinct indices into ``a``) and its complement have equal sums.

    Examples
    --------
    >>> verify_partition([3, 1, 1, 2, 2, 1], [0, 3]), verify_partition([1, 2], [0])
    (True, False)
    """
    values = [int(x) for x in a]
    idx = [int(i) for i in subset]
    if len(set(idx)) != len(idx) or any(not 0 <= i < len(values) for i in idx):
        return False
    inside = sum(values[i] for i in idx)
    return 2 * inside == sum(values)
