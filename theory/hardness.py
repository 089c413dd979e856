"""NP-hardness, made executable: PARTITION reductions and the solve-time scaling experiment.

This is a reduction *in the spirit of* the GFT paper's theorem (arXiv 2410.09734: finding
optimal quantized weights is NP-hard "even in simple settings where the continuous case is
efficiently solvable"). The paper's own proof could not be read; what follows is our
reconstruction (shared/spec/sat_theory.md §10-§11), and it uses integer features.

**(R1) PARTITION -> binary perceptron.** For positive integers ``a_1..a_k`` take ``k+1``
weights and two samples ``x_1 = (2a_1, ..., 2a_k, 1)``, ``x_2 = (-2a_1, ..., -2a_k, 1)``,
both labelled ``+1``, threshold 0. With ``S = sum_i a_i w_i`` the scores are
``2S + w_{k+1}`` and ``-2S + w_{k+1}``: both odd, so sign(0) plays no role.

- If ``w_{k+1} = -1``, correctness needs ``2S >= 1`` and ``2S <= -1``: impossible.
- So ``w_{k+1} = +1`` and ``|2S| <= 1``, i.e. ``S = 0``: ``P = {i : w_i = +1}`` is a
  perfect partition.
- Conversely a partition ``P`` gives ``w_i = +1`` on ``P``, ``-1`` elsewhere and
  ``w_{k+1} = +1``; both scores equal 1.

Real weights ``(0, ..., 0, 1)`` separate both samples with margin 1, so the data are
always linearly separable and the real problem is an LP (``real_relaxation``). The map is
polynomial in the binary size of ``a``; with membership in NP the binary problem is
(weakly) NP-complete, as PARTITION itself. With ±1 features the problem is hard too
(Pitt & Valiant 1988; Fang & Venkatesh 1996), cited here, not implemented.

**(R2) PARTITION / SUBSET-SUM -> binary-weight regression.** ``X = [a]``, ``t = [0]``:
``||X w - t||^2 = 0`` iff ``{i : w_i = +1}`` is a partition (``t = [2T - sum(a)]`` for
subset sum ``T``).

Examples
--------
>>> X, y = partition_to_perceptron([3, 1, 1, 2, 2, 1])
>>> X.tolist(), y.tolist()
([[6, 2, 2, 4, 4, 2, 1], [-6, -2, -2, -4, -4, -2, 1]], [1, 1])
>>> has_partition_dp([3, 1, 1, 2, 2, 1])
(True, [0, 1, 2])
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from theory.sat.instances import (
    PerceptronInstance,
    RegressionInstance,
    make_perceptron_instance,
    make_regression_instance,
    random_perceptron_instance,
)
from theory.sat.scaling import (
    ScalingRecord,
    plot_scaling,
    scaling,
    scaling_experiment,
    summarize_scaling,
)
from theory.sat.verify import verify_perceptron

__all__ = ["ScalingRecord", "has_partition_dp", "partition_to_perceptron",
           "partition_to_regression", "partition_to_weights", "perceptron_solution_to_partition",
           "perceptron_to_partition", "plot_scaling", "random_instance", "real_relaxation",
           "regression_solution_to_subset", "scaling", "scaling_experiment",
           "subset_sum_dp", "subset_sum_to_regression", "summarize_scaling"]


def check_items(a: object, name: str = "a") -> list[int]:
    """``a`` as a list of positive Python ints; ``ValueError`` naming ``a`` otherwise.

    Examples
    --------
    >>> check_items([2, 1.5])
    Traceback (most recent call last):
    ...
    ValueError: a must hold positive integers, found 1.5 at index 1
    """
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

    Unpacks as ``(X, y)``. Solve it by passing the instance itself
    (``theory.sat.solve(partition_to_perceptron(a))``) or with ``integer_features=True``.
    """
    a = check_items(a)
    row = np.array([2 * x for x in a] + [0], dtype=np.int64)
    X = np.stack([row, -row])
    X[:, -1] = 1
    return make_perceptron_instance(X, [1, 1], 0, integer_features=True)


def partition_to_weights(a: Sequence[int], P: Sequence[int]) -> np.ndarray:
    """The certificate map: ``w_i = +1`` on ``P``, ``-1`` elsewhere, last weight ``+1``.

    Examples
    --------
    >>> partition_to_weights([1, 2, 3], [2]).tolist()
    [-1, -1, 1, 1]
    """
    a = check_items(a)
    w = -np.ones(len(a) + 1, dtype=np.int8)
    idx = [int(i) for i in P]
    if any(not 0 <= i < len(a) for i in idx):
        raise ValueError(f"P must hold indices in [0, {len(a)}), got {list(P)}")
    w[idx] = 1
    w[-1] = 1
    return w


def perceptron_solution_to_partition(a: Sequence[int], w: object
                                     ) -> tuple[list[int], list[int]]:
    """Decode (R1): ``P = {i < k : w_i == w_k}`` (``w_k`` the last weight), ``Q`` the rest.

    Raises ``ValueError`` unless ``w`` is consistent with ``partition_to_perceptron(a)``.

    Examples
    --------
    >>> perceptron_solution_to_partition([1, 1], [1, -1, 1])
    ([0], [1])
    """
    inst = partition_to_perceptron(a)
    ver = verify_perceptron(inst.X, inst.y, w, inst.theta)
    if not ver.ok:
        raise ValueError(f"w is not consistent with partition_to_perceptron(a): samples "
                         f"{ver.wrong.tolist()} are misclassified")
    w = np.asarray(w)
    P = [i for i in range(len(w) - 1) if w[i] == w[-1]]
    return P, [i for i in range(len(w) - 1) if w[i] != w[-1]]


def perceptron_to_partition(w: object, a: Sequence[int]) -> list[int]:
    """The issue's name: the subset ``P`` decoded from consistent weights ``w``.

    Examples
    --------
    >>> perceptron_to_partition([1, -1, -1, 1], [2, 1, 1])
    [0]
    """
    return perceptron_solution_to_partition(a, w)[0]


def partition_to_regression(a: Sequence[int]) -> RegressionInstance:
    """(R2): ``X = [a]``, ``t = [0]``; ``f(w) = 0`` iff ``{i : w_i = +1}`` is a partition."""
    return make_regression_instance([check_items(a)], [0])


def subset_sum_to_regression(a: Sequence[int], T: int) -> RegressionInstance:
    """(R2) for SUBSET-SUM: ``t = [2T - sum(a)]``, since ``<a, w> = 2<a, u> - sum(a)``
    with ``u = (1 + w) / 2``."""
    a = check_items(a)
    T = _check_target(T, a)
    return make_regression_instance([a], [2 * T - sum(a)])


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
        new = {s + ai: (i, s) for s in parent if s + ai <= T and s + ai not in parent}
        parent.update(new)
    if T not in parent:
        return False, None
    P, s = [], T
    while parent[s] is not None:
        i, s = parent[s]
        P.append(i)
    return True, sorted(P)


def has_partition_dp(a: Sequence[int]) -> tuple[bool, list[int] | None]:
    """PARTITION by dynamic programming: an odd total has none."""
    a = check_items(a)
    total = sum(a)
    if total % 2:
        return False, None
    return subset_sum_dp(a, total // 2)


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
    n = inst.n
    Z = inst.y[:, None].astype(np.float64) * inst.X.astype(np.float64)
    # -y_j <w, x_j> + tau <= -y_j theta
    A_ub = np.hstack([-Z, np.ones((inst.m, 1))])
    b_ub = -inst.y.astype(np.float64) * inst.theta
    c = np.zeros(n + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(-1, 1)] * n + [(None, 1)],
                  method="highs")
    if not res.success:
        raise RuntimeError(f"linprog failed: {res.message}")
    return res.x[:n], float(res.x[-1])


def random_instance(n: int, alpha: float, kind: str = "random",
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random ±1 data ``(X, y)`` with ``m = round(alpha n)`` rows.

    ``kind="teacher"`` labels with a random binary teacher (always SAT); ``kind="random"``
    uses uniform labels (SAT with high probability below capacity ``alpha_c ~ 0.83``).
    Same as ``random_perceptron_instance(n, alpha, "planted" | "random", default_rng(seed))``.

    Examples
    --------
    >>> X, y = random_instance(11, 0.6, "teacher", seed=0)
    >>> X.shape, set(y.tolist()) <= {-1, 1}
    ((7, 11), True)
    """
    kinds = {"random": "random", "teacher": "planted"}
    if kind not in kinds:
        raise ValueError(f"kind must be one of {list(kinds)}, got {kind!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {seed!r}")
    inst, _ = random_perceptron_instance(n, alpha, kinds[kind], np.random.default_rng(seed))
    return inst.X, inst.y
