"""Tiling shared by the binary GEMM kernels (``gemm``, ``gemm_csa`` and ``gemm_short``).

The ``(M, N)`` output is cut into ``TILE_M x TILE_N`` tiles, numbered row-major; each
tile is one task of a ``prange`` loop (or of a serial loop for small products, see
:func:`serial_is_faster`). A task counts mismatches into a small per-tile array and then
stores ``K - 2 * count`` (:func:`_store`). Words are taken ``TILE_WORDS`` at a time (cache
blocking). :func:`out_array` checks (or makes) the output every entry point writes.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit

TILE_M = 32  # rows of a per task
TILE_N = 64  # rows of b per task
TILE_WORDS = 256  # words per cache block (16384 bits)
# Word pairs (M * N * words) below which one thread is used. Waking the pool costs more than
# it saves for small products, and in a packed model the BLAS layers' spinning workers
# hold the other core right after each float layer: the digits MLP's packed inference
# (450 x 256 x 4 words) ran at 0.16x of the float path with 1 << 16 and 1.36x with 1 << 20,
# while the 3 x 4096 binary MLP was unchanged (benchmarks/bench_inference.py).
SERIAL_WORK = 1 << 20


@njit(cache=True, inline="always")
def _n_tiles(m, n):
    """Number of ``TILE_M x TILE_N`` tiles covering an ``(m, n)`` output."""
    return ((m + TILE_M - 1) // TILE_M) * ((n + TILE_N - 1) // TILE_N)


@njit(cache=True, inline="always")
def _tile_origin(t, n):
    """First row and column of tile number ``t`` of an output with ``n`` columns."""
    tiles_n = (n + TILE_N - 1) // TILE_N
    return (t // tiles_n) * TILE_M, (t % tiles_n) * TILE_N


@njit(cache=True, inline="always")
def _store(acc, k, i_lo, j_lo, out):
    """Write ``k - 2 * count`` for the tile's mismatch counts ``acc`` into ``out``."""
    m, n = out.shape
    for ii in range(min(TILE_M, m - i_lo)):
        for jj in range(min(TILE_N, n - j_lo)):
            out[i_lo + ii, j_lo + jj] = k - 2 * acc[ii, jj]


def serial_is_faster(m: int, n: int, n_words: int) -> bool:
    """Whether an ``(m, n)`` product over ``n_words`` words should run on one thread.

    Small products run on the calling thread: waking the thread pool costs a few
    microseconds at best, and on a busy or virtualised machine single wake-ups were
    measured at several milliseconds, hundreds of times the work of a small layer.
    """
    one_tile = m <= TILE_M and n <= TILE_N
    return one_tile or m * n * n_words < SERIAL_WORK or numba.get_num_threads() == 1


def out_array(out: np.ndarray | None, m: int, n: int) -> np.ndarray:
    """``out`` checked as a kernel's ``(m, n)`` output, or a new int32 array if None.

    An ``out`` must be C-contiguous int32, float32 or float64 (the counts are exact as
    floats while ``|K| <= 2**24`` for float32): a caller that needs floats, such as a
    training forward, then neither allocates nor converts.
    """
    if out is None:
        return np.empty((m, n), dtype=np.int32)
    if (not isinstance(out, np.ndarray) or out.shape != (m, n)
            or out.dtype not in (np.int32, np.float32, np.float64)
            or not out.flags.c_contiguous):
        raise ValueError(f"out must be a C-contiguous int32/float32/float64 array of shape "
                         f"{(m, n)}, got {getattr(out, 'dtype', type(out).__name__)} "
                         f"{getattr(out, 'shape', '')}")
    return out
