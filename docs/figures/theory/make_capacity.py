"""Regenerate the capacity and entropy figures of docs/theory.md (sections 7 and 8):
``python docs/figures/theory/make_capacity.py [capacity|entropy|scaling ...]`` (all three:
about 30-40 minutes on 2 cores).

capacity.png + capacity.json: P(SAT) of random-label instances, every one decided by CP-SAT
(150 instances per (n, m) cell), odd n = 11..41 and even n = 12..40; the crossing of
P(SAT) = 1/2 per n and the 1/n extrapolation of the odd-n crossings.
scaling_backends.png + .json: solve time by back end at alpha = 0.6 and 0.8 (random labels, 5 seeds,
20 s limit; CDCL only up to the n where it stops deciding).
entropy.png: exact solution counts (n = 10..20, 60 instances per cell) next to the annealed
and replica-symmetric entropies.
"""

import json
from dataclasses import asdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from theory import hardness  # noqa: E402

HERE = Path(__file__).parent
ODD, EVEN = (11, 15, 21, 25, 31, 41), (12, 16, 20, 24, 30, 40)


def capacity_figure() -> None:
    recs = hardness.capacity(ODD + EVEN, np.arange(0.6, 1.2001, 0.02), range(150))
    (HERE / "capacity.json").write_text(json.dumps([asdict(r) for r in recs]))
    cross = hardness.crossings(recs)
    print(f"{'n':>4} {'alpha_half':>10} {'stderr':>8} {'width':>7} {'count':>6}")
    for c in cross:
        print(f"{c.n:>4} {c.alpha_half:>10.4f} {c.stderr:>8.4f} {c.width:>7.4f} {c.count:>6}")
    for parity in ("odd", "even"):
        ex = hardness.extrapolate(cross, parity)
        print(f"{parity} n {ex.ns}: alpha_inf = {ex.alpha_inf:.4f} ± {1.96 * ex.stderr:.4f} "
              f"(95%), slope {ex.slope:.3f}; alpha_c = {hardness.ALPHA_C}")
    left, right = hardness.plot_capacity(recs)
    left.figure.tight_layout()
    left.figure.savefig(HERE / "capacity.png", dpi=120)
    plt.close(left.figure)


def scaling_figure() -> None:
    """Each back end on the same instances, CDCL only as far as it decides anything."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    records = []
    ladders = {0.6: {"anneal": (20, 30, 40, 60, 80, 100, 150, 200, 250, 300),
                     "cpsat": (20, 30, 40, 60, 80, 100, 150, 200),
                     "cadical195": (20, 30, 40, 50, 60), "brute": (20, 24)},
               0.8: {"anneal": (20, 30, 40, 50, 60, 70, 80),
                     "cpsat": (20, 30, 40, 50, 60, 70, 80),
                     "cadical195": (20, 30, 40, 50), "brute": (20, 24)}}
    for ax, (alpha, ladder) in zip(axes, ladders.items()):
        recs = [r for method, ns in ladder.items()
                for r in hardness.scaling(ns, alpha, seeds=range(5), labels=("random",),
                                          methods=(method,), time_limit=20.0,
                                          brute_max_n=24, progress=False)]
        records += recs
        hardness.plot_scaling(recs, ax=ax, time_limit=20.0, alpha=alpha)
    fig.tight_layout()
    fig.savefig(HERE / "scaling_backends.png", dpi=120)
    (HERE / "scaling_backends.json").write_text(json.dumps([asdict(r) for r in records]))
    plt.close(fig)


def entropy_figure() -> None:
    rows = hardness.solution_counts((10, 14, 18, 20), np.arange(0.1, 1.01, 0.1), range(60))
    for r in rows:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
    ax = hardness.plot_entropy(rows)
    ax.figure.tight_layout()
    ax.figure.savefig(HERE / "entropy.png", dpi=120)
    plt.close(ax.figure)


if __name__ == "__main__":
    import sys

    figures = {"capacity": capacity_figure, "entropy": entropy_figure,
               "scaling": scaling_figure}
    for name in sys.argv[1:] or figures:     # e.g. ``make_capacity.py scaling``
        figures[name]()
