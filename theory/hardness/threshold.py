"""The capacity of the binary perceptron, measured: P(SAT) versus alpha, its crossing of 1/2
for each ``n``, and the extrapolation of the crossing in ``1/n`` (docs/theory.md, section
"7. The capacity curve").

For random ±1 patterns with random labels the fraction of satisfiable instances falls from 1
to 0 around ``alpha = m/n``; the large-``n`` threshold is ``alpha_c = 0.833`` (Krauth &
Mézard 1989; rigorous upper bound 0.847, Altschuler & Tikhomirov 2024). Every instance is
decided by a complete method (CP-SAT, CDCL or brute force; never ``"unknown"``). Since
``m = floor(alpha n + 0.5)`` is an integer, a cell is ``(n, m)``: requested loads that round
to the same ``m`` share their instances, and ``alpha`` is reported as ``m / n``.

Odd ``n`` never ties (``<w, x>`` is odd), which is the setting of the enumeration literature
and of ``alpha_c``; even ``n`` with this library's ``sign(0) = +1`` is another finite-size
curve (a tie always predicts +1), drawn separately and never compared with ``alpha_c``.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from theory.sat import brute_force, random_instance
from theory.sat import solve as sat_solve
from theory.sat.runner import SOLVERS

#: The replica-symmetric / 1RSB capacity of the binary perceptron (Krauth & Mézard 1989).
ALPHA_C = 0.833
#: Complete methods ``capacity`` accepts.
COMPLETE = ("cpsat", "brute") + SOLVERS


@dataclass(frozen=True)
class CapacityRecord:
    """One decided instance: ``sat`` is True iff some binary ``w`` fits every label."""

    n: int
    m: int
    alpha: float
    seed: int
    sat: bool
    method: str
    seconds: float


@dataclass(frozen=True)
class Crossing:
    """The load where P(SAT) = 1/2 for one ``n`` (logistic maximum likelihood in ``alpha``).

    ``alpha_half`` and its standard error ``stderr`` (from the Fisher information),
    ``width`` the logistic scale, ``count`` the instances used.
    """

    n: int
    alpha_half: float
    stderr: float
    width: float
    count: int


@dataclass(frozen=True)
class Extrapolation:
    """``alpha_half(n) = alpha_inf + slope / n``, weighted least squares over ``ns``."""

    alpha_inf: float
    stderr: float
    slope: float
    ns: tuple[int, ...]


def _ints(values: object, name: str, low: int) -> list[int]:
    vals = list(values) if isinstance(values, Iterable) else []
    if not vals or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low
                       for v in vals):
        raise ValueError(f"{name} must be a non-empty sequence of ints >= {low}, got {values!r}")
    return [int(v) for v in vals]


def cells(ns: Sequence[int], alphas: Sequence[float]) -> list[tuple[int, int]]:
    """The distinct ``(n, m)`` of the grid, ``m = max(1, floor(alpha n + 0.5))``.

    Examples
    --------
    >>> cells([5], [0.5, 0.55, 0.8])
    [(5, 3), (5, 4)]
    """
    ns = _ints(ns, "ns", 1)
    alphas = list(alphas) if isinstance(alphas, Iterable) else []
    if not alphas or any(isinstance(a, bool) or not isinstance(a, numbers.Real) or not a > 0
                         for a in alphas):
        raise ValueError(f"alphas must be a non-empty sequence of numbers > 0, got {alphas!r}")
    return sorted({(n, max(1, int(np.floor(a * n + 0.5)))) for n in ns for a in alphas})


def capacity(ns: Sequence[int], alphas: Sequence[float], seeds: Iterable[int], *,
             method: str = "cpsat", time_limit: float | None = None,
             progress: bool = True) -> list[CapacityRecord]:
    """Decide random-label instances on a grid of ``(n, alpha)``: the data of the capacity
    curve.

    Parameters
    ----------
    ns : sequence of int
        Use odd ``n`` to compare with ``alpha_c`` (no ties).
    alphas : sequence of float
        Requested loads; see ``cells`` for the rounding to ``m``.
    seeds : iterable of int
        One instance per seed and cell: ``random_instance(n, m/n, "random",
        [seed, n, m, 7])``.
    method : str
        A complete method: ``"cpsat"`` (default), ``"brute"`` (``n <= 24``) or a python-sat
        solver name. The incomplete search is refused: it cannot prove UNSAT.
    time_limit : float, optional
        Per instance. An undecided instance raises ``RuntimeError``: a capacity curve needs
        every instance decided.
    progress : bool
        A tqdm bar over the instances.

    Returns
    -------
    list of CapacityRecord

    Examples
    --------
    >>> recs = capacity([7], [0.3, 2.0], range(4), method="brute", progress=False)
    >>> [(r.m, r.sat) for r in recs if r.seed == 0]
    [(2, True), (14, False)]
    """
    if method not in COMPLETE:
        raise ValueError(f"method must be a complete method {list(COMPLETE)[:3]} or a "
                         f"python-sat solver name, got {method!r}")
    grid = cells(ns, alphas)
    seeds = _ints(seeds, "seeds", 0)
    if method == "brute" and max(n for n, _ in grid) > 24:
        raise ValueError("method='brute' enumerates 2^n weights: use n <= 24 or 'cpsat'")
    from tqdm import tqdm

    jobs = [(n, m, s) for n, m in grid for s in seeds]
    records = []
    for n, m, s in tqdm(jobs, desc="capacity", unit="instance", disable=not progress):
        inst = random_instance(n, m / n, "random", [s, n, m, 7])
        start = time.perf_counter()
        if method == "brute":
            sat = brute_force(inst, max_n=24).n_consistent > 0
        else:
            res = sat_solve(inst, solver=method, time_limit=time_limit, seed=s)
            if res.status == "unknown":
                raise RuntimeError(f"instance (n={n}, m={m}, seed={s}) undecided within "
                                   f"time_limit={time_limit}: the capacity curve needs "
                                   f"every instance decided (raise or drop the limit)")
            sat = res.status == "sat"
        records.append(CapacityRecord(n, m, m / n, s, bool(sat), method,
                                      time.perf_counter() - start))
    return records


def p_sat(records: Sequence[CapacityRecord]) -> list[dict]:
    """One row per ``(n, m)``: ``alpha``, ``count``, ``p_sat`` and a 95% Wilson interval.

    Examples
    --------
    >>> rows = p_sat(capacity([7], [2.0], range(3), method="brute", progress=False))
    >>> rows[0]["p_sat"], rows[0]["count"]
    (0.0, 3)
    """
    groups: dict[tuple[int, int], list[bool]] = {}
    for r in records:
        groups.setdefault((r.n, r.m), []).append(r.sat)
    rows = []
    z = 1.959963984540054
    for (n, m), sats in sorted(groups.items()):
        k, c = sum(sats), len(sats)
        p = k / c
        centre = (p + z * z / (2 * c)) / (1 + z * z / c)
        half = z * np.sqrt(p * (1 - p) / c + z * z / (4 * c * c)) / (1 + z * z / c)
        rows.append({"n": n, "m": m, "alpha": m / n, "count": c, "p_sat": p,
                     "low": 0.0 if k == 0 else max(0.0, centre - half),
                     "high": 1.0 if k == c else min(1.0, centre + half)})
    return rows


def _logistic_fit(alpha: np.ndarray, sat: np.ndarray) -> tuple[float, float, float]:
    """Maximum-likelihood ``P(SAT) = 1 / (1 + exp((alpha - a) / s))``: ``(a, s, se(a))``."""
    from scipy.optimize import minimize

    def nll(params):
        a, log_s = params
        t = (alpha - a) / np.exp(log_s)
        # -log P(sat) = log(1 + e^t); -log P(unsat) = log(1 + e^-t)
        return float(np.sum(np.where(sat, np.logaddexp(0, t), np.logaddexp(0, -t))))

    start = np.array([float(np.median(alpha)), np.log(0.05)])
    res = minimize(nll, start, method="Nelder-Mead",
                   options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
    a, s = float(res.x[0]), float(np.exp(res.x[1]))
    p = 1 / (1 + np.exp((alpha - a) / s))
    info = np.sum(p * (1 - p)) / s ** 2          # Fisher information of a (s held fixed)
    return a, s, float(1 / np.sqrt(info)) if info > 0 else float("inf")


def crossings(records: Sequence[CapacityRecord]) -> list[Crossing]:
    """``alpha`` where P(SAT) = 1/2, for each ``n`` (needs both SAT and UNSAT instances).

    Examples
    --------
    >>> recs = capacity([9], [0.5, 0.8, 1.1, 1.4], range(20), method="brute",
    ...                 progress=False)
    >>> 0.5 < crossings(recs)[0].alpha_half < 1.4
    True
    """
    out = []
    for n in sorted({r.n for r in records}):
        rs = [r for r in records if r.n == n]
        sat = np.array([r.sat for r in rs])
        if sat.all() or not sat.any():
            raise ValueError(f"n={n}: every instance is {'SAT' if sat.all() else 'UNSAT'}; "
                             f"widen alphas so that the grid brackets P(SAT) = 1/2")
        a, s, se = _logistic_fit(np.array([r.alpha for r in rs]), sat)
        out.append(Crossing(n, a, se, s, len(rs)))
    return out


def extrapolate(cross: Sequence[Crossing], parity: str = "odd") -> Extrapolation:
    """Weighted least squares of ``alpha_half`` on ``1/n`` (weights ``1/stderr^2``).

    ``parity`` keeps ``"odd"`` (the default: the curve comparable with ``alpha_c``),
    ``"even"`` or ``"all"`` ``n``.

    Examples
    --------
    >>> c = [Crossing(n, 0.8 + 1.0 / n, 0.01, 0.05, 100) for n in (11, 21, 31)]
    >>> round(extrapolate(c).alpha_inf, 6), round(extrapolate(c).slope, 6)
    (0.8, 1.0)
    """
    keep = {"odd": lambda n: n % 2 == 1, "even": lambda n: n % 2 == 0,
            "all": lambda n: True}
    if parity not in keep:
        raise ValueError(f"parity must be 'odd', 'even' or 'all', got {parity!r}")
    cs = [c for c in cross if keep[parity](c.n)]
    if len(cs) < 2:
        raise ValueError(f"extrapolation needs crossings at >= 2 {parity} n, got "
                         f"{[c.n for c in cs]}")
    x = np.array([1.0 / c.n for c in cs])
    yv = np.array([c.alpha_half for c in cs])
    w = np.array([1.0 / max(c.stderr, 1e-9) ** 2 for c in cs])
    A = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    beta = cov @ (A.T @ (w * yv))
    return Extrapolation(float(beta[0]), float(np.sqrt(cov[0, 0])), float(beta[1]),
                         tuple(c.n for c in cs))


def plot_capacity(records: Sequence[CapacityRecord], axes=None):
    """Two panels: P(SAT) versus ``alpha`` per ``n`` (odd solid, even dashed, 95% Wilson
    bands), and the crossings versus ``1/n`` with the odd-``n`` extrapolation and
    ``alpha_c = 0.833``. Returns the two ``Axes``.

    Examples
    --------
    >>> recs = capacity([7, 9], [0.5, 0.8, 1.1, 1.4], range(12), method="brute",
    ...                 progress=False)
    >>> left, right = plot_capacity(recs)
    >>> len(left.lines)          # two n, the P = 1/2 line, alpha_c
    4
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    left, right = axes
    rows = p_sat(records)
    for n in sorted({r["n"] for r in rows}):
        rs = [r for r in rows if r["n"] == n]
        a = [r["alpha"] for r in rs]
        (line,) = left.plot(a, [r["p_sat"] for r in rs], "-" if n % 2 else "--", marker="o",
                            ms=3, label=f"n={n} ({'odd' if n % 2 else 'even, sign(0)=+1'})")
        left.fill_between(a, [r["low"] for r in rs], [r["high"] for r in rs],
                          color=line.get_color(), alpha=0.12)
    left.axhline(0.5, color="grey", lw=0.8)
    left.axvline(ALPHA_C, color="k", ls=":", lw=1, label=r"$\alpha_c$ = 0.833")
    left.set_xlabel(r"$\alpha = m / n$")
    left.set_ylabel("P(SAT)")
    left.set_title("fraction of satisfiable random instances")
    left.legend(fontsize=7)
    try:
        cross = crossings(records)
    except ValueError:
        cross = []
    for parity, marker in (("odd", "o"), ("even", "s")):
        cs = [c for c in cross if (c.n % 2 == 1) == (parity == "odd")]
        if not cs:
            continue
        right.errorbar([1 / c.n for c in cs], [c.alpha_half for c in cs],
                       yerr=[1.96 * c.stderr for c in cs], fmt=marker, capsize=3,
                       label=f"{parity} n: P(SAT) = 1/2")
        if len(cs) >= 2:
            ex = extrapolate(cross, parity)
            xs = np.linspace(0, max(1 / c.n for c in cs), 50)
            right.plot(xs, ex.alpha_inf + ex.slope * xs, "--", lw=1,
                       label=f"{parity} fit: {ex.alpha_inf:.3f} ± {1.96 * ex.stderr:.3f} "
                             f"at 1/n = 0")
    right.axhline(ALPHA_C, color="k", ls=":", lw=1, label=r"$\alpha_c$ = 0.833 (KM 1989)")
    right.set_xlim(left=0)
    right.set_xlabel("1 / n")
    right.set_ylabel(r"$\alpha$ where P(SAT) = 1/2")
    right.set_title("finite-size crossing and its extrapolation")
    right.legend(fontsize=7)
    return left, right
