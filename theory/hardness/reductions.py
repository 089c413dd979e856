"""PARTITION reductions: NP-hardness of binary-weight learning, made executable.

(R1) PARTITION -> binary perceptron, (R2) PARTITION / SUBSET-SUM -> binary-weight
regression: docs/theory.md, section "3. NP-hardness" (RECONSTRUCTED: in the spirit of the GFT
paper's theorem, whose proof could not be read), with the proof sketch. The continuous
problem stays easy (``real_relaxation``, an LP). Pseudo-polynomial dynamic programs
(``subset_sum_dp``, ``has_partition_dp``) are the oracles of the tests.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from theory.sat import (
    PerceptronInstance,
    RegressionInstance,
    make_perceptron_instance,
    make_regression_instance,
    misclassified,
)


def check_items(a: object, name: str = "a") -> list[int]:
    """``a`` as a list of positive Python ints; ``ValueError`` naming ``a`` otherwise."""
    if isinstance(a, (str, bytes)) or not isinstance(a, (Sequence, np.ndarray)):
        raise ValueError(f"{name} must be a non-empty 1-D sequence of positive integers, "
                         f"got {type(a).__name__}")
    if isinstance(a, np.ndarray) and a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    items = list(a)
    if not items:
        raise ValueError(f"{name} must be a non-empty sequence of positive integers")
    for i, x in enumerate(items):
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral) or x <= 0:
            raise ValueError(f"{name} must hold positive integers, found {x!r} at index {i}")
    return [int(x) for x in items]


def partition_to_perceptron(a: Sequence[int]) -> PerceptronInstance:
    """(R1): the two-sample, integer-feature instance that is SAT iff ``a`` has a partition.

    Unpacks as ``(X, y)``; solve it with ``theory.sat.solve(partition_to_perceptron(a))``.

    Examples
    --------
    >>> X, y = partition_to_perceptron([3, 1, 1, 2, 2, 1])
    >>> X.tolist(), y.tolist()
    ([[6, 2, 2, 4, 4, 2, 1], [-6, -2, -2, -4, -4, -2, 1]], [1, 1])
    """
    row = np.array([2 * x for x in check_items(a)], dtype=np.int64)
    X = np.column_stack([np.stack([row, -row]), [1, 1]])
    return make_perceptron_instance(X, [1, 1], 0, integer_features=True)


def partition_to_weights(a: Sequence[int], P: Sequence[int]) -> np.ndarray:
    """The certificate map: ``w_i = +1`` on ``P``, ``-1`` elsewhere, last weight ``+1``.

    Examples
    --------
    >>> partition_to_weights([1, 2, 3], [2]).tolist()
    [-1, -1, 1, 1]
    """
    a = check_items(a)
    idx = [int(i) for i in P]
    if any(not 0 <= i < len(a) for i in idx):
        raise ValueError(f"P must hold indices in [0, {len(a)}), got {list(P)}")
    w = -np.ones(len(a) + 1, dtype=np.int8)
    w[idx + [len(a)]] = 1
    return w


def perceptron_to_partition(w: object, a: Sequence[int]) -> list[int]:
    """Decode (R1): ``P = {i < k : w_i == w_k}`` (``w_k`` the last weight).

    Raises ``ValueError`` unless ``w`` is consistent with ``partition_to_perceptron(a)``.

    Examples
    --------
    >>> perceptron_to_partition([1, -1, -1, 1], [2, 1, 1])
    [0]
    """
    X, y = partition_to_perceptron(a)
    wrong = misclassified(X, y, w)
    if wrong.size:
        raise ValueError(f"w is not consistent with partition_to_perceptron(a): samples "
                         f"{wrong.tolist()} are misclassified")
    w = np.asarray(w)
    return [i for i in range(len(w) - 1) if w[i] == w[-1]]


def verify_partition(a: Sequence[int], subset: Sequence[int]) -> bool:
    """Whether ``subset`` (distinct indices into ``a``) and its complement have equal sums.

    Examples
    --------
    >>> verify_partition([3, 1, 1, 2, 2, 1], [0, 3]), verify_partition([1, 2], [0])
    (True, False)
    """
    values = [int(x) for x in a]
    idx = [int(i) for i in subset]
    if len(set(idx)) != len(idx) or any(not 0 <= i < len(values) for i in idx):
        return False
    return 2 * sum(values[i] for i in idx) == sum(values)


def partition_to_regression(a: Sequence[int]) -> RegressionInstance:
    """(R2): ``X = [a]``, ``t = [0]``; ``f(w) = 0`` iff ``{i : w_i = +1}`` is a partition.

    Examples
    --------
    >>> from theory.sat import solve
    >>> solve(partition_to_regression([3, 1, 2])).w.tolist()   # 1 + 2 = 3
    [-1, 1, 1]
    """
    return make_regression_instance([check_items(a)], [0])


def subset_sum_to_regression(a: Sequence[int], T: int) -> RegressionInstance:
    """(R2) for SUBSET-SUM: ``t = [2T - sum(a)]``, since ``<a, w> = 2<a, u> - sum(a)``
    with ``u = (1 + w) / 2``.

    Examples
    --------
    >>> subset_sum_to_regression([2, 3, 7], 9).t     # 2 * 9 - 12
    array([6])
    """
    a = check_items(a)
    return make_regression_instance([a], [2 * _check_target(T, a) - sum(a)])


def regression_solution_to_subset(w: object) -> list[int]:
    """``{i : w_i = +1}``.

    Examples
    --------
    >>> regression_solution_to_subset([1, -1, 1])
    [0, 2]
    """
    return [i for i, wi in enumerate(np.asarray(w).tolist()) if wi == 1]


def _check_target(T: object, a: list[int]) -> int:
    if isinstance(T, (bool, np.bool_)) or not isinstance(T, numbers.Integral):
        raise ValueError(f"T must be an int, got {T!r}")
    if not 0 <= T <= sum(a):
        raise ValueError(f"T must satisfy 0 <= T <= sum(a) = {sum(a)}, got {T}")
    return int(T)


def subset_sum_dp(a: Sequence[int], T: int) -> tuple[bool, list[int] | None]:
    """Pseudo-polynomial oracle: is there ``P`` with ``sum(a[P]) == T``? (with a witness).

    Each reachable sum remembers the item that first reached it and the sum before, so the
    witness uses strictly decreasing item indices, each once.

    Examples
    --------
    >>> subset_sum_dp([2, 3, 7], 6), subset_sum_dp([2, 3, 7], 9)
    ((False, None), (True, [0, 2]))
    """
    a = check_items(a)
    T = _check_target(T, a)
    parent: dict[int, tuple[int, int] | None] = {0: None}
    for i, ai in enumerate(a):
        parent.update({s + ai: (i, s) for s in parent if s + ai <= T and s + ai not in parent})
    if T not in parent:
        return False, None
    P, s = [], T
    while parent[s] is not None:
        i, s = parent[s]
        P.append(i)
    return True, sorted(P)


def has_partition_dp(a: Sequence[int]) -> tuple[bool, list[int] | None]:
    """PARTITION by dynamic programming: an odd total has none.

    Examples
    --------
    >>> has_partition_dp([3, 1, 1, 2, 2, 1]), has_partition_dp([2, 3, 7])
    ((True, [0, 1, 2]), (False, None))
    """
    return (False, None) if sum(a := check_items(a)) % 2 else subset_sum_dp(a, sum(a) // 2)


def real_relaxation(inst: PerceptronInstance) -> tuple[np.ndarray, float]:
    """The continuous case is easy: ``max tau`` s.t. ``y_j (<w, x_j> - theta) >= tau``,
    ``-1 <= w_i <= 1``, ``tau <= 1`` (an LP, ``scipy.optimize.linprog(method="highs")``).

    ``tau > 0`` means real weights separate the data strictly.

    Examples
    --------
    >>> w, tau = real_relaxation(partition_to_perceptron([2, 3, 7]))   # a no-instance
    >>> round(tau, 6) > 0
    True
    """
    from scipy.optimize import linprog

    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"inst must be a PerceptronInstance, got {type(inst).__name__}")
    n, y = inst.n, inst.y.astype(np.float64)
    A_ub = np.hstack([-y[:, None] * inst.X, np.ones((inst.m, 1))])   # tau - y<w,x> <= -y theta
    c = np.zeros(n + 1)
    c[-1] = -1.0                                                      # maximise tau
    res = linprog(c, A_ub=A_ub, b_ub=-y * inst.theta, bounds=[(-1, 1)] * n + [(None, 1)],
                  method="highs")
    if not res.success:
        raise RuntimeError(f"linprog failed: {res.message}")
    return res.x[:n], float(res.x[-1])
