"""XNOR-popcount GEMM with Harley-Seal carry-save adders, for AVX2 CPUs.

Same contract as :func:`bnncore.kernels.gemm.bgemm_words` (``C[i, j] = K - 2 *
popcount(a_i XOR b_j)`` on packed rows, pad bits 0); :func:`bgemm_csa_words` is the entry
point and ``gemm.bgemm_words`` calls it where it is the faster kernel (``gemm.pick_kernel``).

Why
---
Without AVX-512 VPOPCNTDQ, LLVM lowers a vectorised ``ctpop`` to the nibble lookup: 7
vector ops per 256 bits, 9 per 256 bit-MACs with the XOR and the add. A carry-save adder
(full adder on whole words: ``sum = a ^ b ^ c``, ``carry = (a & b) | (c & (a ^ b))``, 5
ops) adds three bit-vectors into two without counting anything. Harley-Seal keeps running
vectors ``ones``, ``twos``, ``fours`` per output (bit ``b`` of the count in each
position) and feeds them ``GROUP_WORDS`` = 8 words at a time through 7 adders; only the
carry of weight 8 is popcounted: per 8 words, 8 XORs + 35 adder ops + one popcount.

Layout: vectorising across outputs, not words
---------------------------------------------
A row of ``K = 4096`` bits is only 64 words, 16 ``ymm`` vectors: vectorising along the
words (4 words per ``ymm``) leaves one or two groups per output, so every output pays a
full flush (the popcounts of the state) and the state never pays off. So the four lanes
of a ``ymm`` hold four different *outputs* instead: word ``w`` of row ``a_i`` (broadcast)
XOR word ``w`` of four rows of ``b``. For that, one operand is repacked as panels
(:func:`panels`): ``TILE_N`` rows interleaved word by word, so word ``w`` of consecutive
columns is contiguous, each panel flat (``W * TILE_N`` words) so that the words of a group
sit at constant offsets (a 2-D panel's runtime stride cost a scalar ``addq`` per word).
The inner loop runs over the tile's 64 columns (constant trip count, no tail) and LLVM's
loop vectoriser turns it into 16 trips of 4 columns. The state of each column sits in a
small ``(3, TILE_N)`` array (3 loads + 3 stores per 8 words, cheap next to ~50 ALU ops),
so it is carried across all groups of a cache block and flushed (3 weighted popcounts)
once per row and block: at K = 4096 once per 8 groups, from 16384 bits on once per 32.
Carrying it across blocks would need it for every row of the tile (``TILE_M x 3 x
TILE_N`` words, 48 KiB) to save under 2% of the ops. Panels matter: with ``b`` merely
transposed, the words of a group are ``N * 8`` bytes apart (8 KiB at N = 1024), all in
the same L1 sets; that version ran at half speed. The smaller operand is the one repacked
(``C = (B A^T)^T`` when ``M < N``; the copy costs ~0.85 ns per word, 0.2 ms for 256 rows
of 1024 words); with fewer than 64 rows most panel columns would be padding, hence
``gemm.CSA_MIN_ROWS``.

What the assembly shows (``inspect_asm()`` of an uncached copy, Numba 0.68, LLVM 22)
---------------------------------------------------------------------------------
- AVX2 (``NUMBA_CPU_NAME=znver3 NUMBA_CPU_FEATURES=+avx2``): the hot loop is all ``ymm``,
  one trip = 8 words x 4 columns = 2048 bit-MACs, 64 instructions: 8 ``vpxor`` with a
  memory operand (the panel words) against broadcast ``a`` words held in registers, 15
  more ``vpxor`` (one is the zero for ``vpsadbw``), 16 ``vpand`` and 7 ``vpor`` (the 7
  adders and the lookup masks), one nibble-lookup popcount (``vpand``, ``vpsrlw``,
  ``vpand``, 2 ``vpshufb``, ``vpaddb``, ``vpsadbw``), ``vpsllq`` and ``vpaddq`` into the
  counter: ~52 vector ALU ops = **6.5 per 256 bit-MACs** (direct kernel: 9), no
  ``vpopcntq``, no ``zmm``. 8 ``vmovdqu``: state and counter loads and stores and a
  single ``rsp``-relative reload (a lookup constant); no other spills.
- Natively (Zen 4, AVX-512): ``zmm``, 8 columns per trip, 49 instructions: 22 ``vpxorq``,
  7 ``vpandq``, 7 ``vpternlogq`` (LLVM fuses part of each adder), one ``vpopcntq``: ~39
  ops per 4096 bit-MACs, but each ``zmm`` op takes two 256-bit pipe slots on Zen 4, ~5
  ``ymm``-equivalents per 256 against 3 for the direct kernel (``vpxor``, ``vpopcntq``,
  ``vpaddq`` in ``ymm``).

At 6.5 against 9 ops the adders could give ~1.4x; measured (AVX2 code on this Zen 4, one
thread, ~3.5 GHz) they give 1.1-1.17x: ~350-390 GMAC/s = 100-110 bit-MACs per cycle,
~2.8 vector ALU ops per cycle where the direct kernel sustains ~3.5. The adder chain
through ``ones`` is serial, and a shallower (Dadda) tree of the same adders measured the
same, so the limit is not that chain alone; not resolved.

Variants measured (AVX2 code, 1 thread, GMAC/s; direct kernel ~320 at 1024x4096x1024,
~340 at 256x65536x256; interleaved best-of runs on a shared 2-core VM, +-5%):

- word-vectorised stripes (the row cut into 8-32 stripes, one CSA tree per vector of 4
  words, no carried state), register blocks 1x1, 1x2, 2x1, 2x2, 4x1, 4x2, groups of
  4-32 words: 190-290. The flush of 4-5 popcounts per group leaves 7.7-8.7 ops per 256
  in the 1x1 loop; 8-270 ``rsp`` spills per trip above 1x1; at K = 4096 a group of 32
  leaves 2-word stripes, shorter than LLVM's vector loop (22-56).
- column-vectorised, ``b`` transposed but not in panels: 100-160 (L1 set conflicts).
- column-vectorised in panels, groups of 16 words (4 state vectors, 15 adders; 124
  instructions per trip, 11 spill reloads): 325-355 at K = 4096, 340-385 at K = 65536.
- the same with groups of 8 (this module): 345-355 at K = 4096, 355-390 at K = 65536.
- two rows of ``a`` per call (sharing panel loads): LLVM no longer vectorised the column
  loop (scalar ``popcntq``), ~100.
- two independent column halves per trip (to overlap the adder chains): more spills, no
  gain; Dadda tree instead of Harley-Seal's chain: same; cache blocks of 128, 512 or
  1024 words instead of 256: within noise.
- natively (AVX-512): this module 0.6-0.8x of the direct kernel from 32 words on.

Nothing here compiles at import time; every kernel is compiled on first call and cached.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._tiles import TILE_M, TILE_N, TILE_WORDS, _n_tiles, _store, _tile_origin, serial_is_faster
from .popcount import _ctpop64

__all__ = ["GROUP_WORDS", "bgemm_csa_words", "panels"]

GROUP_WORDS = 8  # words added through the carry-save adders per popcount


@njit(cache=True, inline="always")
def _csa(a, b, c):
    """Full adder on 64 bit positions: ``(carry, sum)`` of ``a + b + c``."""
    u = a ^ b
    return (a & b) | (u & c), u ^ c


@njit(cache=True, inline="always")
def _x(aw, panel, r, w, j, g):
    """Mismatch word ``w + g`` of row ``r`` of ``aw`` against column ``j`` of the panel."""
    return aw[r, w + np.uint64(g)] ^ panel[(w + np.uint64(g)) * np.uint64(TILE_N) + j]


@njit(cache=True, inline="always")
def _add8(aw, panel, r, w, j, o, t, f):
    """Add the 8 mismatch words ``w .. w+7`` into the state ``(ones, twos, fours)``.

    Returns the new state and the carry of weight 8 (Harley-Seal: 7 adders).
    """
    ta, o = _csa(o, _x(aw, panel, r, w, j, 0), _x(aw, panel, r, w, j, 1))
    tb, o = _csa(o, _x(aw, panel, r, w, j, 2), _x(aw, panel, r, w, j, 3))
    fa, t = _csa(t, ta, tb)
    ta, o = _csa(o, _x(aw, panel, r, w, j, 4), _x(aw, panel, r, w, j, 5))
    tb, o = _csa(o, _x(aw, panel, r, w, j, 6), _x(aw, panel, r, w, j, 7))
    fb, t = _csa(t, ta, tb)
    e, f = _csa(f, fa, fb)
    return o, t, f, e


@njit(cache=True, inline="always")
def _row(aw, panel, r, w0, w1, state, acc, ii):
    """Mismatch counts of row ``r`` of ``aw`` against all panel columns, words w0:w1.

    Indices are uint64 (no negative-index wraparound, which blocks vectorisation). The
    column loops have the constant trip count ``TILE_N``; LLVM vectorises them.
    """
    cols = np.uint64(TILE_N)
    for j in range(cols):
        state[0, j] = 0
        state[1, j] = 0
        state[2, j] = 0
    g1 = w0 + (w1 - w0) // np.uint64(GROUP_WORDS) * np.uint64(GROUP_WORDS)
    for w in range(w0, g1, np.uint64(GROUP_WORDS)):
        for j in range(cols):
            o, t, f, e = _add8(aw, panel, r, w, j, state[0, j], state[1, j], state[2, j])
            state[0, j] = o
            state[1, j] = t
            state[2, j] = f
            acc[ii, j] += 8 * _ctpop64(e)
    for w in range(g1, w1):  # words left over after the last whole group
        for j in range(cols):
            acc[ii, j] += _ctpop64(aw[r, w] ^ panel[w * cols + j])
    for j in range(cols):  # flush: weight the popcounts of the state
        acc[ii, j] += (_ctpop64(state[0, j]) + 2 * _ctpop64(state[1, j])
                       + 4 * _ctpop64(state[2, j]))


@njit(cache=True, inline="always")
def _task(aw, bp, k, t, out):
    """Tile ``t`` of the output from ``aw`` and the panels ``bp``."""
    m, n = out.shape
    n_words = aw.shape[1]
    i_lo, j_lo = _tile_origin(t, n)
    panel = bp[j_lo // TILE_N]  # flat (W * TILE_N): constant offsets between words
    acc = np.zeros((TILE_M, TILE_N), dtype=np.int64)
    state = np.empty((3, TILE_N), dtype=np.uint64)
    for w0 in range(0, n_words, TILE_WORDS):
        w1 = np.uint64(min(w0 + TILE_WORDS, n_words))
        for ii in range(min(TILE_M, m - i_lo)):
            _row(aw, panel, np.uint64(i_lo + ii), np.uint64(w0), w1, state, acc, ii)
    _store(acc, k, i_lo, j_lo, out)


@njit(parallel=True, cache=True)
def _bgemm_csa_parallel(aw, bp, k, n):
    """C (M, n) from C-contiguous uint64 ``aw`` (M, W) and ``panels`` ``bp``, in prange."""
    out = np.empty((aw.shape[0], n), dtype=np.int32)
    for t in prange(_n_tiles(aw.shape[0], n)):
        _task(aw, bp, k, t, out)
    return out


@njit(cache=True)
def _bgemm_csa_serial(aw, bp, k, n):
    """Same as ``_bgemm_csa_parallel`` on the calling thread only."""
    out = np.empty((aw.shape[0], n), dtype=np.int32)
    for t in range(_n_tiles(aw.shape[0], n)):
        _task(aw, bp, k, t, out)
    return out


@njit(cache=True)
def _fill_panels(bw, out):
    """``out[p, w, jj] = bw[p * TILE_N + jj, w]``, row by row (numpy's transposing copy of
    the padded rows measured 8x slower: 3.2 ms for 256 rows of 1024 words)."""
    n, n_words = bw.shape
    for i in range(n):
        p, jj = i // TILE_N, i % TILE_N
        for w in range(n_words):
            out[p, w, jj] = bw[i, w]


def panels(bw: np.ndarray) -> np.ndarray:
    """Rows of ``bw`` (N, W) as flat panels ``(ceil(N / TILE_N), W * TILE_N)``.

    Panel ``p`` holds rows ``p * TILE_N ..`` interleaved word by word: ``out[p, w * TILE_N
    + jj] = bw[p * TILE_N + jj, w]``; rows past ``N`` are zero. C-contiguous.

    Examples
    --------
    >>> import numpy as np
    >>> bw = np.arange(6, dtype=np.uint64).reshape(3, 2)
    >>> p = panels(bw)
    >>> p.shape, p.reshape(1, 2, 64)[0, :, :4].tolist()
    ((1, 128), [[0, 2, 4, 0], [1, 3, 5, 0]])
    """
    n, n_words = bw.shape
    out = np.zeros((-(-n // TILE_N), n_words, TILE_N), dtype=np.uint64)
    _fill_panels(bw, out)
    return out.reshape(out.shape[0], -1)


def bgemm_csa_words(aw: np.ndarray, bw: np.ndarray, k: int) -> np.ndarray:
    """``k - 2 * popcount(aw[i] ^ bw[j])`` through the carry-save-adder kernel.

    Parameters
    ----------
    aw : numpy.ndarray of uint64, shape (M, W)
        Packed rows, C-contiguous and writeable (``gemm.kernel_words``).
    bw : numpy.ndarray of uint64, shape (N, W)
        Packed rows. The operand with fewer rows is repacked into :func:`panels` here.
    k : int
        Row length in bits.

    Returns
    -------
    numpy.ndarray of int32, shape (M, N)

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.kernels import pack_bits
    >>> a, b = np.array([[1, -1, 1]]), np.array([[1, 1, 1], [-1, 1, -1]])
    >>> bgemm_csa_words(pack_bits(a).words, pack_bits(b).words, 3).tolist()
    [[1, -3]]
    """
    m, n = aw.shape[0], bw.shape[0]
    if m < n:  # repack the smaller operand: C = (B A^T)^T
        return np.ascontiguousarray(bgemm_csa_words(bw, aw, k).T)
    bp = panels(bw)
    if serial_is_faster(m, n, aw.shape[1]):
        return _bgemm_csa_serial(aw, bp, k, n)
    return _bgemm_csa_parallel(aw, bp, k, n)
