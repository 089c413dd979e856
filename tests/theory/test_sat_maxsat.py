"""Problem (b): minimum errors with RC2 against brute force (sat_theory.md §4)."""


import numpy as np

from theory.sat.brute import brute_force_perceptron  # noqa: E402
from theory.sat.instances import (  # noqa: E402
    make_perceptron_instance,
    random_perceptron_instance,
)
from theory.sat.maxsat import solve_max_accuracy  # noqa: E402
from theory.sat.solve import solve_consistency  # noqa: E402
from theory.sat.verify import verify_perceptron  # noqa: E402


def _check(inst):
    res = solve_max_accuracy(inst)
    brute = brute_force_perceptron(inst)
    assert res.status == "optimal"
    assert res.n_errors == brute.min_errors
    assert verify_perceptron(inst.X, inst.y, res.w, inst.theta).n_errors == res.n_errors
    assert res.n_correct == brute.n_correct
    return res.n_errors


def test_rc2_optimum_equals_brute_force_on_random_instances():
    rng = np.random.default_rng(7)
    optima = []
    for _ in range(150):
        n, m = int(rng.integers(1, 12)), int(rng.integers(1, 25))
        X = 2 * rng.integers(0, 2, (m, n)) - 1
        y = 2 * rng.integers(0, 2, m) - 1
        optima.append(_check(make_perceptron_instance(X, y, int(rng.integers(-1, 2)))))
    assert min(optima) == 0 and max(optima) >= 3    # easy and hard instances both occur


def test_rc2_at_n16():
    for rep in range(10):
        inst, _ = random_perceptron_instance(16, 1.0, "random", np.random.default_rng([16, rep]))
        _check(inst)


def test_consistent_instance_has_cost_zero():
    inst, w_star = random_perceptron_instance(13, 0.6, "planted", 3)
    res = solve_max_accuracy(inst)
    assert res.n_errors == 0 and res.n_correct == inst.m and res.accuracy == 1.0
    assert solve_consistency(inst).status == "sat"
    assert verify_perceptron(inst.X, inst.y, res.w).ok


def test_trivially_impossible_sample_costs_one():
    # theta = 10 > N: every sample with y = +1 is always wrong, y = -1 always right
    inst = make_perceptron_instance([[1, 1, 1], [1, -1, 1], [-1, -1, -1]], [1, 1, -1],
                                    theta=10)
    res = solve_max_accuracy(inst)
    assert res.n_errors == 2 == brute_force_perceptron(inst).min_errors


def test_time_limit_gives_unknown_with_lower_bound():
    inst, _ = random_perceptron_instance(25, 2.0, "random", 0)
    res = solve_max_accuracy(inst, time_limit=1.0)
    assert res.status == "unknown" and res.w is None and res.n_errors is None
    assert 0 <= res.lower_bound <= inst.m
    assert "time limit" in res.reason
