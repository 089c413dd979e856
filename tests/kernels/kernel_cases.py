"""Helpers shared by the kernel tests: random ±1 arrays in several dtypes and memory orders."""

from __future__ import annotations

import numpy as np

DTYPES = (np.int8, np.int64, np.float32, np.float64, np.bool_)
LAYOUTS = ("C", "F", "view")


def pm1_array(shape, seed: int, dtype=np.int8, layout: str = "C") -> np.ndarray:
    """A ±1 array (bool: True/False) of ``shape`` in ``layout``.

    ``"view"`` is a non-contiguous view: every other element of a twice-larger array along
    each axis, reversed along the first axis.
    """
    rng = np.random.default_rng(seed)
    big = tuple(2 * s for s in shape) if layout == "view" else tuple(shape)
    a = rng.choice(np.array([-1, 1], dtype=np.int8), size=big)
    a = a > 0 if dtype is np.bool_ else a.astype(dtype)
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "view":
        view = a[tuple(slice(None, None, 2) for _ in shape)]
        return view[::-1] if view.ndim else view
    return a


def as_pm1(a: np.ndarray) -> np.ndarray:
    """The ±1 values of ``a`` as float64 (bool: True = +1)."""
    return np.where(a, 1.0, -1.0) if a.dtype == np.bool_ else a.astype(np.float64)
