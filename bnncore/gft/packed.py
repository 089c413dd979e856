"""Keep a packed weight matrix in step with bit flips (docs/gft.md, "The model").

A GFT update negates a few entries of ``W`` (shape ``(O, I)``). In the packed form
(``bnncore.kernels.bitpack``: bit 1 means +1, element ``i`` of a row is bit ``i & 63`` of
word ``i >> 6``) negating an entry is an XOR of one bit, so the packed copy never has to
be rebuilt: the paper's "flip the relevant bits with logical operations".
"""

from __future__ import annotations

import numpy as np

from ..kernels import PackedBits

__all__ = ["flip_bits_packed"]


def flip_bits_packed(w_bits: PackedBits | np.ndarray, flat_idx: np.ndarray, n_in: int) -> None:
    """XOR, in place, the bits of the weights at C-order flat indices ``o * n_in + i``.

    Parameters
    ----------
    w_bits : PackedBits or numpy.ndarray of uint64, shape (O, ceil(n_in / 64))
        The packed rows of ``W``; its ``words`` are modified in place.
    flat_idx : numpy.ndarray of int, shape (n,)
        Distinct flat indices into ``W.ravel()`` (C order), each in ``[0, O * n_in)``.
    n_in : int
        Row length ``I`` of ``W`` (the pads past it are never touched, so they stay 0).

    Raises
    ------
    ValueError
        If an index is out of range or appears twice.

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.kernels import pack_bits, unpack_bits
    >>> W = np.array([[1, -1, 1], [1, 1, -1]], dtype=np.int8)
    >>> bits = pack_bits(W)
    >>> flip_bits_packed(bits, np.array([1, 5]), 3)   # (0, 1) and (1, 2)
    >>> unpack_bits(bits).tolist()
    [[1, 1, 1], [1, 1, 1]]
    """
    words = w_bits.words if isinstance(w_bits, PackedBits) else w_bits
    flat_idx = np.asarray(flat_idx, dtype=np.int64)
    n_out = words.shape[0]
    if flat_idx.size and (flat_idx.min() < 0 or flat_idx.max() >= n_out * n_in):
        raise ValueError(f"flat_idx must lie in [0, {n_out * n_in}), got {flat_idx.min()}.."
                         f"{flat_idx.max()}")
    if np.unique(flat_idx).size != flat_idx.size:
        raise ValueError("flat_idx must not repeat an index (two flips would cancel)")
    rows, cols = np.divmod(flat_idx, n_in)
    masks = np.left_shift(np.uint64(1), (cols & 63).astype(np.uint64))
    # ufunc.at: two flips in the same word both apply (fancy ^= would keep only one).
    np.bitwise_xor.at(words, (rows, cols >> 6), masks)
