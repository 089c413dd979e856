"""XNOR-popcount GEMM with Harley-Seal carry-save adders, for AVX2 CPUs.

Same contract as :func:`bnncore.kernels.gemm.bgemm_words` (``C[i, j] = K - 2 *
popcount(a_i XOR b_j)`` on packed rows, pad bits 0); :func:`bgemm_csa_words` is the entry
point and ``gemm.bgemm_words`` calls it where it is the faster kernel (see ``gemm``).

Why
---
Without AVX-512 VPOPCNTDQ, LLVM lowers a vectorised ``ctpop`` to the nibble lookup: 7
vector ops per 256 bits, 9 per 256 bit-MACs with the XOR and the add. A carry-save adder
(full adder on whole words: ``sum = a ^ b ^ c``, ``carry = (a & b) | (c & (a ^ b))``, 5
ops) adds three bit-vectors into two without counting anything. Harley-Seal keeps four
running vectors per output, ``ones``, ``twos``, ``fours``, ``eights`` (bit ``b`` of the
count in each position) and feeds them 16 words at a time through 15 adders; only the
carry of weight 16 is popcounted. Per 16 words: 16 XORs + 75 adder ops + one popcount.

Layout: vectorising across outputs, not words
---------------------------------------------
A row of ``K = 4096`` bits is only 64 words, 16 ``ymm`` vectors: vectorising along the
words (4 words per ``ymm``) leaves one group of 16 vectors per output, so every output
pays the full flush (5 popcounts per 16 vectors) and the CSA state never pays off. So the
four lanes of a ``ymm`` hold four different *outputs* instead: word ``w`` of row ``a_i``
(broadcast) XOR word ``w`` of four rows of ``b``. For that, ``b`` is repacked as panels
(:func:`panels`): ``(N / TILE_N, W, TILE_N)``, the ``TILE_N`` rows of a tile interleaved
word by word, so word ``w`` of consecutive columns is contiguous. The inner loop runs
over the tile's 64 columns (constant trip count, no tail) and LLVM's loop vectoriser
turns it into 16 trips of 4 columns; the CSA state of each column sits in a small
``(4, TILE_N)`` array (4 loads + 4 stores per 16 words, cheap next to ~100 ALU ops), so
it is carried across all groups of a cache block and flushed (4 popcounts) once per row
and block, not per group. Panels matter: with ``b`` merely transposed, the 16 rows of a
group are ``N * 8`` bytes apart (8 KiB at N = 1024) and all fall into the same L1 sets;
that version ran at half speed.

What the assembly shows (``inspect_asm()`` of an uncached copy, Numba 0.68, LLVM 22)
---------------------------------------------------------------------------------
- AVX2 (``NUMBA_CPU_NAME=znver3 NUMBA_CPU_FEATURES=+avx2``): the hot loop is all ``ymm``,
  one trip = 16 words x 4 columns = 4096 bit-MACs: 16 ``vpxor`` with a memory operand
  (the panel words) against broadcast ``a`` words, 31 more ``vpxor``, 32 ``vpand``, 15
  ``vpor`` (the 15 adders), one nibble-lookup popcount (``vpand``, ``vpsrlw``, ``vpand``,
  2 ``vpshufb``, ``vpaddb``, ``vpsadbw``), ``vpsllq`` and ``vpaddq`` into the counter:
  ~102 vector ALU ops = **6.4 per 256 bit-MACs** (direct kernel: 9). Plus 4+1 loads and
  stores of state and counter and ~12 reloads of spilled broadcast ``a`` words and of
  the lookup constants (``rsp``-relative): 16 ``ymm`` do not hold 16 broadcasts, 4 state
  vectors and the temporaries. 140 instructions per trip.
- Natively (Zen 4, AVX-512): LLVM uses ``zmm`` and ``vpternlogq`` (one op per adder
  output), and ``vpopcntq``; but the direct kernel needs only ``vpxor`` + ``vpopcntq`` +
  ``vpaddq`` per 512 bit-MACs, and is faster (below).

Variants measured (AVX2 code on this Zen 4, 1 thread, GMAC/s; direct kernel ~320 at
1024x4096x1024, ~340 at 256x65536x256): word-vectorised stripes (16 stripes of the row
summed by a CSA tree per vector, no carried state), register blocks 1x1 .. 4x2, groups
of 4 .. 32 words: 190-290, spills of 8-270 per trip above 1x1, and at K = 4096 a 4-word
stripe is shorter than LLVM's vector loop (group 32: 22-56). Column-vectorised (this
module), one row of ``a`` per call: 310-370 at K = 4096, 360-400 at K = 16384 and 65536.
Two rows per call (sharing the panel loads): LLVM no longer vectorised the loop (~100).
Two independent column halves per trip (to hide the adder chain latency): more spills,
no gain. A Dadda tree (shallower than Harley-Seal's chain, same 15 adders): no gain.
Cache blocks of 128 .. 1024 words: within noise. Natively the direct kernel wins,
~660-980 against ~450-540.

Nothing here compiles at import time; every kernel is compiled on first call and cached.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._tiles import TILE_M, TILE_N, TILE_WORDS, _n_tiles, _store, _tile_origin, serial_is_faster
from .popcount import _ctpop64

__all__ = ["GROUP_WORDS", "bgemm_csa_words", "panels"]

GROUP_WORDS = 16  # words added through the carry-save adders per popcount


@njit(cache=True, inline="always")
def _csa(a, b, c):
    """Full adder on 64 bit positions: ``(carry, sum)`` of ``a + b + c``."""
    u = a ^ b
    return (a & b) | (u & c), u ^ c


@njit(cache=True, inline="always")
def _x(aw, panel, r, w, j, g):
    """Mismatch word ``w + g`` of row ``r`` of ``aw`` against column ``j`` of the panel."""
    return aw[r, w + np.uint64(g)] ^ panel[w + np.uint64(g), j]


@njit(cache=True, inline="always")
def _add16(aw, panel, r, w, j, o, t, f, e):
    """Add the 16 mismatch words ``w .. w+15`` into ``(ones, twos, fours, eights)``.

    Returns the new state and the carry of weight 16.
    """
    ta, o = _csa(o, _x(aw, panel, r, w, j, 0), _x(aw, panel, r, w, j, 1))
    tb, o = _csa(o, _x(aw, panel, r, w, j, 2), _x(aw, panel, r, w, j, 3))
    fa, t = _csa(t, ta, tb)
    ta, o = _csa(o, _x(aw, panel, r, w, j, 4), _x(aw, panel, r, w, j, 5))
    tb, o = _csa(o, _x(aw, panel, r, w, j, 6), _x(aw, panel, r, w, j, 7))
    fb, t = _csa(t, ta, tb)
    ea, f = _csa(f, fa, fb)
    ta, o = _csa(o, _x(aw, panel, r, w, j, 8), _x(aw, panel, r, w, j, 9))
    tb, o = _csa(o, _x(aw, panel, r, w, j, 10), _x(aw, panel, r, w, j, 11))
    fa, t = _csa(t, ta, tb)
    ta, o = _csa(o, _x(aw, panel, r, w, j, 12), _x(aw, panel, r, w, j, 13))
    tb, o = _csa(o, _x(aw, panel, r, w, j, 14), _x(aw, panel, r, w, j, 15))
    fb, t = _csa(t, ta, tb)
    eb, f = _csa(f, fa, fb)
    s, e = _csa(e, ea, eb)
    return o, t, f, e, s


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
        state[3, j] = 0
    g1 = w0 + (w1 - w0) // np.uint64(GROUP_WORDS) * np.uint64(GROUP_WORDS)
    for w in range(w0, g1, np.uint64(GROUP_WORDS)):
        for j in range(cols):
            o, t, f, e, s = _add16(aw, panel, r, w, j, state[0, j], state[1, j],
                                   state[2, j], state[3, j])
            state[0, j] = o
            state[1, j] = t
            state[2, j] = f
            state[3, j] = e
            acc[ii, j] += 16 * _ctpop64(s)
    for w in range(g1, w1):  # words left over after the last whole group
        for j in range(cols):
            acc[ii, j] += _ctpop64(aw[r, w] ^ panel[w, j])
    for j in range(cols):  # flush: weight the popcounts of the state
        acc[ii, j] += (_ctpop64(state[0, j]) + 2 * _ctpop64(state[1, j])
                       + 4 * _ctpop64(state[2, j]) + 8 * _ctpop64(state[3, j]))


@njit(cache=True, inline="always")
def _task(aw, bp, k, t, out):
    """Tile ``t`` of the output from ``aw`` and the panels ``bp``."""
    m, n = out.shape
    n_words = aw.shape[1]
    i_lo, j_lo = _tile_origin(t, n)
    panel = bp[j_lo // TILE_N]
    acc = np.zeros((TILE_M, TILE_N), dtype=np.int64)
    state = np.empty((4, TILE_N), dtype=np.uint64)
    for w0 in range(0, n_words, TILE_WORDS):
        w1 = np.uint64(min(w0 + TILE_WORDS, n_words))
        for ii in range(min(TILE_M, m - i_lo)):
            _row(aw, panel, np.uint64(i_lo + ii), np.uint64(w0), w1, state, acc, ii)
    _store(acc, k, i_lo, j_lo, out)


@njit(parallel=True, cache=True)
def _bgemm_csa_parallel(aw, bp, k, n):
    """C (M, n) from C-contiguous uint64 ``aw`` (M, W) and panels ``bp``, tiles in prange."""
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


def panels(bw: np.ndarray) -> np.ndarray:
    """Rows of ``bw`` (N, W) as panels ``(ceil(N / TILE_N), W, TILE_N)``, C-contiguous.

    Panel ``p`` holds rows ``p * TILE_N ..`` interleaved word by word: ``out[p, w, jj] =
    bw[p * TILE_N + jj, w]``; rows past ``N`` are zero.

    Examples
    --------
    >>> import numpy as np
    >>> bw = np.arange(6, dtype=np.uint64).reshape(3, 2)
    >>> p = panels(bw)
    >>> p.shape, p[0, :, :4].tolist()
    ((1, 2, 64), [[0, 2, 4, 0], [1, 3, 5, 0]])
    """
    n, n_words = bw.shape
    n_panels = -(-n // TILE_N)
    padded = np.zeros((n_panels * TILE_N, n_words), dtype=np.uint64)
    padded[:n] = bw
    return np.ascontiguousarray(padded.reshape(n_panels, TILE_N, n_words).transpose(0, 2, 1))


def bgemm_csa_words(aw: np.ndarray, bw: np.ndarray, k: int) -> np.ndarray:
    """``k - 2 * popcount(aw[i] ^ bw[j])`` through the carry-save-adder kernel.

    Parameters
    ----------
    aw : numpy.ndarray of uint64, shape (M, W)
        Packed rows, C-contiguous and writeable (``gemm.kernel_words``).
    bw : numpy.ndarray of uint64, shape (N, W)
        Packed rows; repacked into :func:`panels` here.
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
    bp = panels(bw)
    if serial_is_faster(m, n, aw.shape[1]):
        return _bgemm_csa_serial(aw, bp, k, n)
    return _bgemm_csa_parallel(aw, bp, k, n)
