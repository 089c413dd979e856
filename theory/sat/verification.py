"""Solver-independent verification of weights (docs/theory.md, section "Trust nothing").

Plain NumPy in int64, with the library's one rule ``sign(0) = +1``. This module imports
only NumPy and the standard library: it must not trust the encoder, the solver or PySAT,
since its job is to catch their mistakes. Every ``"sat"`` or ``"optimal"`` answer of
``theory.sat.solve`` / ``max_accuracy`` is re-checked here before it is returned.

Examples
--------
>>> X = np.array([[1, -1], [-1, -1]]); y = np.array([1, -1])
>>> verify(X, y, [1, 1]), misclassified(X, -y, [1, 1])     # <w, x_0> = 0 predicts +1
(True, array([0, 1]))
"""

from __future__ import annotations

import numbers

import numpy as np

OUTPUTS = ("majority", "weights")


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


def _network(w: object, hidden: object, n: int,
             output: str | None) -> tuple[np.ndarray, np.ndarray | None, str]:
    """``(W, v, output)`` from ``w`` = ``W`` or ``(W, v)`` of a hidden layer of ``hidden``."""
    if isinstance(hidden, bool) or not isinstance(hidden, numbers.Integral):
        raise TypeError(f"hidden must be an int, got {hidden!r}")
    if hidden < 1:
        raise ValueError(f"hidden must be >= 1, got {hidden}")
    W, v = (w[0], w[1]) if isinstance(w, tuple) else (w, None)
    if output is None:
        output = "majority" if v is None else "weights"
    if output not in OUTPUTS:
        raise ValueError(f"output must be 'majority' or 'weights', got {output!r}")
    if output == "weights" and v is None:
        raise ValueError("v is required for output='weights': pass w=(W, v)")
    if output == "majority" and v is not None:
        raise ValueError("v must be None for output='majority': pass w=W")
    W = np.asarray(W)
    if W.shape != (int(hidden), n):
        raise ValueError(f"w must hold W of shape (hidden, n) = ({int(hidden)}, {n}) for "
                         f"hidden={int(hidden)}, got {W.shape}")
    W = _pm1(W, "W", W.shape)
    return W, (None if v is None else _pm1(v, "v", (W.shape[0],))), output


def misclassified(X: object, y: object, w: object, hidden: int | None = None,
                  theta: int = 0, output: str | None = None) -> np.ndarray:
    """Indices of the samples that the binary network ``w`` gets wrong (int64, sorted).

    Parameters
    ----------
    X : array_like (m, n)
        Integer features (±1, or any integers for one neuron).
    y : array_like (m,) of ±1
    w : array_like
        One neuron: ``(n,)`` of ±1, ``pred(x) = +1 iff <w, x> >= theta``. With
        ``hidden=H``: ``W`` of shape ``(H, n)`` (majority output) or a pair ``(W, v)``
        (output weights); ``h = sign(W x)``, then ``sign(sum_k h_k)`` or ``sign(<v, h>)``.
    hidden : int, optional
    theta : int
        One neuron only.
    output : {"majority", "weights"}, optional
        Hidden layer: the output rule; by default inferred from ``w``.

    Examples
    --------
    >>> X = np.array([[1, 1], [-1, -1]]); W = np.array([[1, 1], [1, -1], [-1, 1]])
    >>> misclassified(X, [1, 1], W, hidden=3).tolist()
    []
    """
    X = _integer_array(X, "X", 2)
    m, n = X.shape
    y = _pm1(y, "y", (m,))
    if hidden is None:
        score = X @ _pm1(w, "w", (n,)) - int(theta)
    else:
        W, v, output = _network(w, hidden, n, output)
        h = _sign(X @ W.T)
        score = h.sum(axis=1) if v is None else h @ v
    return np.flatnonzero(_sign(score) != y).astype(np.int64)


def verify(X: object, y: object, w: object, hidden: int | None = None, theta: int = 0,
           output: str | None = None) -> bool:
    """Whether ``w`` classifies every sample correctly (plain NumPy, no solver).

    The arguments are those of :func:`misclassified`.

    Examples
    --------
    >>> verify([[1, -1], [-1, -1]], [1, -1], [1, 1]), verify([[1, 1]], [-1], [1, 1])
    (True, False)
    """
    return misclassified(X, y, w, hidden, theta, output).size == 0


def residual(X: object, t: object, w: object) -> tuple[np.ndarray, int]:
    """Residual ``X w - t`` and its squared norm, in int64 (binary-weight regression).

    Examples
    --------
    >>> residual([[3, 1, 2]], [0], [1, -1, -1])
    (array([0]), 0)
    """
    X = _integer_array(X, "X", 2)
    t = _integer_array(t, "t", 1)
    if t.shape != (X.shape[0],):
        raise ValueError(f"t must have shape ({X.shape[0]},), got {t.shape}")
    r = X @ _pm1(w, "w", (X.shape[1],)) - t
    return r, int(r @ r)
