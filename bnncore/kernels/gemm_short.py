"""XNOR-popcount GEMM for short rows: vectorised across output columns.

Same contract as :func:`bnncore.kernels.gemm.bgemm_words` (``C[i, j] = K - 2 *
popcount(a_i XOR b_j)`` on packed rows, pad bits 0); ``gemm.bgemm_words`` calls
:func:`bgemm_short_words` where it is the faster kernel (``gemm.pick_kernel``).

Why
---
The direct kernel vectorises along the words of a row: 4 words per ``ymm``, eight
counters of a 4 x 2 register block, and a horizontal sum of each counter vector at the
end of the row. With rows of a few words (a hidden layer of 256 units is 4 words) the
word loop is a single vector trip, and the setup and the eight horizontal sums cost more
than the popcounts. Here the lanes of a vector are four *columns* instead, as in
``gemm_csa``: the ``b`` operand is repacked into the same flat panels
(``gemm_csa.panels``: ``TILE_N`` rows interleaved word by word), and for each row of ``a``
and each word ``w`` the inner loop over the panel's 64 columns adds
``popcount(a[i, w] ^ panel[w, j])`` into a 64-entry counter array (L1). That loop is
contiguous with a constant trip count, so LLVM vectorises it (``vpopcntq`` with AVX-512
VPOPCNTDQ, the nibble lookup on AVX2), and there is no horizontal sum at all.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._tiles import TILE_M, TILE_N, _n_tiles, _tile_origin, out_array, serial_is_faster
from .gemm_csa import panels
from .popcount import _ctpop64

__all__ = ["bgemm_short_words"]


@njit(cache=True, inline="always")
def _task(aw, bp, k, t, out):
    """Tile ``t``: rows ``i_lo..`` of ``aw`` against panel ``j_lo // TILE_N`` of ``bp``."""
    m, n = out.shape
    n_words = aw.shape[1]
    i_lo, j_lo = _tile_origin(t, n)
    panel = bp[j_lo // TILE_N]
    acc = np.empty(TILE_N, dtype=np.int64)
    for ii in range(min(TILE_M, m - i_lo)):
        r = i_lo + ii
        acc[:] = 0
        for w in range(n_words):
            x = aw[r, w]
            base = np.uint64(w * TILE_N)
            for j in range(TILE_N):
                acc[j] += _ctpop64(x ^ panel[base + np.uint64(j)])
        for jj in range(min(TILE_N, n - j_lo)):
            out[r, j_lo + jj] = k - 2 * acc[jj]


@njit(parallel=True, cache=True)
def _bgemm_short_parallel(aw, bp, k, out):
    for t in prange(_n_tiles(out.shape[0], out.shape[1])):
        _task(aw, bp, k, t, out)
    return out


@njit(cache=True)
def _bgemm_short_serial(aw, bp, k, out):
    for t in range(_n_tiles(out.shape[0], out.shape[1])):
        _task(aw, bp, k, t, out)
    return out


def bgemm_short_words(aw: np.ndarray, bw: np.ndarray, k: int,
                      out: np.ndarray | None = None) -> np.ndarray:
    """``k - 2 * popcount(aw[i] ^ bw[j])`` through the column-vectorised kernel.

    Parameters
    ----------
    aw, bw : numpy.ndarray of uint64, shapes (M, W) and (N, W)
        Packed rows, C-contiguous and writeable (``gemm.kernel_words``); ``bw`` is
        repacked into panels here (a copy of ``N * W`` words).
    k : int
        Row length in bits.
    out : numpy.ndarray, optional
        C-contiguous ``(M, N)`` int32, float32 or float64 array to write into.

    Returns
    -------
    numpy.ndarray, shape (M, N)
        ``out``, or a new int32 array.

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.kernels import pack_bits
    >>> a, b = np.array([[1, -1, 1]]), np.array([[1, 1, 1], [-1, 1, -1]])
    >>> bgemm_short_words(pack_bits(a).words, pack_bits(b).words, 3).tolist()
    [[1, -3]]
    """
    m, n = aw.shape[0], bw.shape[0]
    out = out_array(out, m, n)
    bp = panels(bw)
    if serial_is_faster(m, n, aw.shape[1]):
        return _bgemm_short_serial(aw, bp, k, out)
    return _bgemm_short_parallel(aw, bp, k, out)
