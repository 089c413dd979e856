"""Exact training of a binary perceptron: how far each back end reaches, below and near capacity.

Random ±1 data with random labels (5 seeds per cell). For each back end of
``theory.sat.solve`` and each load (``alpha = 0.6``: far below the capacity 0.833, almost
every instance SAT; ``alpha = 0.8``: near it, SAT and UNSAT mixed) the median solve time is
measured along a ladder of ``n`` (an undecided instance counts as ``>= --time-limit``); a
back end's sweep stops once its median reaches the limit. Back ends: ``anneal`` (incomplete:
it cannot decide an UNSAT instance), ``cpsat`` (OR-Tools), ``auto`` (the portfolio) and
CDCL configurations (python-sat solver x cardinality encoding).

Printed: one table per (alpha, back end), the largest ``n`` with median < limit per back
end, and the same-run speed-up of the portfolio over the best single PySAT configuration
at the largest ``n`` both decide (ratio of median times). Brute force is the reference at
small ``n``. Every "sat" is verified inside ``solve``; every "unsat" comes from a complete
back end.

Run: ``python benchmarks/bench_sat.py`` (about an hour), or ``--quick`` (a few minutes).
Times are wall clock on a shared machine: read the ratios and the reach, not the digits.
"""

from __future__ import annotations

import argparse
import statistics
import time

from theory import sat
from theory.sat import random_instance

LADDER = (20, 40, 60, 80, 100, 150, 200, 250, 300, 400, 500, 600, 800)
#: The two best CNF configurations of the previous benchmark (cadical195 + seqcounter solved
#: every n = 40 instance; glucose4 + totalizer had the best median there).
CDCL = (("cadical195", "seqcounter"), ("glucose4", "totalizer"))


def run_cell(n: int, alpha: float, seeds: int, backend: tuple[str, str | None],
             limit: float) -> list[tuple[str, float]]:
    """(status, seconds) per seed; stops once the median is already >= the limit."""
    solver, encoding = backend
    out = []
    for seed in range(seeds):
        X, y = random_instance(n, alpha, "random", seed=seed)
        kw = {"encoding": encoding} if encoding else {}
        res = sat.solve(X, y, solver=solver, time_limit=limit, seed=seed, **kw)
        out.append((res.status, limit if res.status == "unknown" else res.seconds))
        if sum(s == "unknown" for s, _ in out) > seeds // 2:
            break
    return out


def median(runs, seeds: int, limit: float) -> float:
    return statistics.median([t for _, t in runs] + [limit] * (seeds - len(runs)))


def fmt(t: float, limit: float) -> str:
    return f">={limit:.0f} s" if t >= limit else f"{t:8.3f} s"


def name(backend) -> str:
    return backend[0] if backend[1] is None else f"{backend[0]}+{backend[1]}"


def sweep(alpha: float, backend, args) -> dict[int, float]:
    """Median per ``n`` along the ladder; prints one row per ``n``."""
    print(f"\n-- {name(backend)} at alpha={alpha}")
    print(f"{'n':>5} {'m':>4} {'median':>11} {'max':>11}  statuses")
    medians = {}
    for n in (k for k in LADDER if k <= args.max_n):
        runs = run_cell(n, alpha, args.seeds, backend, args.time_limit)
        med = median(runs, args.seeds, args.time_limit)
        medians[n] = med
        m = random_instance(n, alpha, "random", 0).m
        statuses = " ".join(s for s, _ in runs) + " (stopped)" * (len(runs) < args.seeds)
        print(f"{n:>5} {m:>4} {fmt(med, args.time_limit):>11} "
              f"{fmt(max(t for _, t in runs), args.time_limit):>11}  {statuses}", flush=True)
        if med >= args.time_limit:
            break
    return medians


def brute_reference(alpha: float, args) -> None:
    print(f"\n-- brute force at alpha={alpha} (median over {args.seeds} seeds)")
    for n in (16, 20, 24):
        if n > args.brute_max_n:
            break
        times = []
        for seed in range(args.seeds):
            X, y = random_instance(n, alpha, "random", seed=seed)
            start = time.perf_counter()
            sat.brute_force(X, y, max_n=args.brute_max_n)
            times.append(time.perf_counter() - start)
        print(f"{n:>5} {statistics.median(times):8.3f} s", flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="--max-n 100 --time-limit 5 --seeds 3 --brute-max-n 20")
    p.add_argument("--max-n", type=int, default=800)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--alphas", type=float, nargs="+", default=[0.6, 0.8])
    p.add_argument("--brute-max-n", type=int, default=24)
    args = p.parse_args(argv)
    if args.quick:
        args.max_n, args.time_limit, args.seeds, args.brute_max_n = 100, 5.0, 3, 20
    sat.solve(random_instance(9, 0.5, "random", 0))       # compile the search, load OR-Tools
    start = time.perf_counter()
    backends = [("anneal", None), ("cpsat", None), ("auto", None)] + list(CDCL)
    print(f"== {args.seeds} seeds per cell, random labels, limit {args.time_limit:g} s "
          f"(undecided counts as the limit)")
    reach: dict[tuple[float, str], dict[int, float]] = {}
    for alpha in args.alphas:
        for b in backends:
            reach[(alpha, name(b))] = sweep(alpha, b, args)
        brute_reference(alpha, args)
    print(f"\n== largest n with median solve time < {args.time_limit:g} s")
    print(f"{'back end':<22}" + "".join(f"{'alpha=' + str(a):>12}" for a in args.alphas))
    largest = {}
    for b in backends:
        row = []
        for alpha in args.alphas:
            ok = [n for n, t in reach[(alpha, name(b))].items() if t < args.time_limit]
            largest[(alpha, name(b))] = max(ok, default=0)
            row.append(f"{largest[(alpha, name(b))]:>12}")
        print(f"{name(b):<22}" + "".join(row))
    print("\n== portfolio (auto) over the best single PySAT configuration")
    for alpha in args.alphas:
        best = max(CDCL, key=lambda b: (largest[(alpha, name(b))],
                                        -reach[(alpha, name(b))].get(
                                            largest[(alpha, name(b))], 0.0)))
        n = min(largest[(alpha, name(best))], largest[(alpha, "auto")])
        if n == 0:
            print(f"alpha={alpha}: no n decided by both")
            continue
        t_cdcl, t_auto = reach[(alpha, name(best))][n], reach[(alpha, "auto")][n]
        print(f"alpha={alpha}: best PySAT {name(best)} reaches n={largest[(alpha, name(best))]}"
              f", auto reaches n={largest[(alpha, 'auto')]}; at n={n}: {name(best)} "
              f"{t_cdcl:.3f} s, auto {t_auto:.3f} s, speed-up {t_cdcl / t_auto:.1f}x")
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
