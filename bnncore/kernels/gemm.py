"""XNOR-popcount GEMM on packed ±1 rows.

For ±1 rows ``a`` and ``b`` of length ``K`` packed by :func:`pack_bits` (pad bits 0, see
``bitpack``), ``dot(a, b) = K - 2 * popcount(a XOR b)``. :func:`bgemm` evaluates that for
every pair of rows of two packed matrices; :func:`binary_matmul` wraps it as ``A @ B``.

How the kernel is organised
---------------------------
- Tasks: the ``(M, N)`` output is cut into tiles of ``TILE_M x TILE_N``; tiles are spread
  over threads with ``prange`` (threads: ``numba.set_num_threads`` or
  ``NUMBA_NUM_THREADS``). Tiling both dimensions keeps both cores busy when ``M`` is small.
  Products under ``SERIAL_WORK`` word pairs, or of one tile, run a serial copy instead.
- Cache blocking: inside a tile, words are taken ``TILE_WORDS`` at a time, so a block of
  ``TILE_N`` rows of ``b`` (at most ``TILE_N * TILE_WORDS * 8`` bytes = 128 KiB) stays in
  L2 while every row block of ``a`` in the tile passes over it. Counts of a tile add up in
  a small per-task array (``+=`` straight into the large output measured ~15% slower).
- Register blocking: the micro-kernel computes a 4 x 2 block of C at once. Each loaded word
  of ``a`` is used twice and each word of ``b`` four times, and the eight counters live in
  registers. The word loop is contiguous, so LLVM vectorises it (4 words per ``ymm``).

What the assembly shows (``inspect_asm()`` of an uncached copy, Numba 0.68, LLVM 22, on
an AMD EPYC Zen 4; AVX2 code compiled with ``NUMBA_CPU_NAME=znver3
NUMBA_CPU_FEATURES=+avx2``): the hot loop is branch-free and handles 4 words of the 4 x 2
block per trip, in ``ymm`` registers either way (LLVM prefers 256-bit vectors on Zen 4),
after 6 ``vmovdqu`` loads:

- AVX2: for each of the 8 outputs a ``vpxor``, the nibble-lookup popcount (``vpand``,
  ``vpsrlw``, ``vpand``, two ``vpshufb``, ``vpaddb``), ``vpsadbw`` to sum bytes per lane
  and ``vpaddq`` into the counter: 72 vector ops per 2048 bit-MACs, 9 per 256 (81
  instructions per trip).
- AVX-512 VPOPCNTDQ (native here): ``vpxor``, ``vpopcntq``, ``vpaddq`` per output: 24
  ops per 2048 bit-MACs, 3 per 256 (33 instructions per trip).

A scalar ``popcntq`` loop handles leftover words.

Performance (``benchmarks/bench_bgemm.py``, 2 cores of a shared, noisy VM, GMAC/s at
1024x4096x1024; the probe is the same 4 x 2 XOR-popcount loop on L1-resident rows):
natively ~690-730 on one thread and 1300-1500 on two, 13-15x float32 OpenBLAS
(~100), ~60-70% of the probe (~1160 on one thread = 330 bit-MACs per cycle at 3.5 GHz).
With the AVX2 code, ~320 on one thread, ~5.5-6.5x OpenBLAS, ~85 bit-MACs per cycle,
close to the probe (~300): bound by the popcount arithmetic, not by memory. Register
blocks 2x2, 4x2, 4x4, 6x2 and 8x1 measured within 10% of each other, and tile sizes from
16x32 to 128x128 made no difference (only a tiny 16-word tile hurt, -40%).

Choice of kernel (:func:`pick_kernel`, called by :func:`bgemm_words`): on AVX2 targets
without VPOPCNTDQ, products with rows of at least ``CSA_MIN_WORDS`` = 8 words and at least
``CSA_MIN_ROWS`` = 64 rows in each operand go to ``gemm_csa`` (Harley-Seal carry-save
adders, 6.5 vector ops per 256 bit-MACs instead of 9); everything else, and every
product on targets with VPOPCNTDQ, stays here. Measured with the AVX2 code on this Zen 4
(1 thread, best of interleaved runs, CSA / direct): 0.92x at 4 words (512x256x512),
1.14x at 8, 1.04x at 12, 1.11-1.14x at 16, 1.17x at 32, 1.12x at 64 (1024x4096x1024) and
1024 words (256x65536x256); 0.52x at 32x4096x32 (panels of 64 columns, half padding),
1.04x at 64x4096x64, 1.09x at 128x4096x128; on two threads 0.96-1.20x, noisier. So the
gain is real but modest. Natively (VPOPCNTDQ) ``gemm_csa`` runs at 0.6-0.8x from 32 words
on. The ISA test follows what the JIT compiles for (``NUMBA_CPU_NAME`` /
``NUMBA_CPU_FEATURES``, else the host; :func:`jit_target`), not the CPU the process runs
on.

Row tails (``M`` not a multiple of 4, ``N`` odd) reuse the same micro-kernel with the
row index clamped to the last row; the extra counts land in spare rows of the tile's
counter array and are never copied out.
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np
from numba import njit, prange
from numba.core.codegen import get_host_cpu_features

from .._validation import check_array
from ._tiles import SERIAL_WORK as SERIAL_WORK  # re-exported: tests and benchmarks read it
from ._tiles import (
    TILE_M,
    TILE_N,
    TILE_WORDS,
    _n_tiles,
    _store,
    _tile_origin,
    out_array,
    serial_is_faster,
)
from .bitpack import PackedBits, as_bits, pack_bool
from .gemm_csa import bgemm_csa_words
from .gemm_short import bgemm_short_words
from .popcount import _ctpop64

__all__ = ["bgemm", "binary_matmul", "jit_target", "pick_kernel"]

# Products go to the carry-save-adder kernel on AVX2 targets without VPOPCNTDQ when rows
# have at least CSA_MIN_WORDS words and both operands at least CSA_MIN_ROWS rows
# (measured crossovers: see the module docstring).
CSA_MIN_WORDS = 8
CSA_MIN_ROWS = 64
# Rows shorter than CSA_MIN_WORDS words go to the column-vectorised kernel of gemm_short
# (any ISA) when both operands have at least SHORT_MIN_ROWS rows.
SHORT_MIN_ROWS = 128
# LLVM CPU names whose default features include AVX-512 VPOPCNTDQ (used when NUMBA_CPU_NAME
# names one of them and NUMBA_CPU_FEATURES does not say otherwise).
_VPOPCNTDQ_CPUS = frozenset({
    "icelake-client", "icelake-server", "tigerlake", "rocketlake", "sapphirerapids",
    "emeraldrapids", "graniterapids", "graniterapids-d", "diamondrapids", "znver4", "znver5",
    "knm"})



@njit(cache=True, inline="always")
def _micro_4x2(aw, bw, r0, r1, r2, r3, c0, c1, w0, w1):
    """Mismatch counts of rows r0..r3 of aw against rows c0, c1 of bw over words w0:w1.

    All indices are uint64: Numba skips the negative-index wraparound for unsigned
    indices, which would otherwise turn the contiguous loads into scalar gathers and block
    vectorisation. (Slicing rows out first also vectorises, but measured ~15% slower,
    likely from refcounting each view on every call.)
    """
    s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = 0
    for w in range(w0, w1):
        y0 = bw[c0, w]
        y1 = bw[c1, w]
        x = aw[r0, w]
        s00 += _ctpop64(x ^ y0)
        s01 += _ctpop64(x ^ y1)
        x = aw[r1, w]
        s10 += _ctpop64(x ^ y0)
        s11 += _ctpop64(x ^ y1)
        x = aw[r2, w]
        s20 += _ctpop64(x ^ y0)
        s21 += _ctpop64(x ^ y1)
        x = aw[r3, w]
        s30 += _ctpop64(x ^ y0)
        s31 += _ctpop64(x ^ y1)
    return s00, s01, s10, s11, s20, s21, s30, s31


@njit(cache=True, inline="always")
def _tile(aw, bw, i_lo, j_lo, acc):
    """Mismatch counts of the tile starting at (i_lo, j_lo) into acc (TILE_M+3, TILE_N+1)."""
    m, n_words = aw.shape
    n = bw.shape[0]
    rows = min(TILE_M, m - i_lo)
    cols = min(TILE_N, n - j_lo)
    for w0 in range(0, n_words, TILE_WORDS):
        w1 = np.uint64(min(w0 + TILE_WORDS, n_words))
        for ii in range(0, rows, 4):
            i = i_lo + ii
            # Past the last row (or column) the index is clamped: the extra counts land in
            # acc's spare rows/column and are never copied out.
            r0 = np.uint64(i)
            r1 = np.uint64(min(i + 1, m - 1))
            r2 = np.uint64(min(i + 2, m - 1))
            r3 = np.uint64(min(i + 3, m - 1))
            for jj in range(0, cols, 2):
                c0 = np.uint64(j_lo + jj)
                c1 = np.uint64(min(j_lo + jj + 1, n - 1))
                s00, s01, s10, s11, s20, s21, s30, s31 = _micro_4x2(
                    aw, bw, r0, r1, r2, r3, c0, c1, np.uint64(w0), w1
                )
                acc[ii, jj] += s00
                acc[ii, jj + 1] += s01
                acc[ii + 1, jj] += s10
                acc[ii + 1, jj + 1] += s11
                acc[ii + 2, jj] += s20
                acc[ii + 2, jj + 1] += s21
                acc[ii + 3, jj] += s30
                acc[ii + 3, jj + 1] += s31


@njit(cache=True, inline="always")
def _task(aw, bw, k, t, out):
    """Tile number ``t`` of the output: count mismatches, then store ``k - 2 * count``."""
    i_lo, j_lo = _tile_origin(t, out.shape[1])
    # Per-tile counters (L1-resident) rather than += into C: accumulating into the
    # large output array measured ~15% slower.
    acc = np.zeros((TILE_M + 3, TILE_N + 1), dtype=np.int64)
    _tile(aw, bw, i_lo, j_lo, acc)
    _store(acc, k, i_lo, j_lo, out)


@njit(parallel=True, cache=True)
def _bgemm_parallel(aw, bw, k, out):
    """out[i, j] = k - 2 * popcount(aw[i] ^ bw[j]) for C-contiguous uint64 (M, W), (N, W);
    ``out`` is (M, N), int32 or float (Numba compiles one version per dtype)."""
    for t in prange(_n_tiles(aw.shape[0], bw.shape[0])):
        _task(aw, bw, k, t, out)
    return out


@njit(cache=True)
def _bgemm_serial(aw, bw, k, out):
    """Same as ``_bgemm_parallel`` on the calling thread only."""
    for t in range(_n_tiles(aw.shape[0], bw.shape[0])):
        _task(aw, bw, k, t, out)
    return out


@lru_cache(maxsize=1)
def _host_features() -> str:
    return get_host_cpu_features()


def jit_target() -> tuple[str | None, str]:
    """The CPU name (``None``: the host) and LLVM feature string Numba compiles for.

    Follows Numba's own rule: ``numba.config.CPU_FEATURES`` (``NUMBA_CPU_FEATURES``) if
    set, else the host's features; ``numba.config.CPU_NAME`` (``NUMBA_CPU_NAME``).
    """
    features = numba.config.CPU_FEATURES
    return numba.config.CPU_NAME, features if features is not None else _host_features()


def pick_kernel(m: int, n: int, n_words: int, cpu_name: str | None = None,
                features: str | None = None) -> str:
    """Which bgemm kernel is faster for an ``(m, n)`` product of rows of ``n_words`` words.

    Parameters
    ----------
    m, n : int
        Rows of the two packed operands.
    n_words : int
        Words per packed row (``ceil(K / 64)``).
    cpu_name, features : str, optional
        LLVM CPU name and feature string (``"+avx2,-avx512f,..."``); if both are omitted,
        what the JIT targets (:func:`jit_target`).

    Returns
    -------
    str
        ``"csa"`` (``gemm_csa``: carry-save adders, one popcount per 8 words) when the
        target has AVX2 but no AVX-512 VPOPCNTDQ, rows have at least ``CSA_MIN_WORDS``
        words and both operands at least ``CSA_MIN_ROWS`` rows; ``"short"``
        (``gemm_short``: vectorised across columns) for rows under ``CSA_MIN_WORDS``
        words and at least ``SHORT_MIN_ROWS`` rows in both operands, on any target; else
        ``"direct"`` (this module's kernel). With VPOPCNTDQ, ``vpopcntq`` is cheaper than
        the adders; with shorter rows a row holds less than one adder group, and the
        direct kernel's horizontal sums cost more than its popcounts; with fewer rows the
        repacking of an operand into panels, and the panels' 64-column granularity, cost
        more than they save.

    Examples
    --------
    >>> pick_kernel(1024, 1024, 64, "znver3", "+avx2")
    'csa'
    >>> pick_kernel(1024, 1024, 64, "znver4", "+avx2,+avx512f,+avx512vpopcntdq")
    'direct'
    >>> pick_kernel(1, 4096, 64, "znver3", "+avx2")
    'direct'
    >>> pick_kernel(512, 256, 4, "znver4", "+avx2,+avx512f,+avx512vpopcntdq")
    'short'
    """
    if cpu_name is None and features is None:
        cpu_name, features = jit_target()
    flags = set((features or "").split(","))
    vpopcntq = "+avx512vpopcntdq" in flags or (
        cpu_name in _VPOPCNTDQ_CPUS and "-avx512vpopcntdq" not in flags)
    if n_words < CSA_MIN_WORDS:
        return "short" if min(m, n) >= SHORT_MIN_ROWS else "direct"
    big = min(m, n) >= CSA_MIN_ROWS
    return "csa" if "+avx2" in flags and not vpopcntq and big else "direct"


def bgemm_words(aw: np.ndarray, bw: np.ndarray, k: int,
                out: np.ndarray | None = None) -> np.ndarray:
    """``k - 2 * popcount(aw[i] ^ bw[j])`` for word arrays already in kernel form.

    The kernel is chosen by :func:`pick_kernel`: :func:`bgemm_direct_words`,
    ``gemm_short.bgemm_short_words`` or ``gemm_csa.bgemm_csa_words``. ``out`` as in
    :func:`bgemm_direct_words` (the CSA kernel computes into a new array and copies).
    """
    kernel = pick_kernel(aw.shape[0], bw.shape[0], aw.shape[1])
    if kernel == "short":
        return bgemm_short_words(aw, bw, k, out)
    if kernel == "csa":
        c = bgemm_csa_words(aw, bw, k)
        if out is None:
            return c
        np.copyto(out_array(out, *c.shape), c)
        return out
    return bgemm_direct_words(aw, bw, k, out)


def bgemm_direct_words(aw: np.ndarray, bw: np.ndarray, k: int,
                       out: np.ndarray | None = None) -> np.ndarray:
    """This module's kernel (one popcount per word pair), whatever the target.

    ``out``, if given, receives the products (``_tiles.out_array`` says what it may be).
    Small products run on the calling thread (``_tiles.serial_is_faster``).
    """
    m, n = aw.shape[0], bw.shape[0]
    out = out_array(out, m, n)
    if serial_is_faster(m, n, aw.shape[1]):
        return _bgemm_serial(aw, bw, k, out)
    return _bgemm_parallel(aw, bw, k, out)


def kernel_words(words: np.ndarray) -> np.ndarray:
    """``words`` as the kernel's one argument type: C-contiguous and writeable.

    Numba compiles (and caches) a separate kernel for read-only arrays, such as the
    views ``sliding_window_view`` returns; a copy is cheaper than that second compile.
    """
    if words.flags.c_contiguous and words.flags.writeable:
        return words
    return np.array(words, order="C", copy=True)


def _rows(p: object, name: str) -> np.ndarray:
    if not isinstance(p, PackedBits):
        raise TypeError(f"{name} must be a PackedBits (see pack_bits), got {type(p).__name__}")
    if p.words.ndim != 2:
        raise ValueError(f"{name} must be packed from a 2-D array, got shape {p.shape}")
    return kernel_words(p.words)


def bgemm(a: PackedBits, b: PackedBits) -> np.ndarray:
    """Binary GEMM: all dot products between the packed ±1 rows of ``a`` and of ``b``.

    ``C[i, j] = sum_k a[i, k] * b[j, k] = K - 2 * popcount(a_i XOR b_j)``.

    Parameters
    ----------
    a : PackedBits
        ``M`` rows of length ``K``: a 2-D ±1 array packed along its ``K`` axis (``words``
        of shape ``(M, ceil(K / 64))``).
    b : PackedBits
        ``N`` rows of length ``K``, packed the same way.

    Returns
    -------
    numpy.ndarray of int32, shape (M, N)

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a :class:`PackedBits`.
    ValueError
        If they were not packed from 2-D arrays or their ``K`` differ.

    Notes
    -----
    Threads come from Numba: ``numba.set_num_threads(n)`` (or ``NUMBA_NUM_THREADS``).
    Work is split over both ``M`` and ``N``, so either operand may be the larger one.

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.kernels import pack_bits
    >>> a = np.array([[1, -1, 1], [1, 1, 1]])
    >>> b = np.array([[1, 1, 1], [-1, 1, -1]])
    >>> bgemm(pack_bits(a), pack_bits(b)).tolist()
    [[1, -3], [3, -1]]
    """
    aw = _rows(a, "a")
    bw = _rows(b, "b")
    if a.n != b.n:
        raise ValueError(f"a and b must have the same row length K, got {a.n} and {b.n}")
    return bgemm_words(aw, bw, a.n)


def binary_matmul(a: object, b: object) -> np.ndarray:
    """``a @ b`` for ±1 matrices, exactly, through bit packing and :func:`bgemm`.

    Parameters
    ----------
    a : array_like, shape (M, K)
        ±1 entries (int, float or bool with ``True`` = +1), any memory order.
    b : array_like, shape (K, N)
        ±1 entries; packed along axis 0 (its columns are the rows bgemm sees).

    Returns
    -------
    numpy.ndarray of int32, shape (M, N)
        Equal to ``a @ b``.

    Raises
    ------
    TypeError
        If an argument is not a numeric array.
    ValueError
        If an entry is not ±1, an argument is not 2-D, or the inner sizes differ.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, -1], [1, 1]])
    >>> b = np.array([[1, 1, -1], [-1, 1, -1]])
    >>> binary_matmul(a, b).tolist()
    [[2, 0, 0], [0, 2, -2]]
    """
    a = check_array(a, "a", ndim=2, dtype="numeric", allow_empty=True, finite=False)
    b = check_array(b, "b", ndim=2, dtype="numeric", allow_empty=True, finite=False)
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"a and b do not chain: a has shape {a.shape}, b has shape {b.shape}")
    return bgemm(pack_bool(as_bits(a, "a"), 1), pack_bool(as_bits(b, "b"), 0))
