"""One set of input checks for every public entry point (scikit-learn's ``check_array`` idea).

Every error names the argument it is about, so that a user reading
``ValueError: x must be ±1, found 0 at (3, 5)`` knows what to fix without a debugger.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def _first_index(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_array(
    x: object,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    dtype: str = "float",
    allow_empty: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Validate an array argument and return it as an ``np.ndarray``.

    Parameters
    ----------
    x : object
        The value to check. Lists are converted; objects and strings are refused.
    name : str
        The argument's name, used in every error message.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    dtype : {"float", "numeric", "any"}
        ``"float"`` keeps float32/float64 and converts other real numeric input to float64;
        ``"numeric"`` accepts any bool/int/float array unchanged; ``"any"`` skips the check.
    allow_empty : bool
        Whether an array with zero elements is acceptable.
    finite : bool
        Refuse NaN and infinities.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    TypeError
        If ``x`` is not array-like or has a non-numeric dtype.
    ValueError
        If the shape is wrong, the array is empty, or it holds non-finite values.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}")
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}") from exc
    if dtype != "any":
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name} must have a real numeric dtype, got {x.dtype}")
        if dtype == "float" and x.dtype not in FLOAT_DTYPES:
            x = x.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimensions, got shape {x.shape}")
    if not allow_empty and x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if finite and x.dtype.kind == "f":
        check_finite(x, name)
    return x


def all_finite(x: np.ndarray) -> bool:
    """Whether every entry of a float array is finite, without a temporary array.

    ``max`` propagates NaN and ``+inf``, ``min`` propagates NaN and ``-inf``, so both are
    finite exactly when every entry is. Two reductions and no ``isfinite`` mask keep the
    checks of a training step allocation-free.
    """
    if x.dtype.kind != "f" or x.size == 0:
        return True
    return bool(np.isfinite(np.maximum.reduce(x, axis=None))
                and np.isfinite(np.minimum.reduce(x, axis=None)))


def check_finite(x: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` naming ``name`` and the first non-finite position."""
    if all_finite(x):
        return
    bad = ~np.isfinite(x)
    idx = _first_index(bad)
    raise ValueError(f"{name} contains non-finite values (first at {idx}: {x[idx]})")


def check_pm1(x: object, name: str) -> np.ndarray:
    """Check that every entry of ``x`` is exactly -1 or +1; return it as an array.

    Raises
    ------
    TypeError
        If ``x`` is not a numeric array.
    ValueError
        ``"x must be ±1, found 0 at (3, 5)"`` for the first offending entry (NaN included).
    """
    x = check_array(x, name, dtype="numeric", allow_empty=True, finite=False)
    if x.dtype == np.bool_:
        raise TypeError(f"{name} must hold ±1 values, got a bool array (use 2*b - 1)")
    bad = (x != 1) & (x != -1)
    if bad.any():
        idx = _first_index(bad)
        raise ValueError(f"{name} must be ±1, found {x[idx]} at {idx}")
    return x


def check_shape(x: np.ndarray, shape: tuple, name: str) -> None:
    """Check ``x.shape`` against ``shape``, where ``None`` entries match any size."""
    ok = x.ndim == len(shape) and all(s is None or s == d for s, d in zip(shape, x.shape))
    if not ok:
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {x.shape}")


def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """Turn ``None``, an int seed or a ``Generator`` into a ``Generator``."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        raise TypeError(f"{name} must be None, an int or a numpy.random.Generator, got {rng!r}")
    if isinstance(rng, numbers.Integral) and rng < 0:
        raise ValueError(f"{name} must be a non-negative int seed, got {rng}")
    return np.random.default_rng(rng)


def check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, refusing bools, floats and values below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float that is > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return value


def check_labels(y: object, n_samples: int, n_classes: int | None, name: str = "y") -> np.ndarray:
    """Check integer class labels (N,) in ``[0, n_classes)`` and return them as int64."""
    y = check_array(y, name, ndim=1, dtype="numeric", allow_empty=True)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{name} must hold integer class labels")
    elif y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} labels but there are {n_samples} samples")
    y = y.astype(np.int64, copy=False)
    if y.size and (y.min() < 0 or (n_classes is not None and y.max() >= n_classes)):
        bad = y[(y < 0) | ((y >= n_classes) if n_classes is not None else False)][0]
        raise ValueError(f"{name} has label {bad} out of range [0, {n_classes})")
    return y
