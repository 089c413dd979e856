"""Solve time versus ``n``: SAT against brute force (shared/spec/sat_theory.md §11).

Re-exported by ``theory.hardness``. Every cell ``(alpha, labels, n, rep)`` draws its
instance from ``default_rng([seed, n, round(1000 alpha), rep, 0 if planted else 1])``; SAT
and brute force run on the same instance. Exponential growth is reported, never asserted.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .brute import brute_force_perceptron
from .instances import LABEL_KINDS, random_perceptron_instance
from .verify import verify_perceptron

METHODS = ("sat", "brute")


@dataclass(frozen=True)
class ScalingRecord:
    """One (method, instance) measurement of the scaling experiment."""

    method: str
    labels: str
    alpha: float
    n: int
    m: int
    rep: int
    status: str
    time_s: float
    conflicts: int | None
    n_vars: int | None
    n_clauses: int | None
    verified: bool | None
    agrees_with_brute: bool | None


def _cells(n_values, alphas, labels, reps) -> list[tuple[float, str, int, int]]:
    return [(float(a), lab, int(n), rep) for a in alphas for lab in labels for n in n_values
            for rep in range(reps)]


def _check_grid(n_values, alphas, labels, reps, methods) -> None:
    if not n_values or any(isinstance(n, bool) or not isinstance(n, numbers.Integral)
                           or n < 1 for n in n_values):
        raise ValueError(f"n_values must be a non-empty sequence of ints >= 1, got {n_values}")
    if not alphas or any(not isinstance(a, numbers.Real) or a <= 0 for a in alphas):
        raise ValueError(f"alphas must be a non-empty sequence of numbers > 0, got {alphas}")
    for lab in labels:
        if lab not in LABEL_KINDS:
            raise ValueError(f"labels must be drawn from {list(LABEL_KINDS)}, got {lab!r}")
    for meth in methods:
        if meth not in METHODS:
            raise ValueError(f"methods must be drawn from {list(METHODS)}, got {meth!r}")
    if isinstance(reps, bool) or not isinstance(reps, numbers.Integral) or reps < 1:
        raise ValueError(f"reps must be an int >= 1, got {reps!r}")


def _run_cell(cell, *, seed, methods, time_limit, solver, encoding,
              brute_max_n) -> list[ScalingRecord]:
    from .solve import solve_consistency

    alpha, labels, n, rep = cell
    rng = np.random.default_rng([seed, n, round(alpha * 1000), rep,
                                 0 if labels == "planted" else 1])
    inst, _ = random_perceptron_instance(n, alpha, labels, rng)
    base = {"labels": labels, "alpha": alpha, "n": n, "m": inst.m, "rep": rep}
    brute_status, out = None, []
    if "brute" in methods and n <= brute_max_n:
        start = time.perf_counter()
        b = brute_force_perceptron(inst, max_n=brute_max_n)
        brute_status = "sat" if b.n_consistent else "unsat"
        verified = verify_perceptron(inst.X, inst.y, b.w_best).ok if b.n_consistent else None
        out.append(ScalingRecord("brute", **base, status=brute_status,
                                 time_s=time.perf_counter() - start, conflicts=None,
                                 n_vars=None, n_clauses=None, verified=verified,
                                 agrees_with_brute=None))
    if "sat" in methods:
        r = solve_consistency(inst, solver=solver, encoding=encoding, time_limit=time_limit,
                              _child_ok=True)
        agrees = None if brute_status is None or r.status == "unknown" else \
            r.status == brute_status
        out.insert(0, ScalingRecord("sat", **base, status=r.status, time_s=r.solve_time_s,
                                    conflicts=r.conflicts, n_vars=r.n_vars,
                                    n_clauses=r.n_clauses,
                                    verified=True if r.status == "sat" else None,
                                    agrees_with_brute=agrees))
    return out


def scaling_experiment(n_values: Sequence[int] = (9, 13, 17, 21, 25, 29),
                       alphas: Sequence[float] = (0.6, 0.833),
                       labels: Sequence[str] = ("planted", "random"), reps: int = 3,
                       seed: int = 0, methods: Sequence[str] = METHODS,
                       time_limit: float | None = 3.0, solver: str = "glucose4",
                       encoding: str = "seqcounter", brute_max_n: int = 20,
                       progress: bool = False) -> list[ScalingRecord]:
    """SAT (verified) and brute force on a grid of random instances.

    ``verified`` is True for every ``"sat"`` record (the solver's ``w`` passed
    ``theory.sat.verify``); ``agrees_with_brute`` compares the SAT status with brute force
    wherever both ran. A solver without python-sat interrupts runs in a child process.

    Examples
    --------
    >>> recs = scaling_experiment(n_values=(9,), alphas=(0.6,), reps=1)
    >>> [(r.method, r.labels, r.status) for r in recs]  # doctest: +NORMALIZE_WHITESPACE
    [('sat', 'planted', 'sat'), ('brute', 'planted', 'sat'),
     ('sat', 'random', 'sat'), ('brute', 'random', 'sat')]
    """
    _check_grid(n_values, alphas, labels, reps, methods)
    cells = _cells(n_values, alphas, labels, reps)
    bar = _progress(len(cells), progress)
    records = []
    for cell in cells:
        records += _run_cell(cell, seed=seed, methods=methods, time_limit=time_limit,
                             solver=solver, encoding=encoding, brute_max_n=brute_max_n)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return records


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="scaling", unit="cell")


def scaling(ns: Sequence[int], alpha: float | Sequence[float], seeds: Iterable[int], *,
            solver: str = "glucose4", time_limit: float | None = 3.0, progress: bool = True,
            **kw) -> list[dict]:
    """The issue's entry point: one ``scaling_experiment(reps=1, seed=s)`` per seed.

    Returns one dict per record: its fields plus ``seed`` and ``seconds`` (``= time_s``).
    A tqdm bar counts the cells over all seeds.

    Examples
    --------
    >>> rows = scaling([9], 0.6, seeds=[0, 1], labels=("random",), progress=False)
    >>> sorted({(r["method"], r["seed"]) for r in rows})
    [('brute', 0), ('brute', 1), ('sat', 0), ('sat', 1)]
    """
    alphas = (alpha,) if isinstance(alpha, numbers.Real) else tuple(alpha)
    seeds = list(seeds)
    labels = kw.pop("labels", ("planted", "random"))
    unknown = set(kw) - {"methods", "encoding", "brute_max_n"}
    if unknown:
        raise TypeError(f"scaling() got unexpected keyword arguments {sorted(unknown)}")
    grid = dict(n_values=ns, alphas=alphas, labels=labels, reps=1)
    _check_grid(**grid, methods=kw.get("methods", METHODS))
    bar = _progress(len(seeds) * len(_cells(ns, alphas, labels, 1)), progress)
    rows = []
    for s in seeds:
        for cell in _cells(ns, alphas, labels, 1):
            for rec in _run_cell(cell, seed=s, methods=kw.get("methods", METHODS),
                                 time_limit=time_limit, solver=solver,
                                 encoding=kw.get("encoding", "seqcounter"),
                                 brute_max_n=kw.get("brute_max_n", 20)):
                rows.append({**asdict(rec), "seed": s, "seconds": rec.time_s})
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return rows


def _as_dicts(records) -> list[dict]:
    return [r if isinstance(r, dict) else asdict(r) for r in records]


def summarize_scaling(records) -> list[dict]:
    """One row per ``(method, labels, alpha, n)``: median/max time, fractions solved/SAT.

    Examples
    --------
    >>> rows = summarize_scaling(scaling_experiment((9,), (0.6,), ("random",), reps=2))
    >>> [(r["method"], r["frac_solved"]) for r in rows]
    [('brute', 1.0), ('sat', 1.0)]
    """
    groups: dict[tuple, list[dict]] = {}
    for r in _as_dicts(records):
        groups.setdefault((r["method"], r["labels"], r["alpha"], r["n"]), []).append(r)
    rows = []
    for key in sorted(groups):
        rs = groups[key]
        solved = [r for r in rs if r["status"] != "unknown"]
        conflicts = [r["conflicts"] for r in rs if r["conflicts"] is not None]
        rows.append({
            "method": key[0], "labels": key[1], "alpha": key[2], "n": key[3],
            "count": len(rs),
            "median_time_s": float(np.median([r["time_s"] for r in rs])),
            "max_time_s": float(max(r["time_s"] for r in rs)),
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
    the time limit ("≥ time limit"). Accepts ``ScalingRecord`` objects or the dicts of
    ``scaling``. The title states the solver, the encoding and the limit when given.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_scaling(scaling_experiment((9, 11), (0.6,), ("random",), reps=1))
    >>> len(ax.lines)
    2
    """
    import matplotlib.pyplot as plt

    rows = summarize_scaling(records)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    lines: dict[tuple, list[dict]] = {}
    for r in rows:
        lines.setdefault((r["method"], r["labels"], r["alpha"]), []).append(r)
    hollow_label = "≥ time limit"
    for (method, labels, alpha), rs in sorted(lines.items()):
        rs = sorted(rs, key=lambda r: r["n"])
        timed_out = [r["frac_solved"] < 1 for r in rs]
        ns = [r["n"] for r in rs]
        med = [time_limit if out and time_limit else r["median_time_s"]
               for r, out in zip(rs, timed_out)]
        name = "teacher" if labels == "planted" else "random"
        (line,) = ax.plot(ns, med, "--" if method == "brute" else "-", marker="o",
                          label=f"{method}, {name} labels, alpha={alpha:g}")
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
