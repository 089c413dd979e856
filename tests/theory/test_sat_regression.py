"""Problem (d): zero-residual binary regression (sat_theory.md §6)."""

import importlib

import numpy as np
import pytest

from theory.sat.brute import brute_force_regression  # noqa: E402
from theory.sat.instances import make_regression_instance  # noqa: E402
from theory.sat.solve import solve_regression_zero  # noqa: E402
from theory.sat.verify import verify_regression  # noqa: E402


def test_agrees_with_brute_force():
    rng = np.random.default_rng(11)
    statuses = []
    for _ in range(120):
        n, m = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        X = rng.integers(-3, 4, (m, n))
        w = 2 * rng.integers(0, 2, n) - 1
        # half the targets are reachable by construction
        t = X @ w if rng.random() < 0.5 else rng.integers(-6, 7, m)
        inst = make_regression_instance(X, t)
        res = solve_regression_zero(inst)
        min_f, w_best, count = brute_force_regression(inst)
        assert verify_regression(X, t, w_best)[1] == min_f and count >= 1
        assert res.status == ("sat" if min_f == 0 else "unsat")
        if res.status == "sat":
            assert verify_regression(X, t, res.w)[1] == 0
        statuses.append(res.status)
    assert {"sat", "unsat"} <= set(statuses)


@pytest.mark.parametrize("X, t", [([[1, 1, 1]], [2]),       # N + t odd
                                  ([[1, 1]], [4]),          # beyond +N
                                  ([[2, 1]], [-5])])        # beyond -N
def test_parity_and_range_are_unsat_without_solver(monkeypatch, X, t):
    solve_mod = importlib.import_module("theory.sat.solve")
    monkeypatch.setattr(solve_mod, "run_sat", lambda *a, **k: pytest.fail("solver called"))
    res = solve_regression_zero(make_regression_instance(X, t))
    assert res.status == "unsat" and "trivially unsat: row 0" in res.reason
