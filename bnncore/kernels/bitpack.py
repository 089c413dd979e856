"""Pack ±1 arrays into ``uint64`` words and back.

Layout (the one rule every kernel relies on)
--------------------------------------------
The packed axis is moved last. Along it, bit 1 means +1 and bit 0 means -1; element ``k``
is bit ``k & 63`` (least significant bit first) of word ``k >> 6``. A row of ``n``
elements takes ``ceil(n / 64)`` words.

Padding rule
------------
The ``64 * ceil(n / 64) - n`` unused bits of the last word are **0 in every packed
array**. For two rows ``a`` and ``b`` packed this way, ``a XOR b`` is 0 on every pad bit,
so the pads add no mismatches and the dot product of the true ±1 rows is

    dot(a, b) = n - 2 * popcount(a XOR b)

with the TRUE length ``n`` (matches count +1, mismatches -1: ``(n - m) - m``). The same
zero pads make ``popcount(words)`` the number of +1 entries. Any kernel that builds packed
words itself (for example the packed im2col of ``bconv``) must keep pad bits at 0.

Inputs may be int, float or bool arrays of any memory order (C, F, strided views).
Bool arrays are read as ``True = +1``, ``False = -1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_int, check_pm1

__all__ = ["PackedBits", "pack_bits", "unpack_bits"]

WORD_BITS = 64


def n_words_for(n: int) -> int:
    """Number of 64-bit words that hold ``n`` bits."""
    return -(-n // WORD_BITS)


@dataclass(frozen=True, eq=False)
class PackedBits:
    """A ±1 array packed 64 elements per ``uint64`` word along one axis.

    Attributes
    ----------
    words : numpy.ndarray of uint64, shape ``moved[:-1] + (n_words,)``
        ``moved`` is ``shape`` with ``axis`` moved last; C-contiguous.
    n : int
        True length of the packed axis (``shape[axis]``), pads excluded.
    shape : tuple of int
        Shape of the original ±1 array.
    axis : int
        The packed axis of the original array, in ``[0, len(shape))``.

    Examples
    --------
    >>> import numpy as np
    >>> p = pack_bits(np.ones((3, 70)))
    >>> p.words.shape, p.n, p.n_words, p.axis
    ((3, 2), 70, 2, 1)
    """

    words: np.ndarray
    n: int
    shape: tuple[int, ...]
    axis: int

    def __post_init__(self) -> None:
        if not isinstance(self.words, np.ndarray) or self.words.dtype != np.uint64:
            raise TypeError("PackedBits.words must be a uint64 array")
        if not 0 <= self.axis < len(self.shape) or self.shape[self.axis] != self.n:
            raise ValueError(
                f"PackedBits: axis {self.axis} of shape {self.shape} does not have n={self.n}"
            )
        moved = self.shape[: self.axis] + self.shape[self.axis + 1 :]
        if self.words.shape != moved + (n_words_for(self.n),):
            raise ValueError(
                f"PackedBits.words has shape {self.words.shape}, expected "
                f"{moved + (n_words_for(self.n),)} for shape {self.shape}, axis {self.axis}"
            )

    @property
    def n_words(self) -> int:
        """Words per packed row, ``ceil(n / 64)``."""
        return self.words.shape[-1]

    def __repr__(self) -> str:
        return (f"PackedBits(shape={self.shape}, axis={self.axis}, n={self.n}, "
                f"words.shape={self.words.shape})")


def as_bits(x: object, name: str) -> np.ndarray:
    """Validate a ±1 (or bool) array and return it as bool, ``True`` meaning +1.

    Raises ``TypeError`` for non-arrays and ``ValueError`` (naming ``name``) for entries
    that are not ±1, NaN included.
    """
    x = check_array(x, name, dtype="numeric", allow_empty=True, finite=False)
    if x.dtype != np.bool_:
        x = check_pm1(x, name) > 0
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least 1 dimension, got a scalar")
    return x


def pack_bool(bits: np.ndarray, axis: int) -> PackedBits:
    """Pack an already validated bool array (``True`` = +1) along ``axis`` (no checks)."""
    moved = np.moveaxis(bits, axis, -1)
    n = moved.shape[-1]
    padded = np.zeros(moved.shape[:-1] + (n_words_for(n) * WORD_BITS,), dtype=np.bool_)
    padded[..., :n] = moved  # pad bits stay 0: the padding rule
    # bitorder="little" puts element k at bit k of its byte, and the bytes of a
    # little-endian uint64 are in order, so element k lands on bit k & 63 of word k >> 6.
    packed = np.packbits(padded, axis=-1, bitorder="little")
    words = packed.view(np.dtype("<u8")).astype(np.uint64, copy=False)
    return PackedBits(np.ascontiguousarray(words), n, tuple(bits.shape), axis)


def pack_bits(a: object, axis: int = -1, *, name: str = "a") -> PackedBits:
    """Pack a ±1 array into 64-bit words along ``axis``.

    Parameters
    ----------
    a : array_like of int, float or bool, any shape with ``ndim >= 1``
        Entries must be exactly -1 or +1 (bool: ``True`` = +1, ``False`` = -1). Any memory
        order is accepted.
    axis : int
        Axis to pack (negative counts from the end).
    name : str
        Argument name used in error messages (callers pass their own, e.g. ``"x"``).

    Returns
    -------
    PackedBits
        ``words`` has shape ``a.shape`` without ``axis``, plus ``(ceil(n / 64),)``.

    Raises
    ------
    TypeError
        If ``a`` is not a numeric array (a string, ``None``, objects).
    ValueError
        If an entry is not ±1 (NaN included) or ``axis`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> p = pack_bits(np.array([[1, -1, 1, 1]]))
    >>> int(p.words[0, 0])  # bits 0, 2, 3 set, LSB first
    13
    >>> unpack_bits(p).tolist()
    [[1, -1, 1, 1]]
    """
    bits = as_bits(a, name)
    axis = check_int(axis, "axis")
    if not -bits.ndim <= axis < bits.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with shape {bits.shape}")
    return pack_bool(bits, axis % bits.ndim)


def unpack_bits(p: PackedBits) -> np.ndarray:
    """Exact inverse of :func:`pack_bits`: the ±1 array with its original shape and axis.

    Parameters
    ----------
    p : PackedBits

    Returns
    -------
    numpy.ndarray of int8, shape ``p.shape``, C-contiguous

    Raises
    ------
    TypeError
        If ``p`` is not a :class:`PackedBits`.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, -1], [-1, -1], [1, 1]])
    >>> unpack_bits(pack_bits(a, axis=0)).tolist()
    [[1, -1], [-1, -1], [1, 1]]
    """
    if not isinstance(p, PackedBits):
        raise TypeError(f"p must be a PackedBits, got {type(p).__name__}")
    raw = np.ascontiguousarray(p.words.astype("<u8", copy=False)).view(np.uint8)
    bits = np.unpackbits(raw, axis=-1, count=p.n, bitorder="little")
    pm1 = 2 * bits.astype(np.int8) - 1
    return np.ascontiguousarray(np.moveaxis(pm1, -1, p.axis))
