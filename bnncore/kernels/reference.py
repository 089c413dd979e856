"""Plain NumPy references for the packed kernels: short, readable, and slow.

Tests tie every fast path in ``bnncore.kernels`` to one of these; they are also the
version to read first. They share only the packing convention with the kernels
(``bitpack`` module docstring), none of their code.

Examples
--------
>>> import numpy as np
>>> a = np.array([[1, -1, 1]]); b = np.array([[1, 1, 1], [-1, 1, -1]])
>>> bgemm_reference(pack_bits_reference(a), pack_bits_reference(b), 3).tolist()
[[1, -3]]
>>> matmul_pm1_reference(a, b.T).tolist()
[[1.0, -3.0]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["bgemm_reference", "conv2d_reference", "matmul_pm1_reference", "pack_bits_reference"]


def pack_bits_reference(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Pack ±1 entries along ``axis`` into uint64 words, bit ``k & 63`` of word ``k >> 6``.

    Parameters
    ----------
    a : numpy.ndarray of ±1, any shape
    axis : int

    Returns
    -------
    numpy.ndarray of uint64, shape ``a.shape`` without ``axis`` plus ``(ceil(n / 64),)``
        Pad bits (past the true length ``n``) are 0.

    Examples
    --------
    >>> pack_bits_reference(np.array([1, -1, 1, 1])).tolist()  # bits 0, 2, 3
    [13]
    """
    bits = np.moveaxis(np.asarray(a) > 0, axis, -1)
    n = bits.shape[-1]
    n_words = -(-n // 64)
    padded = np.zeros(bits.shape[:-1] + (64 * n_words,), dtype=np.uint64)
    padded[..., :n] = bits
    weights = np.uint64(1) << np.arange(64, dtype=np.uint64)  # bit k has value 2**k
    # The bits of a word are distinct powers of two, so their sum is their OR.
    return (padded.reshape(bits.shape[:-1] + (n_words, 64)) * weights).sum(axis=-1, dtype=np.uint64)


def bgemm_reference(a_words: np.ndarray, b_words: np.ndarray, k: int) -> np.ndarray:
    """``C[i, j] = k - 2 * popcount(a_i XOR b_j)`` with ``np.bitwise_count``, one row at a time.

    Parameters
    ----------
    a_words : numpy.ndarray of uint64, shape (M, W)
    b_words : numpy.ndarray of uint64, shape (N, W)
    k : int
        True row length in bits (pad bits are 0 in both, so they add no mismatch).

    Returns
    -------
    numpy.ndarray of int32, shape (M, N)

    Examples
    --------
    >>> a = pack_bits_reference(np.array([[1, 1, -1]]))
    >>> bgemm_reference(a, a, 3).tolist()
    [[3]]
    """
    c = np.empty((a_words.shape[0], b_words.shape[0]), dtype=np.int32)
    for i, row in enumerate(a_words):
        mismatches = np.bitwise_count(row ^ b_words).sum(axis=-1, dtype=np.int64)
        c[i] = k - 2 * mismatches
    return c


def matmul_pm1_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` in float64 (exact for ±1 entries while ``K < 2**53``).

    Parameters
    ----------
    a : numpy.ndarray, shape (M, K)
    b : numpy.ndarray, shape (K, N)

    Returns
    -------
    numpy.ndarray of float64, shape (M, N)

    Examples
    --------
    >>> matmul_pm1_reference(np.array([[1, -1]]), np.array([[1], [1]])).tolist()
    [[0.0]]
    """
    return np.asarray(a, dtype=np.float64) @ np.asarray(b, dtype=np.float64)


def conv2d_reference(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Cross-correlation with zero padding (PyTorch ``conv2d``, no bias), float64.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
    w : numpy.ndarray, shape (O, C, kh, kw)
    stride, padding : int

    Returns
    -------
    numpy.ndarray of float64, shape (N, O, Ho, Wo)
        ``Ho = (H + 2 * padding - kh) // stride + 1``, likewise ``Wo``.

    Examples
    --------
    >>> conv2d_reference(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), padding=1)[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho = (xp.shape[2] - kh) // stride + 1
    wo = (xp.shape[3] - kw) // stride + 1
    y = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for r in range(kh):  # one kernel tap at a time: y += w[:, :, r, q] . shifted x
        for q in range(kw):
            patch = xp[:, :, r : r + stride * ho : stride, q : q + stride * wo : stride]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, r, q])
    return y
