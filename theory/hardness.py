"""NP-hardness, made executable: PARTITION reductions and the solve-time scaling experiment.

- (R1) PARTITION -> binary perceptron, (R2) PARTITION / SUBSET-SUM -> binary-weight
  regression: docs/theory.md, section "3. NP-hardness" (RECONSTRUCTED: in the spirit of the
  GFT paper's theorem, whose proof could not be read), with the proof sketch. The
  continuous problem stays easy (``real_relaxation``, an LP).
- ``scaling`` / ``plot_scaling``: docs/theory.md, section "4. Scaling".
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from theory.sat import (
    DEFAULT_SOLVER,
    PerceptronInstance,
    RegressionInstance,
    brute_force,
    make_perceptron_instance,
    make_regression_instance,
    misclassified,
    random_instance,
    solve,
)
from theory.sat.instances import KINDS

__all__ = ["ScalingRecord", "has_partition_dp", "partition_to_perceptron",
           "partition_to_regression", "partition_to_weights", "perceptron_to_partition",
           "plot_scaling", "real_relaxation", "regression_solution_to_subset", "scaling",
           "subset_sum_dp", "subset_sum_to_regression", "summarize_scaling",
           "verify_partition"]

METHODS = ("sat", "brute")


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


@dataclass(frozen=True)
class ScalingRecord:
    """One (method, instance) measurement of ``scaling``."""

    method: str
    labels: str
    alpha: float
    n: int
    m: int
    seed: int
    status: str
    seconds: float
    conflicts: int | None = None
    n_vars: int | None = None
    n_clauses: int | None = None
    verified: bool | None = None
    agrees_with_brute: bool | None = None


def _check_grid(ns, alphas, seeds, labels, methods) -> None:
    def ints(v, low):
        return bool(v) and all(not isinstance(x, bool) and isinstance(x, numbers.Integral)
                               and x >= low for x in v)

    if not ints(ns, 1):
        raise ValueError(f"ns must be a non-empty sequence of ints >= 1, got {ns}")
    if not alphas or any(not isinstance(a, numbers.Real) or a <= 0 for a in alphas):
        raise ValueError(f"alpha must be a number > 0 or a non-empty sequence, got {alphas}")
    if not ints(seeds, 0):
        raise ValueError(f"seeds must be a non-empty sequence of ints >= 0, got {seeds}")
    for name, values, allowed in (("labels", labels, KINDS), ("methods", methods, METHODS)):
        for v in values:
            if v not in allowed:
                raise ValueError(f"{name} must be drawn from {list(allowed)}, got {v!r}")


def _cell(n, alpha, labels, seed, *, methods, solver, encoding, time_limit, brute_max_n):
    inst = random_instance(n, alpha, labels,
                           [seed, n, round(alpha * 1000), 0, 0 if labels == "teacher" else 1])
    base = {"labels": labels, "alpha": alpha, "n": n, "m": inst.m, "seed": seed}
    out = []
    if "sat" in methods:
        r = solve(inst, solver=solver, encoding=encoding, time_limit=time_limit)
        out.append(ScalingRecord("sat", **base, status=r.status, seconds=r.solve_seconds,
                                 conflicts=r.conflicts, n_vars=r.n_vars, n_clauses=r.n_clauses,
                                 verified=True if r.status == "sat" else None))
    if "brute" in methods and n <= brute_max_n:
        start = time.perf_counter()
        b = brute_force(inst, max_n=brute_max_n)
        status = "sat" if b.n_consistent else "unsat"
        verified = misclassified(*inst, b.w_best).size == 0 if b.n_consistent else None
        out.append(ScalingRecord("brute", **base, status=status,
                                 seconds=time.perf_counter() - start, verified=verified))
        if out[0].method == "sat" and out[0].status != "unknown":
            out[0] = replace(out[0], agrees_with_brute=out[0].status == status)
    return out


def scaling(ns: Sequence[int], alpha: float | Sequence[float], seeds: Iterable[int] = (0,),
            *, labels: Sequence[str] = ("teacher", "random"),
            methods: Sequence[str] = METHODS, solver: str = DEFAULT_SOLVER,
            encoding: str = "seqcounter", time_limit: float | None = 3.0,
            brute_max_n: int = 20, progress: bool = True) -> list[ScalingRecord]:
    """Solve time versus ``n``: SAT (verified) and brute force on the same random instances.

    Every cell ``(alpha, labels, n, seed)`` draws ``random_instance(n, alpha, labels,
    [seed, n, round(1000 alpha), 0, 0 if teacher else 1])``. ``verified`` is True for
    every ``"sat"`` record (the weights passed the independent check);
    ``agrees_with_brute`` compares the SAT status with brute force wherever both ran.
    Exponential growth is reported, never asserted. A tqdm bar counts the cells.

    Examples
    --------
    >>> recs = scaling([9], 0.6, progress=False)
    >>> [(r.method, r.labels, r.status) for r in recs]  # doctest: +NORMALIZE_WHITESPACE
    [('sat', 'teacher', 'sat'), ('brute', 'teacher', 'sat'),
     ('sat', 'random', 'sat'), ('brute', 'random', 'sat')]
    """
    alphas = (alpha,) if isinstance(alpha, numbers.Real) else tuple(alpha)
    seeds, ns, labels, methods = list(seeds), list(ns), tuple(labels), tuple(methods)
    _check_grid(ns, alphas, seeds, labels, methods)
    cells = [(int(n), float(a), lab, int(s)) for s in seeds for a in alphas for lab in labels
             for n in ns]
    from tqdm import tqdm

    records = []
    for n, a, lab, s in tqdm(cells, desc="scaling", unit="cell", disable=not progress):
        records += _cell(n, a, lab, s, methods=methods, solver=solver, encoding=encoding,
                         time_limit=time_limit, brute_max_n=brute_max_n)
    return records


def summarize_scaling(records) -> list[dict]:
    """One row per ``(method, labels, alpha, n)``: median/max time, fractions solved/SAT.

    Accepts ``ScalingRecord`` objects or dicts with their fields.

    Examples
    --------
    >>> rows = summarize_scaling(scaling([9], 0.6, seeds=(0, 1), labels=("random",),
    ...                                  progress=False))
    >>> [(r["method"], r["frac_solved"]) for r in rows]
    [('brute', 1.0), ('sat', 1.0)]
    """
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        r = r if isinstance(r, dict) else asdict(r)
        groups.setdefault((r["method"], r["labels"], r["alpha"], r["n"]), []).append(r)
    rows = []
    for key in sorted(groups):
        rs = groups[key]
        solved = [r for r in rs if r["status"] != "unknown"]
        conflicts = [r["conflicts"] for r in rs if r["conflicts"] is not None]
        rows.append({
            "method": key[0], "labels": key[1], "alpha": key[2], "n": key[3], "count": len(rs),
            "median_seconds": float(np.median([r["seconds"] for r in rs])),
            "max_seconds": float(max(r["seconds"] for r in rs)),
            "frac_solved": len(solved) / len(rs),
            "frac_sat": (sum(r["status"] == "sat" for r in solved) / len(solved)
                         if solved else None),
            "median_conflicts": float(np.median(conflicts)) if conflicts else None,
        })
    return rows


def plot_scaling(records, ax=None, *, logy: bool = True, time_limit: float | None = None,
                 solver: str | None = None, encoding: str | None = None):
    """Median solve time versus ``n``, one line per ``(method, labels, alpha)``.

    Brute-force lines are dashed. A cell with any time-out is drawn as a hollow marker at
    the time limit ("≥ time limit"). The title states the solver, the encoding and the
    limit when given. Returns the ``matplotlib.axes.Axes``.

    Examples
    --------
    >>> ax = plot_scaling(scaling((9, 11), 0.6, labels=("random",), progress=False))
    >>> len(ax.lines)
    2
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    lines: dict[tuple, list[dict]] = {}
    for r in summarize_scaling(records):
        lines.setdefault((r["method"], r["labels"], r["alpha"]), []).append(r)
    hollow_label = "≥ time limit"
    for (method, labels, alpha), rs in sorted(lines.items()):
        rs = sorted(rs, key=lambda r: r["n"])
        timed_out = [r["frac_solved"] < 1 for r in rs]
        ns = [r["n"] for r in rs]
        med = [time_limit if out and time_limit else r["median_seconds"]
               for r, out in zip(rs, timed_out)]
        (line,) = ax.plot(ns, med, "--" if method == "brute" else "-", marker="o",
                          label=f"{method}, {labels} labels, alpha={alpha:g}")
        if any(timed_out):
            pts = [(n, t) for n, t, out in zip(ns, med, timed_out) if out]
            ax.scatter(*zip(*pts), s=60, facecolors="none", edgecolors=line.get_color(),
                       zorder=3, label=hollow_label)
            hollow_label = None   # one legend entry for all hollow markers
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("n (binary weights)")
    ax.set_ylabel("median time per instance [s]")
    details = [x for x in (solver, encoding,
                           f"limit {time_limit:g} s" if time_limit else None) if x]
    ax.set_title("binary perceptron: SAT vs brute force"
                 + (f" ({', '.join(details)})" if details else ""))
    ax.legend(fontsize=7)
    return ax
