"""theory.hardness.threshold: the capacity curve (docs/theory.md, "7. The capacity curve")."""

import math

import matplotlib
import numpy as np
import pytest

from theory.hardness import (
    ALPHA_C,
    Crossing,
    capacity,
    crossings,
    extrapolate,
    p_sat,
    plot_capacity,
)
from theory.hardness.threshold import _logistic_fit, cells


def test_cells_round_alpha_to_integer_m():
    assert cells([10], [0.84, 0.86, 0.9]) == [(10, 8), (10, 9)]
    assert cells([3, 5], [0.1]) == [(3, 1), (5, 1)]
    with pytest.raises(ValueError, match="ns must be"):
        cells([0], [0.5])
    with pytest.raises(ValueError, match="alphas must be"):
        cells([5], [])


def test_cpsat_cdcl_and_brute_force_decide_the_same_instances():
    grid = dict(ns=[9, 13], alphas=[0.6, 0.9, 1.2], seeds=range(8), progress=False)
    brute = capacity(method="brute", **grid)
    for method in ("cpsat", "glucose4"):
        other = capacity(method=method, **grid)
        assert [(r.n, r.m, r.seed, r.sat) for r in other] == \
            [(r.n, r.m, r.seed, r.sat) for r in brute]


def test_capacity_refuses_incomplete_methods_and_undecided_instances():
    for bad in ("anneal", "auto", "ilp"):
        with pytest.raises(ValueError, match="complete method"):
            capacity([9], [0.8], range(2), method=bad, progress=False)
    with pytest.raises(ValueError, match="n <= 24"):
        capacity([31], [0.8], range(2), method="brute", progress=False)
    with pytest.raises(RuntimeError, match="undecided.*every instance decided"):
        capacity([301], [0.83], range(1), time_limit=0.01, progress=False)


def test_p_sat_rows_and_wilson_interval():
    recs = capacity([9], [0.3, 0.9, 2.0], range(30), method="brute", progress=False)
    rows = p_sat(recs)
    assert [r["m"] for r in rows] == [3, 8, 18]
    for r in rows:
        assert r["count"] == 30 and r["low"] <= r["p_sat"] <= r["high"]
    assert rows[0]["p_sat"] >= 0.9 and rows[-1]["p_sat"] <= 0.1


def test_logistic_fit_recovers_a_planted_curve():
    rng = np.random.default_rng(0)
    alpha = rng.uniform(0.6, 1.1, 4000)
    truth_a, truth_s = 0.86, 0.04
    sat = rng.random(4000) < 1 / (1 + np.exp((alpha - truth_a) / truth_s))
    a, s, se = _logistic_fit(alpha, sat)
    assert abs(a - truth_a) < 4 * se and se < 0.01
    assert abs(s - truth_s) < 0.01


def test_extrapolation_is_exact_on_a_line_and_keeps_parity():
    cs = [Crossing(n, 0.82 + 0.7 / n, 0.01, 0.05, 100) for n in (15, 21, 31, 41)]
    cs += [Crossing(n, 0.60 + 0.5 / n, 0.01, 0.05, 100) for n in (16, 24)]
    odd = extrapolate(cs)
    assert odd.alpha_inf == pytest.approx(0.82) and odd.slope == pytest.approx(0.7)
    assert odd.ns == (15, 21, 31, 41) and odd.stderr > 0
    assert extrapolate(cs, "even").alpha_inf == pytest.approx(0.60)
    with pytest.raises(ValueError, match=">= 2 odd n"):
        extrapolate(cs[:1])
    with pytest.raises(ValueError, match="parity"):
        extrapolate(cs, "prime")


def test_small_odd_n_cross_above_alpha_c_and_move_toward_it():
    """Measured, not hard-coded: at n = 9..15 the crossing lies above 0.833 (finite-size
    curves sit higher) and below the annealed bound alpha = 1 + O(1/n)."""
    alphas = np.arange(0.5, 1.5, 0.05)
    recs = capacity([9, 15], alphas, range(60), method="brute", progress=False)
    cross = {c.n: c for c in crossings(recs)}
    for c in cross.values():
        assert ALPHA_C < c.alpha_half < 1.1
    assert cross[15].alpha_half < cross[9].alpha_half + 3 * math.hypot(cross[9].stderr,
                                                                      cross[15].stderr)


def test_crossings_need_a_bracketing_grid():
    recs = capacity([9], [0.2], range(5), method="brute", progress=False)
    with pytest.raises(ValueError, match="bracket"):
        crossings(recs)


def test_plot_capacity_draws_both_panels():
    matplotlib.use("Agg")
    recs = capacity([7, 9, 10], np.arange(0.4, 1.6, 0.1), range(15), method="brute",
                    progress=False)
    left, right = plot_capacity(recs)
    assert len(left.lines) >= 3 and "P(SAT)" in left.get_ylabel()
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert any("odd n" in t for t in labels) and any("even n" in t for t in labels)
    assert any("odd fit" in t for t in labels)
