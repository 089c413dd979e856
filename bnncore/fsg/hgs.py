"""Historical Gradient Storage: a bounded ring buffer of recent gradients per tensor.

docs/fsg.md, "HGS and LRE". The slow-net reads each tensor's last ``count`` gradients,
oldest first; before ``length`` pushes the sequence is simply shorter (no padding, no
repetition), as in the released code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import check_int
from .component import float_dtype

__all__ = ["HistoricalGradientStorage"]


class HistoricalGradientStorage:
    """The last ``length`` gradients of every tensor, pushed together.

    Parameters
    ----------
    sizes : sequence of int
        ``N_ell``, the number of weights of each tensor (each ``>= 1``).
    length : int
        ``l``, the number of gradients kept per tensor (``>= 1``).
    dtype : float32 or float64

    Attributes
    ----------
    count : int
        Gradients currently stored, ``min(pushes, length)``; shared by all tensors.

    Notes
    -----
    Storage is one ``(length, sizes[ell])`` array per tensor, one shared write position and
    one shared ``count``: memory is ``length * sum(sizes)`` values, whatever the number of
    pushes. ``push`` writes at the position and advances it modulo ``length``; ``view``
    returns the rows oldest first.

    Examples
    --------
    >>> import numpy as np
    >>> hgs = HistoricalGradientStorage([2], length=2, dtype=np.float64)
    >>> for step in range(3):
    ...     hgs.push([np.full(2, float(step))])
    >>> hgs.count, hgs.view(0).tolist()       # the two newest, oldest first
    (2, [[1.0, 1.0], [2.0, 2.0]])
    """

    def __init__(self, sizes: Sequence[int], length: int = 5, dtype=np.float32) -> None:
        self.length = check_int(length, "length", minimum=1)
        self.dtype = float_dtype(dtype)
        if isinstance(sizes, (int, np.integer)) or len(sizes) < 1:
            raise ValueError(f"sizes must be a non-empty sequence of ints, got {sizes!r}")
        self.sizes = tuple(check_int(s, f"sizes[{i}]", minimum=1) for i, s in enumerate(sizes))
        self._buf = [np.zeros((self.length, n), self.dtype) for n in self.sizes]
        self.count = 0
        self._pos = 0

    @property
    def memory(self) -> int:
        """Number of stored values, ``length * sum(sizes)`` (constant)."""
        return sum(b.size for b in self._buf)

    def push(self, grads: Sequence[np.ndarray]) -> None:
        """Store one gradient per tensor (copied, raveled in C order, cast to ``dtype``).

        Raises
        ------
        ValueError
            Wrong number of tensors, wrong size or non-finite values (naming the index).
        """
        if len(grads) != len(self.sizes):
            raise ValueError(f"grads must hold {len(self.sizes)} tensors, got {len(grads)}")
        flat = []
        for ell, g in enumerate(grads):
            g = np.asarray(g)
            if g.size != self.sizes[ell]:
                raise ValueError(f"grads[{ell}] has {g.size} values, expected "
                                 f"sizes[{ell}] = {self.sizes[ell]}")
            if g.dtype.kind not in "biuf" or not np.all(np.isfinite(g)):
                raise ValueError(f"grads[{ell}] must hold finite real values")
            flat.append(g.reshape(-1))
        for buf, g in zip(self._buf, flat):
            buf[self._pos] = g
        self._pos = (self._pos + 1) % self.length
        self.count = min(self.count + 1, self.length)

    def _index(self, ell: int) -> int:
        if isinstance(ell, bool) or not isinstance(ell, (int, np.integer)):
            raise TypeError(f"ell must be an int, got {ell!r}")
        if not 0 <= ell < len(self.sizes):
            raise IndexError(f"ell must be in [0, {len(self.sizes)}), got {ell}")
        if self.count == 0:
            raise ValueError("the storage is empty: push a gradient first")
        return int(ell)

    def view(self, ell: int) -> np.ndarray:
        """Tensor ``ell``'s stored gradients, ``(count, sizes[ell])``, oldest first (a copy)."""
        buf = self._buf[self._index(ell)]
        if self.count < self.length:
            return buf[:self.count].copy()
        return np.concatenate([buf[self._pos:], buf[:self._pos]])

    def latest(self, ell: int) -> np.ndarray:
        """The newest gradient of tensor ``ell``, ``(sizes[ell],)`` (a copy)."""
        return self._buf[self._index(ell)][(self._pos - 1) % self.length].copy()

    def reset(self) -> None:
        """Forget everything: ``count = 0``, buffers zero-filled."""
        for buf in self._buf:
            buf[...] = 0
        self.count = 0
        self._pos = 0

    def state_dict(self) -> dict:
        """Plain arrays and ints (``np.savez``-safe, no pickling)."""
        d = {f"buf{ell}": b.copy() for ell, b in enumerate(self._buf)}
        d.update(count=self.count, pos=self._pos, length=self.length,
                 sizes=np.array(self.sizes, np.int64))
        return d

    def load_state_dict(self, d) -> None:
        """Restore a ``state_dict`` taken from a storage of the same sizes and length."""
        sizes = tuple(int(s) for s in np.asarray(d["sizes"]).ravel())
        if sizes != self.sizes or int(d["length"]) != self.length:
            raise ValueError(f"state is for sizes {sizes} and length {int(d['length'])}, this "
                             f"storage has sizes {self.sizes} and length {self.length}")
        count, pos = int(d["count"]), int(d["pos"])
        if not (0 <= count <= self.length and 0 <= pos < self.length):
            raise ValueError(f"invalid count/pos {count}/{pos} for length {self.length}")
        for ell in range(len(self.sizes)):
            self._buf[ell][...] = np.asarray(d[f"buf{ell}"], dtype=self.dtype)
        self.count, self._pos = count, pos

    def __repr__(self) -> str:
        return (f"HistoricalGradientStorage(sizes={self.sizes}, length={self.length}, "
                f"count={self.count}, dtype={self.dtype})")

