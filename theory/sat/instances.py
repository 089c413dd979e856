"""Validated training instances for the exact solvers (shared/spec/sat_theory.md §2).

The dataclasses are only ever built through the ``make_*`` constructors, which validate and
copy their inputs: an instance never aliases user memory.

Examples
--------
>>> inst = make_perceptron_instance([[1, -1, 1], [-1, -1, 1]], [1, -1])
>>> inst.n, inst.m, inst.alpha
(3, 2, 0.6666666666666666)
>>> X, y = inst          # the issue's (X, y) form
>>> X.dtype, y.dtype
(dtype('int64'), dtype('int8'))
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from bnncore._validation import check_array, check_int, check_rng

from ._record import ArrayRecord

OUTPUTS = ("majority", "weights")
LABEL_KINDS = ("planted", "random")


def _int_matrix(X: object, name: str, *, pm1: bool) -> np.ndarray:
    X = check_array(X, name, ndim=2, dtype="numeric", allow_empty=True, finite=False)
    if X.dtype == np.bool_:
        raise ValueError(f"{name}: bool arrays are ambiguous; map to -1/+1 explicitly")
    if X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column (n >= 1), got shape {X.shape}")
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X) | (X != np.round(X))
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} must hold integer values, found {X[idx]} at {idx}")
    if pm1:
        bad = (X != 1) & (X != -1)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} must be ±1, found {X[idx]} at {idx}; pass "
                             f"integer_features=True for integer-valued features")
    return X.astype(np.int64)  # a copy: never alias user memory


def _labels(y: object, m: int, name: str = "y") -> np.ndarray:
    y = check_array(y, name, ndim=1, dtype="numeric", allow_empty=True, finite=False)
    if y.dtype == np.bool_:
        raise ValueError(f"{name}: bool arrays are ambiguous; map to -1/+1 explicitly")
    if y.shape[0] != m:
        raise ValueError(f"shape mismatch: X has m={m} rows but {name} has {y.shape[0]} entries")
    bad = (y != 1) & (y != -1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        hint = "; use 2*y-1" if np.all((y == 0) | (y == 1)) else ""
        raise ValueError(f"{name} must hold labels ±1, found {y[i]} at index {i}{hint}")
    return y.astype(np.int8)


def check_theta(theta: object) -> int:
    """An integer threshold (NumPy integers accepted, bool refused): ``TypeError``."""
    if isinstance(theta, (bool, np.bool_)) or not isinstance(theta, numbers.Integral):
        raise TypeError(f"theta must be an int, got {theta!r}")
    return int(theta)


@dataclass(frozen=True, eq=False)
class PerceptronInstance(ArrayRecord):
    """Problem (a)/(b): rows ``X`` (m, n) int64, labels ``y`` (m,) int8, threshold ``theta``.

    The prediction rule is ``pred(x) = +1 if <w, x> >= theta else -1`` (sat_theory.md §1).
    Unpacks as ``X, y = inst``.
    """

    X: np.ndarray
    y: np.ndarray
    theta: int = 0
    integer_features: bool = False

    @property
    def n(self) -> int:
        return int(self.X.shape[1])

    @property
    def m(self) -> int:
        return int(self.X.shape[0])

    @property
    def alpha(self) -> float:
        return self.m / self.n

    def __iter__(self):
        yield self.X
        yield self.y


@dataclass(frozen=True, eq=False)
class HiddenInstance(ArrayRecord):
    """Problem (c): ±1 rows ``X``, labels ``y``, ``H`` hidden sign units, an output rule."""

    X: np.ndarray
    y: np.ndarray
    H: int
    output: str = "majority"

    @property
    def n(self) -> int:
        return int(self.X.shape[1])

    @property
    def m(self) -> int:
        return int(self.X.shape[0])

    def __iter__(self):
        yield self.X
        yield self.y


@dataclass(frozen=True, eq=False)
class RegressionInstance(ArrayRecord):
    """Problem (d): integer rows ``X`` (m, n) and integer targets ``t`` (m,)."""

    X: np.ndarray
    t: np.ndarray

    @property
    def n(self) -> int:
        return int(self.X.shape[1])

    @property
    def m(self) -> int:
        return int(self.X.shape[0])


def make_perceptron_instance(X: object, y: object, theta: int = 0, *,
                             integer_features: bool = False) -> PerceptronInstance:
    """Validate and copy ``(X, y)`` into a ``PerceptronInstance``.

    Parameters
    ----------
    X : array_like, shape (m, n)
        ±1 entries, or any integers with ``integer_features=True``. ``m = 0`` is allowed.
    y : array_like, shape (m,)
        Labels ±1.
    theta : int
        The threshold: ``pred(x) = +1`` iff ``<w, x> >= theta`` (a bias ``b`` is ``-b``).
    integer_features : bool
        Accept integer features (the PARTITION reduction uses them).

    Raises
    ------
    ValueError
        Entries or labels outside {-1, +1}, bool arrays, non-integral floats, shape mismatch.
    TypeError
        ``theta`` is not an int.

    Examples
    --------
    >>> make_perceptron_instance([[1, 0]], [1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X must be ±1, found 0 at (0, 1); pass integer_features=True ...
    """
    theta = check_theta(theta)
    X = _int_matrix(X, "X", pm1=not integer_features)
    y = _labels(y, X.shape[0])
    return PerceptronInstance(X, y, theta, bool(integer_features))


def make_hidden_instance(X: object, y: object, H: int,
                         output: str = "majority") -> HiddenInstance:
    """Validate and copy a one-hidden-layer instance (sat_theory.md §5).

    Examples
    --------
    >>> make_hidden_instance([[1, 1]], [1], 2, output="weights").H
    2
    """
    H = check_int(H, "H", minimum=1)
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {list(OUTPUTS)}, got {output!r}")
    X = _int_matrix(X, "X", pm1=True)
    y = _labels(y, X.shape[0])
    return HiddenInstance(X, y, H, output)


def make_regression_instance(X: object, t: object) -> RegressionInstance:
    """Validate and copy an integer regression instance ``min ||X w - t||^2`` (§6).

    Examples
    --------
    >>> make_regression_instance([[3, 1, 2]], [0]).t
    array([0])
    """
    X = _int_matrix(X, "X", pm1=False)
    t = check_array(t, "t", ndim=1, dtype="numeric", allow_empty=True, finite=False)
    if t.dtype == np.bool_ or (t.dtype.kind == "f" and not np.all(np.isfinite(t)
                                                                    & (t == np.round(t)))):
        raise ValueError("t must hold integer targets")
    if t.shape[0] != X.shape[0]:
        raise ValueError(f"shape mismatch: X has m={X.shape[0]} rows but t has "
                         f"{t.shape[0]} entries")
    return RegressionInstance(X, t.astype(np.int64))


def random_perceptron_instance(n: int, alpha: float, labels: str = "random",
                               rng: object = None
                               ) -> tuple[PerceptronInstance, np.ndarray | None]:
    """Draw ``m = max(1, floor(alpha n + 0.5))`` random ±1 rows and their labels.

    ``labels="planted"`` draws a teacher ``w*`` and labels ``y = sign(X w*)`` (returned);
    ``labels="random"`` draws uniform ±1 labels (``None`` is returned for ``w*``). The draw
    order is fixed: ``X``, then ``w*`` or ``y``.

    Examples
    --------
    >>> inst, w_star = random_perceptron_instance(9, 0.6, "planted", 0)
    >>> inst.m, bool(((inst.X @ w_star >= 0) * 2 - 1 == inst.y).all())
    (5, True)
    """
    n = check_int(n, "n", minimum=1)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha >= 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    if labels not in LABEL_KINDS:
        raise ValueError(f"labels must be one of {list(LABEL_KINDS)}, got {labels!r}")
    rng = check_rng(rng)
    m = max(1, int(np.floor(alpha * n + 0.5)))
    X = (2 * rng.integers(0, 2, (m, n)) - 1).astype(np.int8)
    w_star = None
    if labels == "planted":
        w_star = (2 * rng.integers(0, 2, n) - 1).astype(np.int8)
        # int64: an int8 @ int8 product overflows for n > 127
        y = np.where(X.astype(np.int64) @ w_star.astype(np.int64) >= 0, 1, -1)
    else:
        y = 2 * rng.integers(0, 2, m) - 1
    return make_perceptron_instance(X, y), w_star
