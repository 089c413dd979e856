"""Validated training instances for the exact solvers (docs/theory.md, section
"1. Conventions").

Three problems: one binary neuron (:class:`PerceptronInstance`, rows ``X``, labels ``y``,
threshold ``theta``), one hidden layer of sign units (:class:`HiddenInstance`) and
zero-residual regression (:class:`RegressionInstance`). They are only ever built through
the ``make_*`` constructors (or :func:`as_instance`, which every entry point calls), which
validate and copy their inputs: an instance never aliases user memory.

Examples
--------
>>> inst = make_perceptron_instance([[1, -1, 1], [-1, -1, 1]], [1, -1])
>>> inst.n, inst.m, inst.alpha
(3, 2, 0.6666666666666666)
>>> X, y = inst          # an instance unpacks as (X, y)
>>> X.dtype, y.dtype
(dtype('int64'), dtype('int8'))
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from bnncore._validation import check_array, check_int, check_rng

from .result import ArrayRecord

OUTPUTS = ("majority", "weights")
KINDS = ("teacher", "random")


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


class _Shape:
    """``n`` (features) and ``m`` (samples) of an instance with rows ``X``."""

    @property
    def n(self) -> int:
        return int(self.X.shape[1])

    @property
    def m(self) -> int:
        return int(self.X.shape[0])

    @property
    def alpha(self) -> float:
        """``m / n``, the load of the instance."""
        return self.m / self.n


@dataclass(frozen=True, eq=False)
class PerceptronInstance(_Shape, ArrayRecord):
    """One binary neuron: rows ``X`` (m, n) int64, labels ``y`` (m,) int8, ``theta``.

    ``pred(x) = +1 if <w, x> >= theta else -1`` (docs/theory.md, section "1. Conventions").
    Unpacks as ``X, y = inst``.
    """

    X: np.ndarray
    y: np.ndarray
    theta: int = 0
    integer_features: bool = False

    def __iter__(self):
        yield self.X
        yield self.y


@dataclass(frozen=True, eq=False)
class HiddenInstance(_Shape, ArrayRecord):
    """One hidden layer: ±1 rows ``X``, labels ``y``, ``H`` sign units, an output rule."""

    X: np.ndarray
    y: np.ndarray
    H: int
    output: str = "majority"

    def __iter__(self):
        yield self.X
        yield self.y


@dataclass(frozen=True, eq=False)
class RegressionInstance(_Shape, ArrayRecord):
    """Binary-weight regression: integer rows ``X`` (m, n) and integer targets ``t`` (m,)."""

    X: np.ndarray
    t: np.ndarray


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
    """Validate and copy a one-hidden-layer instance (docs/theory.md, "One hidden layer").

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
    """Validate and copy an integer regression instance ``min ||X w - t||^2``.

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


def as_instance(X: object, y: object = None, hidden: int | None = None, *, theta: int = 0,
                integer_features: bool = False, output: str = "majority",
                regression: bool = False):
    """The validated, non-empty instance every entry point works on.

    ``X`` is an array (then ``y`` is required) or a ready instance (then ``y`` is None);
    ``hidden=H`` asks for a one-hidden-layer instance. A ``RegressionInstance`` is accepted
    only where ``regression=True``. An empty instance (``m = 0``) raises ``ValueError``.

    Examples
    --------
    >>> as_instance([[1, -1]], [1], hidden=2).H
    2
    """
    kinds = (PerceptronInstance, HiddenInstance) + ((RegressionInstance,) if regression
                                                     else ())
    if isinstance(X, (PerceptronInstance, HiddenInstance, RegressionInstance)):
        if not isinstance(X, kinds):
            raise TypeError(f"X must be an array or one of {[k.__name__ for k in kinds]}, "
                            f"got {type(X).__name__}")
        if y is not None:
            raise ValueError("y must be None when X is already an instance")
        if hidden is not None and not isinstance(X, PerceptronInstance):
            raise ValueError(f"hidden must be None when X is a {type(X).__name__}")
        inst = X if hidden is None else make_hidden_instance(
            X.X, X.y, check_int(hidden, "hidden", minimum=1), output)
    elif y is None:
        raise ValueError("y is required when X is an array")
    elif hidden is None:
        inst = make_perceptron_instance(X, y, theta, integer_features=integer_features)
    else:
        inst = make_hidden_instance(X, y, check_int(hidden, "hidden", minimum=1), output)
    if inst.m == 0:
        raise ValueError(f"X must not be empty: got shape {inst.X.shape} (an instance needs "
                         f"at least one sample and one feature)")
    return inst


def random_instance(n: int, alpha: float, kind: str = "random",
                    seed: int | list[int] | np.random.Generator = 0) -> PerceptronInstance:
    """Random ±1 data with ``m = max(1, floor(alpha n + 0.5))`` rows; unpacks as ``(X, y)``.

    ``kind="teacher"`` draws a binary teacher ``w*`` and labels ``y = sign(X w*)`` (always
    consistent); ``kind="random"`` draws uniform labels (consistent with high probability
    below the capacity ``alpha_c ~ 0.83``). The draw order is fixed: ``X``, then ``w*`` or
    ``y``, from ``numpy.random.default_rng(seed)`` (``seed``: an int, a list of ints or a
    Generator).

    Examples
    --------
    >>> X, y = random_instance(11, 0.6, "teacher", seed=0)
    >>> X.shape, set(y.tolist()) <= {-1, 1}
    ((7, 11), True)
    """
    n = check_int(n, "n", minimum=1)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha >= 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    if isinstance(seed, (list, tuple)):
        if not seed or any(isinstance(s, bool) or not isinstance(s, numbers.Integral)
                           or s < 0 for s in seed):
            raise TypeError(f"seed must be an int, a list of ints >= 0 or a Generator, "
                            f"got {seed!r}")
        rng = np.random.default_rng([int(s) for s in seed])
    else:
        rng = check_rng(seed, "seed")
    m = max(1, int(np.floor(alpha * n + 0.5)))
    X = (2 * rng.integers(0, 2, (m, n)) - 1).astype(np.int8)
    if kind == "teacher":
        w_star = (2 * rng.integers(0, 2, n) - 1).astype(np.int64)
        # int64: an int8 @ int8 product overflows for n > 127
        y = np.where(X.astype(np.int64) @ w_star >= 0, 1, -1)
    else:
        y = 2 * rng.integers(0, 2, m) - 1
    return make_perceptron_instance(X, y)
