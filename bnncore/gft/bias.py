"""Integer threshold updates (reconstructed, shared/spec/gft.md Section 3.6).

Only for models built with ``bias=True``. After a layer's weights, its bias moves by 2
(so that ``v`` keeps the parity of the fan-in) towards where its flagged outputs ask:

- vote ``Sb[o] = sum_b D[b,o]``;
- candidates ``Sb[o] != 0`` and ``|b[o] + 2 * tsign(Sb[o])| <= I`` (the bias stays in
  ``[-I, I]``, beyond which a unit is constant anyway);
- score ``|Sb[o]|``; the same top-k and acceptance as the weights
  (:func:`~bnncore.gft.selection.select_flips`, drawing from ``rng_flip``);
- update ``b[o] += 2 * tsign(Sb[o])``.
"""

from __future__ import annotations

import numpy as np

from .signs import tsign

__all__ = ["bias_candidates", "bias_step", "bias_vote"]


def bias_vote(D: np.ndarray) -> np.ndarray:
    """``Sb[o] = sum_b D[b,o]``, ``int32`` ``(O,)`` (reconstructed).

    Examples
    --------
    >>> import numpy as np
    >>> bias_vote(np.array([[1, -1], [1, 0]], np.int8)).tolist()
    [2, -1]
    """
    return np.asarray(D).astype(np.int32).sum(axis=0, dtype=np.int32)


def bias_candidates(Sb: np.ndarray, b: np.ndarray, fan_in: int) -> np.ndarray:
    """Indices (ascending) where ``Sb != 0`` and ``|b + 2 tsign(Sb)| <= fan_in`` (reconstructed).

    Examples
    --------
    >>> import numpy as np
    >>> bias_candidates(np.array([3, 0, -1]), np.array([2, 0, 0]), 3).tolist()  # |2+2| > 3
    [2]
    """
    step = bias_step(Sb)
    ok = (step != 0) & (np.abs(np.asarray(b).astype(np.int64) + step) <= int(fan_in))
    return np.flatnonzero(ok)


def bias_step(Sb: np.ndarray) -> np.ndarray:
    """The requested change ``2 * tsign(Sb)``, ``int32`` (reconstructed).

    Examples
    --------
    >>> import numpy as np
    >>> bias_step(np.array([5, 0, -2])).tolist()
    [2, 0, -2]
    """
    return 2 * tsign(Sb).astype(np.int32)
