"""theory.hardness.entropy: first moment, the replica-symmetric entropy, exact counts."""

import math

import matplotlib
import numpy as np
import pytest

from theory.hardness import (
    annealed_entropy,
    plot_entropy,
    rs_capacity,
    rs_entropy,
    rs_solution,
    solution_counts,
)


@pytest.mark.parametrize("n, m", [(12, 6), (11, 4), (10, 7)])
def test_mean_count_matches_the_first_moment(n, m):
    """E[#solutions] = 2^n 2^-m exactly at every n (with sign(0) = +1, even n too)."""
    row = solution_counts([n], [m / n], range(400), progress=False)[0]
    expected = 2.0 ** (n - m)
    assert row["m"] == m
    assert abs(row["mean_count"] - expected) < 4 * row["std_count"] / math.sqrt(400)
    assert row["first_moment"] == pytest.approx(math.log(expected) / n)
    assert row["quenched"] <= row["annealed"] + 1e-12          # Jensen


def test_rs_saddle_point_is_a_fixed_point():
    sol = rs_solution(0.6)
    z, w = np.polynomial.hermite_e.hermegauss(301)
    w = w / math.sqrt(2 * math.pi)
    assert sol.q == pytest.approx(float(w @ np.tanh(math.sqrt(sol.q_hat) * z) ** 2),
                                  abs=1e-10)
    assert 0 < sol.q < 1 and sol.q_hat > 0


def test_rs_entropy_limits_and_bound():
    assert rs_entropy(0.0) == pytest.approx(math.log(2))
    a = np.linspace(0.05, 1.2, 12)
    s = rs_entropy(a)
    assert np.all(np.diff(s) < 0)                         # more samples, fewer solutions
    assert np.all(s < annealed_entropy(a))                # the first moment bounds it
    with pytest.raises(ValueError, match="alpha must be"):
        rs_solution(1.5)


def test_rs_entropy_vanishes_at_the_krauth_mezard_capacity():
    assert rs_capacity() == pytest.approx(0.833, abs=0.001)


def test_plot_entropy():
    matplotlib.use("Agg")
    rows = solution_counts([8, 10], [0.25, 0.5, 0.75], range(10), progress=False)
    ax = plot_entropy(rows)
    assert len(ax.lines) >= 4 and "entropy" in ax.get_ylabel()
