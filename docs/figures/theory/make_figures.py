"""Regenerate the figures of docs/theory.md: ``python docs/figures/theory/make_figures.py``.

scaling.png: SAT (glucose4, seqcounter, 5 s limit) vs brute force, teacher and random
labels, alpha in {0.6, 0.83}, n = 9..33, 5 seeds (brute force up to n = 21).
gap.png and the printed table: the heuristic trainers available in bnncore vs the exact
optimum (random labels).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from theory import gap, hardness  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    rows = hardness.scaling([9, 13, 17, 21, 25, 29, 33], (0.6, 0.833), seeds=range(5),
                            solver="glucose4", time_limit=5.0, brute_max_n=24)
    ax = hardness.plot_scaling(rows, time_limit=5.0, solver="glucose4", encoding="seqcounter")
    ax.figure.tight_layout()
    ax.figure.savefig(HERE / "scaling.png", dpi=120)
    plt.close(ax.figure)
    for row in hardness.summarize_scaling(rows):
        print(row)

    trainers = tuple(t for t in ("ste", "bnn++", "gft") if t in gap.available_trainers())
    records = gap.optimality_gap_grid((11, 15), (0.6, 1.0, 2.0), reps=5, trainers=trainers)
    print(gap.gap_table(records))
    ax = gap.plot_gap(records)
    ax.figure.tight_layout()
    ax.figure.savefig(HERE / "gap.png", dpi=120)
    plt.close(ax.figure)


if __name__ == "__main__":
    main()
