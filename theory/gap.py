"""Optimality gap: how far heuristic BNN trainers land from the exact optimum.

On one small instance (a single binary neuron), each heuristic trainer of ``bnncore`` is
run from several seeds and its training errors are compared with the exact minimum
(brute force for ``n <= 20``, RC2 MaxSAT above). The exact value is a lower bound, so a
negative gap would be a bug. The trainers ``"ste"``, ``"bnn++"`` and ``"gft"`` live in
``theory.heuristics`` (re-exported here) and are described in docs/theory.md, section
"6. The optimality gap".
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from theory.heuristics import (
    TRAINERS,
    available_trainers,
    bnnpp_perceptron,
    check_trainers,
    gft_perceptron,
    ste_perceptron,
)
from theory.sat import brute_force, max_accuracy, misclassified, random_instance, solve
from theory.sat.instances import as_instance

EXACT = ("auto", "brute", "maxsat", "both")


@dataclass(frozen=True)
class GapRecord:
    """One (instance, trainer, seed) run against the exact optimum."""

    n: int
    m: int
    alpha: float
    rep: int
    exact_errors: int | None
    exact_method: str
    exact_status: str
    heuristic: str
    errors_final: int
    errors_best: int
    gap_final: int | None
    gap_best: int | None
    updates: int
    seconds: float


def _exact(inst, exact: str, time_limit: float) -> tuple[int | None, str, str]:
    use_brute = exact in ("brute", "both") or (exact == "auto" and inst.n <= 20)
    # "auto" uses brute force only for n <= 20; an explicit "brute"/"both" allows n <= 24
    brute = brute_force(inst, max_n=24).min_errors if use_brute else None
    if exact == "brute" or (exact == "auto" and use_brute):
        return brute, "brute", "optimal"
    res = max_accuracy(inst, time_limit=time_limit)
    if exact == "both" and res.n_errors != brute:
        raise RuntimeError(f"exact references disagree: brute force {brute} errors, "
                           f"MaxSAT {res.n_errors} ({res.status})")
    return res.n_errors, "maxsat", res.status


def optimality_gap(X, y, trainers: Sequence[str] = ("ste", "bnn++", "gft"),
                   seeds: Sequence[int] = (0, 1, 2), *, epochs: int = 200,
                   exact: str = "auto", time_limit: float = 30.0,
                   rep: int | None = None) -> list[GapRecord]:
    """Train each heuristic on ``(X, y)`` (±1, one binary neuron, sign(0) = +1) and compare
    its training errors with the exact minimum.

    Parameters
    ----------
    X, y : array_like (m, n) and (m,) of ±1
    trainers : sequence of {"ste", "bnn++", "gft"}
    seeds : sequence of int
        One run per trainer and seed; a record's ``rep`` is the seed's index, or ``rep``
        when given (``optimality_gap_grid`` passes the instance's).
    epochs : int
        Full-batch epochs per run.
    exact : {"auto", "brute", "maxsat", "both"}
        ``"auto"``: brute force for ``n <= 20``, else RC2 MaxSAT within ``time_limit``
        seconds (an ``"unknown"`` optimum leaves the gaps ``None``); ``"both"`` raises
        ``RuntimeError`` if the two disagree.

    Returns one ``GapRecord`` per (trainer, seed): ``errors_final``, ``errors_best``
    (best-seen weights), ``gap_* = errors_* - exact_errors``, ``updates`` (sign flips).

    Examples
    --------
    >>> X, y = random_instance(11, 1.0, "random", seed=0)
    >>> recs = optimality_gap(X, y, trainers=("ste",), seeds=(0, 1), epochs=50)
    >>> all(r.gap_best >= 0 and r.errors_best <= r.errors_final for r in recs)
    True
    """
    trainers = check_trainers(trainers)
    if exact not in EXACT:
        raise ValueError(f"exact must be one of {list(EXACT)}, got {exact!r}")
    inst = as_instance(X, y)
    opt, method, status = _exact(inst, exact, time_limit)
    runners = {"ste": ste_perceptron, "bnn++": bnnpp_perceptron, "gft": gft_perceptron}
    records = []
    for name in trainers:
        for idx, seed in enumerate(seeds):
            start = time.perf_counter()
            w_final, w_best, updates = runners[name](inst.X, inst.y, int(seed), epochs=epochs)
            seconds = time.perf_counter() - start
            e_final, e_best = (misclassified(inst.X, inst.y, w).size for w in (w_final, w_best))
            known = opt is not None and status == "optimal"
            records.append(GapRecord(
                inst.n, inst.m, inst.alpha, idx if rep is None else rep,
                opt if known else None, method, status, name, e_final, e_best,
                e_final - opt if known else None, e_best - opt if known else None,
                updates, seconds))
    return records


def optimality_gap_grid(n_values: Sequence[int] = (11, 15),
                        alphas: Sequence[float] = (0.6, 1.0, 2.0), reps: int = 5,
                        seed: int = 0, trainers: Sequence[str] = ("gft", "ste"),
                        exact: str = "auto", time_limit: float = 30.0,
                        epochs: int = 200) -> list[GapRecord]:
    """``optimality_gap`` on random-label instances ``default_rng([seed, n, 1000 alpha,
    rep, 1])``, each trainer run with ``seeds=(seed,)``.

    Examples
    --------
    >>> recs = optimality_gap_grid((9,), (0.6,), reps=2, trainers=("ste",), epochs=20)
    >>> [(r.n, r.m, r.rep, r.heuristic) for r in recs]
    [(9, 5, 0, 'ste'), (9, 5, 1, 'ste')]
    """
    trainers = check_trainers(trainers)
    records = []
    for n, alpha, r in itertools.product(n_values, alphas, range(reps)):
        inst = random_instance(n, alpha, "random", [seed, n, round(alpha * 1000), r, 1])
        records += optimality_gap(inst.X, inst.y, trainers, (seed,), epochs=epochs,
                                  exact=exact, time_limit=time_limit, rep=r)
    return records


def summarize_gap(records: Sequence[GapRecord]) -> list[dict]:
    """Means per ``(n, m, heuristic)``: optimum, errors, gaps, how often the optimum is hit.

    Examples
    --------
    >>> recs = optimality_gap_grid((9,), (0.6,), reps=2, trainers=("ste",), epochs=20)
    >>> row = summarize_gap(recs)[0]
    >>> row["heuristic"], row["runs"], 0.0 <= row["frac_optimal_best"] <= 1.0
    ('ste', 2, True)
    """
    groups: dict[tuple, list[GapRecord]] = {}
    for r in records:
        groups.setdefault((r.n, r.m, r.heuristic), []).append(r)
    def _mean(values: list) -> float | None:
        return float(np.mean(values)) if values else None

    rows = []
    for (n, m, name), rs in sorted(groups.items()):
        known = [r for r in rs if r.gap_best is not None]   # runs with a proven optimum
        rows.append({"n": n, "m": m, "heuristic": name, "runs": len(rs),
                     **{k: _mean([getattr(r, k) for r in known])
                        for k in ("exact_errors", "gap_best", "gap_final")},
                     **{k: _mean([getattr(r, k) for r in rs])
                        for k in ("errors_best", "errors_final", "updates")},
                     "frac_optimal_best": _mean([float(r.gap_best == 0) for r in known])})
    return rows


_COLUMNS = (("optimum", "exact_errors", 7), ("best", "errors_best", 6),   # header, key, width
            ("final", "errors_final", 6), ("gap_best", "gap_best", 8),
            ("gap_final", "gap_final", 9), ("hit_opt", "frac_optimal_best", 7))


def gap_table(records: Sequence[GapRecord]) -> str:
    """The summary as a fixed-width text table (errors are means over runs).

    Examples
    --------
    >>> recs = optimality_gap_grid((9,), (0.6,), reps=1, trainers=("ste",), epochs=20)
    >>> gap_table(recs).splitlines()[0].split()[:4]
    ['n', 'm', 'trainer', 'runs']
    """
    lines = [f"{'n':>3} {'m':>3} {'trainer':<7} {'runs':>4} "
             + " ".join(f"{head:>{w}}" for head, _, w in _COLUMNS)]
    for r in summarize_gap(records):
        cells = ("-" if r[key] is None else f"{r[key]:.2f}" for _, key, _ in _COLUMNS)
        lines.append(f"{r['n']:>3} {r['m']:>3} {r['heuristic']:<7} {r['runs']:>4} "
                     + " ".join(f"{c:>{w}}" for c, (_, _, w) in zip(cells, _COLUMNS)))
    return "\n".join(lines)


def plot_gap(records: Sequence[GapRecord], ax=None):
    """Training accuracy per trainer (final bars, best-seen markers) vs the exact optimum
    (black bars), one group per instance size ``(n, m)``.

    Returns the ``matplotlib.axes.Axes``.

    Examples
    --------
    >>> ax = plot_gap(optimality_gap_grid((9,), (0.6,), reps=1, trainers=("ste",), epochs=5))
    >>> ax.get_ylabel()
    'training accuracy (mean over runs)'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    rows = summarize_gap(records)
    sizes = sorted({(r["n"], r["m"]) for r in rows})
    names = [t for t in TRAINERS if any(r["heuristic"] == t for r in rows)]
    width = 0.8 / (len(names) + 1)
    for gi, (n, m) in enumerate(sizes):
        group = {r["heuristic"]: r for r in rows if (r["n"], r["m"]) == (n, m)}
        opt = [r["exact_errors"] for r in group.values() if r["exact_errors"] is not None]
        if opt:
            ax.bar(gi, 1 - opt[0] / m, width, color="black",
                   label="exact optimum" if gi == 0 else None)
        for ti, name in enumerate(names):
            if name not in group:
                continue
            x, r = gi + (ti + 1) * width, group[name]
            ax.bar(x, 1 - r["errors_final"] / m, width, alpha=0.6, color=f"C{ti}",
                   label=f"{name} (final)" if gi == 0 else None)
            ax.plot([x], [1 - r["errors_best"] / m], "v", color=f"C{ti}", markersize=7,
                    label=f"{name} (best seen)" if gi == 0 else None)
    ax.set_xticks([gi + 0.4 - width / 2 for gi in range(len(sizes))],
                  [f"n={n}, m={m}" for n, m in sizes])
    ax.set_ylabel("training accuracy (mean over runs)")
    ax.set_ylim(0.5, 1.16)
    ax.set_title("heuristic trainers vs the exact optimum (one binary neuron)")
    ax.legend(fontsize=7, loc="upper center", ncol=4)
    return ax


def parity_gap(H_values: Sequence[int] = (3, 5, 9), seeds: int = 20,
               epochs: int = 300) -> list[dict]:
    """3-bit parity with ``H`` hidden units: exact status (SAT at ``H = 3``) vs GFT successes.

    Needs ``bnncore.gft``; raises ``ValueError`` listing the available trainers otherwise.

    Examples
    --------
    >>> row = parity_gap((3,), seeds=1, epochs=5)[0]
    >>> row["exact_status"], 0 <= row["gft_successes"] <= row["seeds"] == 1
    ('sat', True)
    """
    check_trainers(("gft",))
    from bnncore.gft import FullyBinaryMLP, GFTTrainer

    X = np.array(list(itertools.product([-1, 1], repeat=3)), dtype=np.int64)
    y = X.prod(axis=1)
    rows = []
    for H in H_values:
        status = solve(X, y, hidden=H, output="weights").status
        successes = 0
        for s in range(seeds):
            model = FullyBinaryMLP((3, H, 1), output="binary", rng=s)
            trainer = GFTTrainer(model, k0=1, k_min=0, margin=0, rng=s + 1)
            history = trainer.fit((X.astype(np.int8), y.astype(np.int8)), epochs=epochs,
                                  batch_size=len(X), progress=False)
            successes += int(max(history.train_accuracy) >= 1.0)
        rows.append({"H": H, "exact_status": status, "gft_successes": successes, "seeds": seeds})
    return rows


__all__ = ["EXACT", "TRAINERS", "GapRecord", "available_trainers", "bnnpp_perceptron",
           "check_trainers", "gap_table", "gft_perceptron", "optimality_gap",
           "optimality_gap_grid", "parity_gap", "plot_gap", "ste_perceptron", "summarize_gap"]
