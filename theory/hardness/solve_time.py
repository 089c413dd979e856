"""Solve time versus ``n``, with the back end as a dimension (docs/theory.md, "4. Scaling").

Each cell ``(alpha, labels, n, seed)`` draws one random instance, and every method in
``methods`` solves the same instance: a back end of ``theory.sat.solve`` (``"auto"``,
``"anneal"``, ``"cpsat"``, a python-sat solver name, or ``"sat"`` for the ``solver``
argument) or ``"brute"`` (exhaustive, ``n <= brute_max_n``). A record keeps the status,
who answered, whether the answer is a proof, and the solve time; ``plot_scaling`` draws the
median per ``n`` with SAT, UNSAT and undecided instances marked differently.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from theory.sat import BACKENDS, DEFAULT_SOLVER, brute_force, misclassified, random_instance
from theory.sat import solve as sat_solve
from theory.sat.instances import KINDS
from theory.sat.runner import SOLVERS

#: Methods a scaling grid accepts: "sat" (= the ``solver`` argument), "brute", every back end.
METHODS = ("sat", "brute") + BACKENDS + SOLVERS


@dataclass(frozen=True)
class ScalingRecord:
    """One (method, instance) measurement of ``scaling``.

    ``backend`` is who answered (``"anneal"``, ``"cpsat"``, ``"cdcl"`` or ``"brute"``);
    ``proof`` is True for an ``"unsat"`` decided by a complete method; ``verified`` is True
    for every ``"sat"`` (the weights passed the independent check).
    """

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
    backend: str | None = None
    proof: bool | None = None


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
        if not values:
            raise ValueError(f"{name} must not be empty")
        for v in values:
            if v not in allowed:
                raise ValueError(f"{name} must be drawn from {list(allowed)}, got {v!r}")


def scaling_instance(n: int, alpha: float, labels: str, seed: int):
    """The instance of cell ``(n, alpha, labels, seed)`` (a fixed seed sequence).

    Examples
    --------
    >>> scaling_instance(9, 0.6, "random", 0).m
    5
    """
    return random_instance(n, alpha, labels,
                           [seed, n, round(alpha * 1000), 0, 0 if labels == "teacher" else 1])


def _solve_record(method, inst, base, *, solver, encoding, time_limit, seed):
    name = solver if method == "sat" else method
    cnf = {"encoding": encoding} if name in SOLVERS else {}
    r = sat_solve(inst, solver=name, time_limit=time_limit, seed=seed, **cnf)
    return ScalingRecord(method, **base, status=r.status, seconds=r.solve_seconds,
                         conflicts=r.conflicts, n_vars=r.n_vars, n_clauses=r.n_clauses,
                         verified=True if r.status == "sat" else None, backend=r.backend,
                         proof=r.proof)


def _cell(n, alpha, labels, seed, *, methods, solver, encoding, time_limit, brute_max_n):
    inst = scaling_instance(n, alpha, labels, seed)
    base = {"labels": labels, "alpha": alpha, "n": n, "m": inst.m, "seed": seed}
    out = [_solve_record(mth, inst, base, solver=solver, encoding=encoding,
                         time_limit=time_limit, seed=seed)
           for mth in methods if mth != "brute"]
    if "brute" in methods and n <= brute_max_n:
        start = time.perf_counter()
        b = brute_force(inst, max_n=brute_max_n)
        status = "sat" if b.n_consistent else "unsat"
        verified = misclassified(*inst, b.w_best).size == 0 if b.n_consistent else None
        out = [replace(r, agrees_with_brute=r.status == status) if r.status != "unknown"
               else r for r in out]
        out.append(ScalingRecord("brute", **base, status=status,
                                 seconds=time.perf_counter() - start, verified=verified,
                                 backend="brute", proof=status == "unsat"))
    return out


def scaling(ns: Sequence[int], alpha: float | Sequence[float], seeds: Iterable[int] = (0,),
            *, labels: Sequence[str] = ("teacher", "random"),
            methods: Sequence[str] = ("sat", "brute"), solver: str = DEFAULT_SOLVER,
            encoding: str = "seqcounter", time_limit: float | None = 3.0,
            brute_max_n: int = 20, progress: bool = True) -> list[ScalingRecord]:
    """Solve time versus ``n`` for several back ends on the same random instances.

    Parameters
    ----------
    ns : sequence of int
    alpha : float or sequence of float
        Loads ``m / n``.
    seeds : iterable of int
        One instance per seed and cell: ``scaling_instance(n, alpha, labels, seed)``.
    labels : sequence of {"teacher", "random"}
        Teacher labels are always SAT; random labels are SAT with high probability below
        the capacity ``alpha_c ~ 0.833``.
    methods : sequence of str
        ``"brute"``, ``"sat"`` (``solve`` with ``solver``), or back-end names: ``"auto"``,
        ``"anneal"``, ``"cpsat"``, a python-sat solver (CDCL).
    solver, encoding, time_limit
        Passed to ``theory.sat.solve`` (``solver`` only for ``"sat"``, ``encoding`` only to
        python-sat solvers).
    brute_max_n : int
        Brute force only up to this ``n``.
    progress : bool
        A tqdm bar over the cells.

    Returns
    -------
    list of ScalingRecord
        ``agrees_with_brute`` compares each decided status with brute force where both ran.
        Exponential growth is reported, never asserted.

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


def _as_dict(r) -> dict:
    return r if isinstance(r, dict) else asdict(r)


def summarize_scaling(records, time_limit: float | None = None) -> list[dict]:
    """One row per ``(method, labels, alpha, n)``: median/max time, fractions solved/SAT.

    Accepts ``ScalingRecord`` objects or dicts with their fields. With ``time_limit`` the
    median counts an undecided instance as the limit (the rule of
    ``benchmarks/bench_sat.py``); without it, as the seconds it ran.

    Examples
    --------
    >>> rows = summarize_scaling(scaling([9], 0.6, seeds=(0, 1), labels=("random",),
    ...                                  progress=False))
    >>> [(r["method"], r["frac_solved"]) for r in rows]
    [('brute', 1.0), ('sat', 1.0)]
    """
    groups: dict[tuple, list[dict]] = {}
    for r in map(_as_dict, records):
        groups.setdefault((r["method"], r["labels"], r["alpha"], r["n"]), []).append(r)
    rows = []
    for key in sorted(groups):
        rs = groups[key]
        solved = [r for r in rs if r["status"] != "unknown"]
        conflicts = [r["conflicts"] for r in rs if r.get("conflicts") is not None]
        rows.append({
            "method": key[0], "labels": key[1], "alpha": key[2], "n": key[3], "count": len(rs),
            "median_seconds": float(np.median([
                time_limit if r["status"] == "unknown" and time_limit else r["seconds"]
                for r in rs])),
            "max_seconds": float(max(r["seconds"] for r in rs)),
            "frac_solved": len(solved) / len(rs),
            "frac_sat": (sum(r["status"] == "sat" for r in solved) / len(solved)
                         if solved else None),
            "n_unsat": sum(r["status"] == "unsat" for r in rs),
            "median_conflicts": float(np.median(conflicts)) if conflicts else None,
        })
    return rows


#: Marker of an instance by its status (``plot_scaling``).
STATUS_MARKERS = {"sat": ("o", "SAT (certificate)"), "unsat": ("x", "UNSAT (proof)"),
                  "unknown": ("o", "undecided: drawn at the time limit")}


def plot_scaling(records, ax=None, *, logy: bool = True, time_limit: float | None = None,
                 solver: str | None = None, encoding: str | None = None,
                 alpha: float | None = None, instances: bool = True):
    """Median solve time versus ``n``, one line per ``(method, labels, alpha)``.

    Brute-force lines are dashed. With ``instances=True`` every instance is also drawn: a
    filled dot for SAT (a verified certificate), a cross for UNSAT (a proof), a hollow
    circle at the time limit for an undecided one. The median counts an undecided instance
    as the time limit (the rule of ``benchmarks/bench_sat.py``); a cell where most
    instances are undecided is drawn hollow at the limit ("≥ time limit"), so one UNSAT
    instance that the incomplete search cannot answer does not hide the time of the four
    it solved. ``alpha`` keeps the records of one load.
    The title states the solver, the encoding and the limit when given. Returns the
    ``matplotlib.axes.Axes``.

    Examples
    --------
    >>> ax = plot_scaling(scaling((9, 11), 0.6, labels=("random",), progress=False))
    >>> len(ax.lines)
    2
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    records = [_as_dict(r) for r in records]
    if alpha is not None:
        records = [r for r in records if np.isclose(r["alpha"], alpha)]
    lines: dict[tuple, list[dict]] = {}
    for r in summarize_scaling(records, time_limit):
        lines.setdefault((r["method"], r["labels"], r["alpha"]), []).append(r)
    hollow_label, seen = "≥ time limit", set()
    for (method, labels, a), rs in sorted(lines.items()):
        rs = sorted(rs, key=lambda r: r["n"])
        timed_out = [r["frac_solved"] < 0.5 for r in rs]     # most instances undecided
        ns = [r["n"] for r in rs]
        med = [r["median_seconds"] for r in rs]
        (line,) = ax.plot(ns, med, "--" if method == "brute" else "-", marker=None,
                          label=f"{method}, {labels} labels, alpha={a:g}")
        color = line.get_color()
        if instances:
            for status, (marker, text) in STATUS_MARKERS.items():
                pts = [(r["n"], time_limit if status == "unknown" and time_limit
                        else r["seconds"]) for r in records
                       if (r["method"], r["labels"], r["alpha"]) == (method, labels, a)
                       and r["status"] == status]
                if not pts:
                    continue
                style = ({"color": color} if marker == "x" else
                         {"facecolors": "none" if status == "unknown" else color,
                          "edgecolors": color})
                ax.scatter(*zip(*pts), marker=marker, s=22, alpha=0.8, zorder=3,
                           label=None if text in seen else text, **style)
                seen.add(text)
        if any(timed_out):
            pts = [(n, t) for n, t, out in zip(ns, med, timed_out) if out]
            ax.scatter(*zip(*pts), s=70, facecolors="none", edgecolors=color, zorder=3,
                       label=hollow_label)
            hollow_label = None   # one legend entry for all hollow markers
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("n (binary weights)")
    ax.set_ylabel("solve time per instance [s]")
    details = [x for x in (solver, encoding,
                           f"limit {time_limit:g} s" if time_limit else None) if x]
    ax.set_title("binary perceptron: solve time by back end"
                 + (f" (alpha={alpha:g})" if alpha is not None else "")
                 + (f" ({', '.join(details)})" if details else ""))
    ax.legend(fontsize=7)
    return ax
