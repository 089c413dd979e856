"""Exact training of a binary perceptron: SAT solve time versus n, brute force, encodings.

Random ±1 data with random labels at ``alpha = m/n = 0.6`` (below capacity, so most
instances are SAT and the solver must *find* weights). For each ``n`` in 20, 40, 60, ...
the median solve time over ``--seeds`` instances is measured with ``theory.sat.solve``
and ``--solver`` (default ``theory.sat.DEFAULT_SOLVER``; a time-out counts as
``>= --time-limit``); the sweep stops once the median reaches the
limit. Brute force runs on the same instances up to ``--brute-max-n`` for comparison.
Then the cardinality encodings (seqcounter, totalizer, kmtotalizer) and solvers
(cadical195, glucose4) are compared at ``--compare-n``.

Every "sat" answer is verified by ``theory.sat.verify`` inside ``solve``. Times are wall
clock on this machine; read the ratios, not the absolute numbers.

Run: ``python benchmarks/bench_sat.py`` (about 10-15 minutes), or ``--quick`` (about a
minute). Options: ``--max-n``, ``--time-limit``, ``--seeds``, ``--solver``,
``--encoding``, ``--compare-n``, ``--compare-time-limit``, ``--brute-max-n``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from theory import sat
from theory.sat import random_instance

ENCODINGS = ("seqcounter", "totalizer", "kmtotalizer")
SOLVERS = ("cadical195", "glucose4")


def solve_times(n: int, seeds: int, *, alpha: float, solver: str, encoding: str,
                time_limit: float, early_stop: bool) -> list[tuple[str, float, int | None]]:
    """(status, solve seconds, conflicts) per seed; unknown counts as the limit."""
    out = []
    for seed in range(seeds):
        X, y = random_instance(n, alpha, "random", seed=seed)
        res = sat.solve(X, y, solver=solver, encoding=encoding, time_limit=time_limit)
        seconds = time_limit if res.status == "unknown" else res.solve_seconds
        out.append((res.status, seconds, res.conflicts))
        timeouts = sum(s == "unknown" for s, _, _ in out)
        if early_stop and timeouts > seeds // 2:     # the median is already >= the limit
            break
    return out


def median_of(runs, seeds: int, time_limit: float) -> float:
    times = [t for _, t, _ in runs] + [time_limit] * (seeds - len(runs))
    return statistics.median(times)


def fmt_time(t: float, limit: float) -> str:
    return f">={limit:.0f} s" if t >= limit else f"{t:8.3f} s"


def sweep(args) -> int:
    print(f"== SAT sweep: alpha={args.alpha}, random labels, {args.seeds} seeds, "
          f"solver={args.solver}, encoding={args.encoding}, limit {args.time_limit:g} s")
    print(f"{'n':>4} {'m':>4} {'median':>11} {'max':>11}  statuses")
    largest, n = 0, args.step
    while n <= args.max_n:
        runs = solve_times(n, args.seeds, alpha=args.alpha, solver=args.solver,
                           encoding=args.encoding, time_limit=args.time_limit,
                           early_stop=True)
        med = median_of(runs, args.seeds, args.time_limit)
        m = random_instance(n, args.alpha, "random", 0).m
        statuses = " ".join(s for s, _, _ in runs) + " (stopped early)" * (len(runs) <
                                                                             args.seeds)
        print(f"{n:>4} {m:>4} {fmt_time(med, args.time_limit):>11} "
              f"{fmt_time(max(t for _, t, _ in runs), args.time_limit):>11}  {statuses}",
              flush=True)
        if med >= args.time_limit:
            break
        largest = n
        n += args.step
    return largest


def brute_vs_sat(args) -> None:
    print(f"\n== brute force vs SAT on the same instances (median over {args.seeds} seeds)")
    print(f"{'n':>4} {'m':>4} {'brute':>11} {'sat':>11} {'brute/sat':>10} {'agree':>6}")
    for n in range(16, args.brute_max_n + 1, 4):
        brute_t, sat_t, agree = [], [], True
        for seed in range(args.seeds):
            X, y = random_instance(n, args.alpha, "random", seed=seed)
            start = time.perf_counter()
            b = sat.brute_force(X, y, max_n=args.brute_max_n)
            brute_t.append(time.perf_counter() - start)
            r = sat.solve(X, y, solver=args.solver, encoding=args.encoding,
                          time_limit=args.time_limit)
            sat_t.append(r.solve_seconds)
            agree &= r.status == ("sat" if b.n_consistent else "unsat")
        mb, ms = statistics.median(brute_t), statistics.median(sat_t)
        print(f"{n:>4} {X.shape[0]:>4} {mb:>9.3f} s {ms:>9.3f} s {mb / ms:>10.1f} "
              f"{str(agree):>6}", flush=True)


def compare(args) -> None:
    n, limit = args.compare_n, args.compare_time_limit
    print(f"\n== encodings x solvers at n={n}, alpha={args.alpha} ({args.seeds} seeds, "
          f"limit {limit:g} s; median solve time, time-outs count as the limit)")
    print(f"{'encoding':<12} {'solver':<11} {'median':>11} {'max':>11} {'solved':>7} "
          f"{'n_vars':>7} {'n_clauses':>9}")
    for encoding in ENCODINGS:
        for solver in SOLVERS:
            runs = solve_times(n, args.seeds, alpha=args.alpha, solver=solver,
                               encoding=encoding, time_limit=limit, early_stop=False)
            X, y = random_instance(n, args.alpha, "random", seed=0)
            enc = sat.encode_perceptron(X, y, encoding=encoding)
            solved = sum(s != "unknown" for s, _, _ in runs)
            print(f"{encoding:<12} {solver:<11} "
                  f"{fmt_time(statistics.median(t for _, t, _ in runs), limit):>11} "
                  f"{fmt_time(max(t for _, t, _ in runs), limit):>11} "
                  f"{solved:>3}/{len(runs):<3} {enc.n_vars:>7} {len(enc.clauses):>9}",
                  flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="small run: --max-n 40 --time-limit 5 --seeds 3 --brute-max-n 20 "
                        "--compare-n 30 --compare-time-limit 5")
    p.add_argument("--max-n", type=int, default=200)
    p.add_argument("--step", type=int, default=20)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.6)
    p.add_argument("--solver", default=sat.DEFAULT_SOLVER,
                   help=f"solver of the sweep (default {sat.DEFAULT_SOLVER})")
    p.add_argument("--encoding", default="seqcounter")
    p.add_argument("--brute-max-n", type=int, default=24)
    p.add_argument("--compare-n", type=int, default=40)
    p.add_argument("--compare-time-limit", type=float, default=10.0)
    args = p.parse_args(argv)
    if args.quick:
        args.max_n, args.time_limit, args.seeds = 40, 5.0, 3
        args.brute_max_n, args.compare_n, args.compare_time_limit = 20, 30, 5.0
    start = time.perf_counter()
    largest = sweep(args)
    print(f"\nlargest n with median solve time < {args.time_limit:g} s: {largest} "
          f"(goal: n >= 60)")
    brute_vs_sat(args)
    compare(args)
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
