"""Population count of 64-bit words through LLVM's ``ctpop`` intrinsic.

Numba has no ``np.bitwise_count``, but LLVM has ``llvm.ctpop.i64`` and lowers it to the best
instruction the host CPU offers. ``_ctpop64`` below emits that intrinsic from Numba with
``numba.extending.intrinsic``; every kernel in ``bnncore.kernels`` counts bits through it.

What the assembly shows (``inspect_asm()`` of uncached copies; AMD EPYC Zen 3 with AVX2
and no AVX-512, Numba 0.68, LLVM 22):

- the scalar ``popcount`` compiles to a single ``popcntq`` (hardware popcount);
- a loop over words (``_popcount_flat``, and the bgemm inner loop) is vectorised instead:
  LLVM lowers ``ctpop`` on ``<4 x i64>`` to the AVX2 nibble lookup (``vpand``/``vpsrlw``
  split each byte into nibbles, two ``vpshufb`` look the counts up in a 16-entry table,
  ``vpaddb`` adds them, ``vpsadbw`` sums the bytes of each 64-bit lane), with a scalar
  ``popcntq`` loop for the remainder. On CPUs with AVX-512 VPOPCNTDQ the same IR becomes
  ``vpopcntq``.

(Functions compiled with ``cache=True`` refuse ``inspect_asm``; wrap ``_ctpop64`` in a
fresh ``njit`` to look, as ``tests/kernels/test_popcount.py`` does.)

Nothing here compiles at import time: the functions carry no eager signatures and are
compiled (then cached on disk, ``cache=True``) on their first call.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from .._validation import check_array

__all__ = ["popcount", "popcount_array"]


@intrinsic
def _ctpop64(typingctx, x):
    """``llvm.ctpop.i64`` on any 64-bit integer; the count is returned as ``int64``.

    Returning ``int64`` (not ``uint64``) matters: in Numba ``uint64 op int64`` promotes
    to ``float64``, which would silently turn ``k - 2 * count`` into a float.
    """
    if not isinstance(x, types.Integer) or x.bitwidth != 64:
        return None
    sig = types.int64(x)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@njit(cache=True)
def popcount(x):
    """Number of set bits of one 64-bit word.

    Parameters
    ----------
    x : uint64 or int64 scalar
        The word (an ``int64`` is read as its two's-complement bits).

    Returns
    -------
    int
        Count in ``[0, 64]``.

    Examples
    --------
    >>> import numpy as np
    >>> popcount(np.uint64(0b1011))
    3
    >>> popcount(np.uint64(2**64 - 1))
    64
    """
    return _ctpop64(x)


@njit(cache=True)
def _popcount_flat(words, out):
    for i in range(words.size):
        out[i] = _ctpop64(words[i])


def popcount_array(words: np.ndarray) -> np.ndarray:
    """Elementwise popcount of a ``uint64`` array (Numba's stand-in for ``np.bitwise_count``).

    Parameters
    ----------
    words : numpy.ndarray of uint64, any shape

    Returns
    -------
    numpy.ndarray of int64, same shape as ``words``

    Raises
    ------
    TypeError
        If ``words`` is not an array of ``uint64``.

    Examples
    --------
    >>> import numpy as np
    >>> popcount_array(np.array([0, 1, 255, 2**64 - 1], dtype=np.uint64)).tolist()
    [0, 1, 8, 64]
    """
    words = check_array(words, "words", dtype="any", allow_empty=True, finite=False)
    if words.dtype != np.uint64:
        raise TypeError(f"words must be a uint64 array, got dtype {words.dtype}")
    # One kernel signature: a C-contiguous, writeable 1-D array (flatten copies otherwise).
    contiguous = words.flags.c_contiguous and words.flags.writeable
    flat = words.reshape(-1) if contiguous else words.flatten()
    out = np.empty(flat.size, dtype=np.int64)
    _popcount_flat(flat, out)
    return out.reshape(words.shape)
