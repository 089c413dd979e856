"""theory.gap: the heuristic trainers against the exact optimum (docs/theory.md, section
"6. The optimality gap")."""

import matplotlib
import numpy as np
import pytest

from theory import gap
from theory.gap import (
    available_trainers,
    bnnpp_perceptron,
    optimality_gap,
    optimality_gap_grid,
    ste_perceptron,
)
from theory.sat import brute_force, random_instance

GFT_AVAILABLE = "gft" in available_trainers()


@pytest.fixture(scope="module")
def grid():
    trainers = ("gft", "ste", "bnn++") if GFT_AVAILABLE else ("ste", "bnn++")
    return optimality_gap_grid(n_values=(11, 15), alphas=(0.6, 2.0), reps=5,
                               trainers=trainers)


def test_gaps_are_never_negative(grid):
    assert len(grid) == 2 * 2 * 5 * (3 if GFT_AVAILABLE else 2)
    for r in grid:
        assert r.exact_status == "optimal" and r.exact_method == "brute"
        assert r.gap_final >= 0 and r.gap_best >= 0
        assert r.errors_best <= r.errors_final
        assert r.gap_final == r.errors_final - r.exact_errors
        assert r.updates >= 0


def test_exact_optimum_is_the_brute_force_minimum(grid):
    for r in grid:
        inst = random_instance(r.n, r.alpha, "random", [0, r.n, round(r.alpha * 1000), r.rep, 1])
        assert r.exact_errors == brute_force(inst).min_errors


def test_harder_instances_have_larger_gaps(grid):
    # above capacity (alpha = 2) the optimum has errors, and the latent-weight heuristics
    # land above it on average; below capacity STE's best-seen weights reach it
    for name in ("ste", "bnn++"):
        hard = [r.gap_final for r in grid if r.heuristic == name and r.alpha == 2.0]
        assert np.mean(hard) > 0
    easy = [r.gap_best for r in grid if r.heuristic == "ste" and r.alpha == 0.6]
    assert np.mean(easy) < np.mean([r.gap_best for r in grid
                                    if r.heuristic == "ste" and r.alpha == 2.0])


def test_gft_trend_or_clear_error(grid):
    if GFT_AVAILABLE:
        def mean_gap(alpha):
            return np.mean([r.gap_best for r in grid
                            if r.heuristic == "gft" and r.n == 15 and r.alpha == alpha])

        assert mean_gap(2.0) > mean_gap(0.6)
        rows = gap.parity_gap(H_values=(3, 9), seeds=5, epochs=100)
        assert [r["H"] for r in rows] == [3, 9]
        assert rows[0]["exact_status"] == "sat"           # 3 hidden units suffice (exact)
        assert rows[1]["gft_successes"] >= rows[0]["gft_successes"]
        assert all(0 <= r["gft_successes"] <= r["seeds"] == 5 for r in rows)
    else:
        X, y = random_instance(11, 0.6, seed=0)
        with pytest.raises(ValueError, match=r"trainer 'gft' is not available .*"
                                             r"available trainers: \['ste', 'bnn\+\+'\]"):
            optimality_gap(X, y, trainers=("ste", "gft"))
        with pytest.raises(ValueError, match="trainer 'gft' is not available"):
            gap.parity_gap()


def test_exact_both_agrees():
    X, y = random_instance(11, 1.0, seed=3)
    recs = optimality_gap(X, y, trainers=("ste",), seeds=(0,), exact="both", epochs=20)
    assert recs[0].exact_method == "maxsat" and recs[0].exact_status == "optimal"
    assert recs[0].exact_errors == brute_force(X, y).min_errors


def test_maxsat_reference_above_n20():
    X, y = random_instance(21, 0.6, "teacher", seed=1)
    recs = optimality_gap(X, y, trainers=("ste",), seeds=(0,), epochs=10)
    assert recs[0].exact_method == "maxsat" and recs[0].exact_errors == 0


def test_records_are_reproducible():
    X, y = random_instance(11, 1.0, seed=5)
    a = optimality_gap(X, y, trainers=("ste", "bnn++"), seeds=(0, 1), epochs=40)
    b = optimality_gap(X, y, trainers=("ste", "bnn++"), seeds=(0, 1), epochs=40)
    strip = [(r.heuristic, r.rep, r.errors_final, r.errors_best, r.updates) for r in a]
    assert strip == [(r.heuristic, r.rep, r.errors_final, r.errors_best, r.updates) for r in b]
    assert [r.rep for r in a] == [0, 1, 0, 1]


def test_ste_matches_the_spec_maths():
    """The bnncore composition equals the hand-written update (docs/theory.md, section
    "6. The optimality gap": hinge, Adam, clip)."""
    X, y = random_instance(9, 1.5, seed=2)
    m, n = X.shape
    u = np.random.default_rng(7).uniform(-1, 1, n)
    mom, vel, flips, errs = np.zeros(n), np.zeros(n), 0, []
    for t in range(1, 31):
        w = np.where(u >= 0, 1.0, -1.0)
        s = X @ w / np.sqrt(n)
        g_w = X.T @ (-y * (y * s < 1)) / (m * np.sqrt(n))
        g = g_w * (np.abs(u) <= 1)
        mom = 0.9 * mom + 0.1 * g
        vel = 0.999 * vel + 0.001 * g * g
        step = 0.01 * (mom / (1 - 0.9 ** t)) / (np.sqrt(vel / (1 - 0.999 ** t)) + 1e-8)
        new = np.clip(u - step, -1, 1)
        flips += int(((new >= 0) != (u >= 0)).sum())
        u = new
        errs.append(int((np.where(X @ np.where(u >= 0, 1, -1) >= 0, 1, -1) != y).sum()))
    w_final, w_best, updates = ste_perceptron(X, y, seed=7, epochs=30)
    assert w_final.tolist() == np.where(u >= 0, 1, -1).tolist()
    assert updates == flips
    best = int((np.where(X @ w_best >= 0, 1, -1) != y).sum())
    assert best == min(errs)


def test_gft_perceptron_best_seen_weights():
    if not GFT_AVAILABLE:
        with pytest.raises(ImportError):
            gap.gft_perceptron(*random_instance(9, 1.0, seed=1), seed=0)
        return
    X, y = random_instance(11, 1.5, seed=6)
    w_final, w_best, flips = gap.gft_perceptron(X, y, seed=0, epochs=60)
    errors = [int((np.where(X @ w.astype(np.int64) >= 0, 1, -1) != y).sum())
              for w in (w_final, w_best)]
    assert errors[1] <= errors[0] and flips >= 0
    assert errors[1] >= brute_force(X, y).min_errors
    again = gap.gft_perceptron(X, y, seed=0, epochs=60)
    assert np.array_equal(again[0], w_final) and again[2] == flips


def test_bnnpp_runs_and_is_binary():
    X, y = random_instance(9, 1.0, seed=1)
    w_final, w_best, updates = bnnpp_perceptron(X, y, seed=0, epochs=30)
    assert set(np.unique(w_final).tolist()) <= {-1, 1} and w_best.dtype == np.int8


def test_bad_trainer_names():
    X, y = random_instance(9, 1.0, seed=1)
    with pytest.raises(ValueError, match=r"unknown trainer 'adam'; trainers are"):
        optimality_gap(X, y, trainers=("adam",))
    with pytest.raises(ValueError, match="at least one"):
        optimality_gap(X, y, trainers=())
    with pytest.raises(ValueError, match="exact must be one of"):
        optimality_gap(X, y, trainers=("ste",), exact="lp")
    with pytest.raises(ValueError, match="X must be ±1"):
        optimality_gap([[0, 1]], [1], trainers=("ste",))


def test_table_and_plot(grid):
    matplotlib.use("Agg")
    table = gap.gap_table(grid)
    assert table.splitlines()[0].split()[:3] == ["n", "m", "trainer"]
    assert len(table.splitlines()) == 1 + 4 * (3 if GFT_AVAILABLE else 2)
    ax = gap.plot_gap(grid)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "exact optimum" in labels and "ste (final)" in labels
    import matplotlib.pyplot as plt

    plt.close("all")
