"""The two signs of GFT (shared/spec/gft.md Section 1): one for activations, one for errors.

- ``sign(z) = +1 if z >= 0 else -1``: the library-wide activation rule, ``sign(0) = +1``.
- ``tsign(z) in {-1, 0, +1}`` (``np.sign``): the ternary sign, used **only** for error
  signals, where ``tsign(0) = 0`` means "no request".

Both return ``int8`` arrays, so everything built from them stays integer.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sign", "tsign"]


def sign(z: np.ndarray) -> np.ndarray:
    """Activation sign ``+1 if z >= 0 else -1`` as ``int8`` (``sign(0) = +1``).

    Parameters
    ----------
    z : numpy.ndarray of int
        Pre-activations.

    Returns
    -------
    numpy.ndarray of int8, same shape

    Examples
    --------
    >>> import numpy as np
    >>> sign(np.array([-3, 0, 2])).tolist()
    [-1, 1, 1]
    """
    return np.where(np.asarray(z) >= 0, np.int8(1), np.int8(-1))


def tsign(z: np.ndarray) -> np.ndarray:
    """Ternary sign ``np.sign(z)`` as ``int8`` (``tsign(0) = 0``), for error signals only.

    Parameters
    ----------
    z : numpy.ndarray of int

    Returns
    -------
    numpy.ndarray of int8 in {-1, 0, +1}, same shape

    Examples
    --------
    >>> import numpy as np
    >>> tsign(np.array([-3, 0, 2])).tolist()
    [-1, 0, 1]
    """
    return np.sign(np.asarray(z)).astype(np.int8)
