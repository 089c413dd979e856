"""The exact threshold arithmetic shared by every encoding (shared/spec/sat_theory.md §1).

Sample ``(c, y)`` with integer features ``c``: with ``z = y c`` the *agreement literal* of
feature ``i`` is ``w_i`` if ``z_i > 0`` and ``not w_i`` if ``z_i < 0``, counted ``|c_i|``
times. With ``A`` true literals (with multiplicity) and ``N = sum |c_i|``,
``<w, z> = 2A - N``, so "sample classified correctly" is ``A >= need(N, y, theta)``.
"""

from __future__ import annotations

import numpy as np


def need(N: int, y: int, theta: int = 0) -> int:
    """Minimal number of agreeing literals for a correct prediction.

    ``y = +1``: ``<w,c> >= theta`` iff ``A >= ceil((N + theta) / 2)``;
    ``y = -1``: ``<w,c> <= theta - 1`` iff ``A >= ceil((N + 1 - theta) / 2)``.

    Examples
    --------
    >>> need(5, 1), need(4, 1), need(4, -1), need(5, 1, 2), need(5, -1, 2), need(0, -1)
    (3, 2, 3, 4, 2, 1)
    """
    return -((-(N + theta)) // 2) if y == 1 else -((-(N + 1 - theta)) // 2)


def agreement_literals(c: np.ndarray, y: int) -> tuple[list[int], int]:
    """The agreement literals of one sample, with multiplicity, and ``N = sum |c_i|``.

    Variable ``i + 1`` is ``w_i`` (true means ``w_i = +1``); features with ``c_i = 0`` are
    dropped.

    Examples
    --------
    >>> agreement_literals(np.array([2, -1, 0]), -1)
    ([-1, -1, 2], 3)
    """
    lits: list[int] = []
    for i, ci in enumerate(np.asarray(c, dtype=np.int64).tolist()):
        if ci:
            lit = (i + 1) if ci * y > 0 else -(i + 1)
            lits.extend([lit] * abs(ci))
    return lits, len(lits)


def weighted_literals(c: np.ndarray, y: int) -> tuple[list[int], list[int], int]:
    """One agreement literal per non-zero feature, its weight ``|c_i|``, and ``N``.

    Examples
    --------
    >>> weighted_literals(np.array([2, -1, 0]), 1)
    ([1, -2], [2, 1], 3)
    """
    lits, weights = [], []
    for i, ci in enumerate(np.asarray(c, dtype=np.int64).tolist()):
        if ci:
            lits.append((i + 1) if ci * y > 0 else -(i + 1))
            weights.append(abs(ci))
    return lits, weights, sum(weights)
