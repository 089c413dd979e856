"""Pack the rows of a float matrix into words when, and only when, every entry is ±1.

A training step does not know in advance whether a binary layer's input is ±1: it is
after ``Sign`` with a sign pair, or when a fully binary net gets binarized data, but not
with a soft forward quantizer (PC++'s ``F`` during annealing, for instance). The packed
training forward therefore packs *and* checks in one pass: :func:`pack_pm1_rows` writes
the words (layout and zero pad bits of ``bitpack``) and reports whether all entries were
exactly -1 or +1. When they were not, the words are garbage and the caller takes the
float path, so the check costs one pass over data the packing reads anyway.

The word loop is branch-free (``bad`` is or-ed, not tested), so LLVM vectorises the
64 comparisons of a word; measured ~25 µs for a 512 x 256 float32 matrix here, against
~400 µs for the float32 product it replaces.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["all_pm1", "pack_pm1_rows"]


@njit(cache=True)
def _pack_rows(x, words):
    """Pack rows of ``x`` (any float layout) into ``words``; return True iff all ±1."""
    n, d = x.shape
    full = d // 64
    bad = False
    for i in range(n):
        for w in range(full):
            word = np.uint64(0)
            base = w * 64
            for b in range(64):
                v = x[i, base + b]
                bad |= (v != 1.0) & (v != -1.0)
                word |= np.uint64(v > 0) << np.uint64(b)
            words[i, w] = word
        if full < words.shape[1]:   # the last, partial word; its pad bits stay 0
            word = np.uint64(0)
            base = full * 64
            for b in range(d - base):
                v = x[i, base + b]
                bad |= (v != 1.0) & (v != -1.0)
                word |= np.uint64(v > 0) << np.uint64(b)
            words[i, full] = word
    return not bad


def pack_pm1_rows(x: np.ndarray, words: np.ndarray) -> bool:
    """Pack each row of ``x`` into ``words`` if every entry of ``x`` is ±1.

    Parameters
    ----------
    x : numpy.ndarray of float32 or float64, shape (N, D)
        Any memory layout.
    words : numpy.ndarray of uint64, shape (N, ceil(D / 64))
        Written in place (C-contiguous): row ``i`` packed along ``D`` as ``pack_bits``
        does, bit 1 for +1, pad bits 0.

    Returns
    -------
    bool
        True when every entry was exactly -1 or +1 (then ``words`` is the packing of
        ``x``); False otherwise (then ``words`` holds nothing meaningful).

    Raises
    ------
    TypeError
        If ``x`` is not a float array or ``words`` not a C-contiguous uint64 array.
    ValueError
        If the shapes do not match.

    Examples
    --------
    >>> import numpy as np
    >>> words = np.empty((1, 1), np.uint64)
    >>> pack_pm1_rows(np.array([[1.0, -1.0, 1.0]]), words), int(words[0, 0])
    (True, 5)
    >>> pack_pm1_rows(np.array([[1.0, 0.5, 1.0]]), words)
    False
    """
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float32, np.float64):
        raise TypeError(f"x must be a float32 or float64 array, got {getattr(x, 'dtype', x)!r}")
    if (not isinstance(words, np.ndarray) or words.dtype != np.uint64
            or not words.flags.c_contiguous or not words.flags.writeable):
        raise TypeError("words must be a writeable C-contiguous uint64 array")
    if x.ndim != 2 or words.shape != (x.shape[0], -(-x.shape[1] // 64)):
        raise ValueError(f"words must have shape (N, ceil(D / 64)) for x of shape "
                         f"{x.shape}, got {words.shape}")
    return bool(_pack_rows(x, words))


@njit(cache=True)
def _all_pm1(flat):
    bad = False
    for v in flat:
        bad |= (v != 1.0) & (v != -1.0)
    return not bad


def all_pm1(x: np.ndarray) -> bool:
    """Whether every entry of a float array is exactly -1 or +1 (one pass, no temporary).

    Parameters
    ----------
    x : numpy.ndarray of float32 or float64, any shape and layout

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> all_pm1(np.array([[1.0, -1.0]])), all_pm1(np.array([1.0, 0.0]))
    (True, False)
    """
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float32, np.float64):
        raise TypeError(f"x must be a float32 or float64 array, got {getattr(x, 'dtype', x)!r}")
    return bool(_all_pm1(x.reshape(-1)))
