"""theory.sat.solving: solve, max_accuracy and count_solutions against brute force, for one
neuron, one hidden layer and zero-residual regression; one default solver everywhere.

Hypothesis draws instances small enough for the brute-force oracle: n <= 16 for one
neuron, H in {2, 3} hidden units, random and teacher labels.
"""

import importlib
import inspect
import itertools
import pkgutil

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import theory
from theory import sat
from theory.hardness import partition_to_perceptron
from theory.sat import brute_force, count_solutions, max_accuracy, solve, verify
from theory.sat.instances import (
    make_hidden_instance,
    make_perceptron_instance,
    make_regression_instance,
    random_instance,
)
from theory.sat.runner import CDCL_SOLVER, DEFAULT_SOLVER
from theory.sat.verification import residual

PM1 = st.sampled_from([-1, 1])


def _network_labels(X, W, v):
    h = np.where(X @ W.T >= 0, 1, -1)
    score = h.sum(axis=1) if v is None else h @ v
    return np.where(score >= 0, 1, -1)


@st.composite
def instances(draw):
    hidden = draw(st.sampled_from([None, 2, 3]))
    output = draw(st.sampled_from(["majority", "weights"]))
    if hidden is None:
        n = draw(st.integers(1, 16))
        m = draw(st.integers(1, 12 if n <= 12 else 8))
    else:
        n = draw(st.integers(1, 6 if hidden == 2 else 4))
        m = draw(st.integers(1, 8))
    X = draw(arrays(np.int64, (m, n), elements=PM1))
    kind = draw(st.sampled_from(["random", "teacher"]))
    if kind == "random":
        y = draw(arrays(np.int64, m, elements=PM1))
    elif hidden is None:
        w = draw(arrays(np.int64, n, elements=PM1))
        y = np.where(X @ w >= 0, 1, -1)
    else:
        W = draw(arrays(np.int64, (hidden, n), elements=PM1))
        v = draw(arrays(np.int64, hidden, elements=PM1)) if output == "weights" else None
        y = _network_labels(X, W, v)
    return X, y, hidden, output, kind


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_sat_and_maxsat_agree_with_brute_force(case):
    X, y, hidden, output, kind = case
    brute = brute_force(X, y, hidden, output=output)
    res = solve(X, y, hidden, output=output)
    assert res.status == ("sat" if brute.min_errors == 0 else "unsat")
    if kind == "teacher":
        assert res.status == "sat"
    if res.status == "sat":
        w = res.W if hidden is None or output == "majority" else (res.W, res.v)
        assert verify(X, y, w if hidden is not None else res.w, hidden)
    opt = max_accuracy(X, y, hidden, output=output)
    assert opt.status == "optimal"
    assert opt.n_correct == brute.n_correct
    assert opt.accuracy == pytest.approx(brute.max_accuracy)
    if hidden is None and brute.n_consistent <= 64:
        assert count_solutions(X, y) == brute.n_consistent
    event(f"hidden={hidden} labels={kind} status={res.status}")


def test_one_default_solver_for_every_entry_point():
    """Every function of theory/ with a ``solver`` argument defaults to DEFAULT_SOLVER, and the
    results of every entry point name it."""
    assert sat.DEFAULT_SOLVER == DEFAULT_SOLVER
    seen = []
    for info in pkgutil.walk_packages(theory.__path__, "theory."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if not inspect.isfunction(fn) or fn.__module__ != info.name:
                continue
            param = inspect.signature(fn).parameters.get("solver")
            # solver=None only labels a plot (plot_scaling); every other default is a solver
            if param is not None and param.default not in (inspect.Parameter.empty, None):
                # the PySAT boundary's helpers run CDCL: their default is the portfolio's CDCL
                want = CDCL_SOLVER if info.name == "theory.sat.runner" else DEFAULT_SOLVER
                assert param.default == want, f"{info.name}.{name}"
                seen.append(f"{info.name}.{name}")
    for entry in ("theory.sat.solving.solve", "theory.sat.solving.max_accuracy",
                  "theory.sat.solving.count_solutions", "theory.hardness.solve_time.scaling",
                  "theory.sat.runner.run_sat", "theory.sat.runner.run_maxsat"):
        assert entry in seen
    X, y = random_instance(9, 0.6, "teacher", 0)
    assert solve(X, y).solver == max_accuracy(X, y).solver == DEFAULT_SOLVER
    assert solve(X, y, hidden=2).solver == max_accuracy(X, y, hidden=2).solver == DEFAULT_SOLVER


def test_glucose4_is_deterministic():
    inst = random_instance(25, 0.6, "random", 3)
    a, b = solve(inst, solver="glucose4"), solve(inst, solver="glucose4")
    assert a.status == b.status == "sat"
    assert np.array_equal(a.w, b.w) and a.conflicts == b.conflicts and a.n_vars == b.n_vars


def test_solve_accepts_instances_and_partition():
    inst = partition_to_perceptron([3, 1, 1, 2, 2, 1])
    assert solve(inst).status == "sat"
    X, y = inst
    assert solve(X, y, integer_features=True).status == "sat"
    with pytest.raises(ValueError, match="X must be ±1, found 6"):
        solve(X, y)
    with pytest.raises(ValueError, match="y must be None when X is already an instance"):
        solve(inst, y)


def test_hidden_result_and_brute_force_result():
    X = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
    y = X.prod(axis=1)             # XOR
    assert solve(X, y).status == "unsat"
    res = solve(X, y, hidden=2, output="weights")
    assert res.status == "sat" and res.W.shape == (2, 2) and res.v.shape == (2,)
    assert verify(X, y, (res.W, res.v), hidden=2)
    b = brute_force(X, y, hidden=2, output="weights")
    assert b.min_errors == 0 and b.n_consistent is None and b.n_evaluated == 4 ** 2 * 4
    assert b.v is not None and b.w_best.shape == (2, 2)


def test_hidden_problem_names():
    X, y = np.array([[1, 1], [-1, -1]]), np.array([1, -1])
    res = solve(make_hidden_instance(X, y, 1))
    assert res.problem == "hidden" and res.W.shape == (1, 2)
    opt = max_accuracy(make_hidden_instance(X, y, 1))
    assert opt.problem == "hidden_max_accuracy" and opt.n_errors == 0


@pytest.mark.parametrize("output", ["majority", "weights"])
def test_random_tiny_hidden_instances_agree_with_brute_force(output):
    rng = np.random.default_rng(1 if output == "majority" else 2)
    statuses = []
    for _ in range(40):
        n, H, m = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 9))
        inst = make_hidden_instance(2 * rng.integers(0, 2, (m, n)) - 1,
                                    2 * rng.integers(0, 2, m) - 1, H, output)
        b = brute_force(inst)
        w = b.w_best if b.v is None else (b.w_best, b.v)
        assert sat.misclassified(inst.X, inst.y, w, H, output=output).size == b.min_errors
        res = solve(inst)
        assert res.status == ("sat" if b.min_errors == 0 else "unsat")
        if res.status == "sat":
            w = res.W if res.v is None else (res.W, res.v)
            assert verify(inst.X, inst.y, w, H, output=output)
            assert res.w is res.W and (res.v is None) == (output == "majority")
        opt = max_accuracy(inst)
        assert opt.status == "optimal" and opt.n_errors == b.min_errors
        statuses.append(res.status)
    assert {"sat", "unsat"} <= set(statuses)


def _parity(bits):
    X = np.array(list(itertools.product([-1, 1], repeat=bits)))
    return X, X.prod(axis=1)


@pytest.mark.parametrize("output", ["majority", "weights"])
def test_three_bit_parity_needs_three_units(output):
    X, y = _parity(3)
    for H, want in ((1, "unsat"), (2, "unsat"), (3, "sat")):
        inst = make_hidden_instance(X, y, H, output)
        assert solve(inst).status == want
        assert (brute_force(inst).min_errors == 0) == (want == "sat")


@pytest.mark.parametrize("output, H, optimum", [("weights", 3, 2), ("weights", 4, 0),
                                                ("majority", 3, 4), ("majority", 4, 4),
                                                ("majority", 5, 4)])
def test_four_bit_parity_optimum(output, H, optimum):
    X, y = _parity(4)
    inst = make_hidden_instance(X, y, H, output)
    assert max_accuracy(inst).n_errors == optimum
    assert brute_force(inst).min_errors == optimum


def _check_maxsat(inst):
    res = max_accuracy(inst)
    brute = brute_force(inst)
    assert res.status == "optimal"
    assert res.n_errors == brute.min_errors
    assert sat.misclassified(inst.X, inst.y, res.w, theta=inst.theta).size == res.n_errors
    assert res.n_correct == brute.n_correct
    return res.n_errors


def test_rc2_optimum_equals_brute_force_on_random_instances():
    rng = np.random.default_rng(7)
    optima = []
    for _ in range(150):
        n, m = int(rng.integers(1, 12)), int(rng.integers(1, 25))
        X = 2 * rng.integers(0, 2, (m, n)) - 1
        y = 2 * rng.integers(0, 2, m) - 1
        optima.append(_check_maxsat(make_perceptron_instance(X, y, int(rng.integers(-1, 2)))))
    assert min(optima) == 0 and max(optima) >= 3    # easy and hard instances both occur


def test_rc2_at_n16():
    for rep in range(10):
        _check_maxsat(random_instance(16, 1.0, "random", np.random.default_rng([16, rep])))


def test_consistent_instance_has_cost_zero():
    inst = random_instance(13, 0.6, "teacher", 3)
    res = max_accuracy(inst)
    assert res.n_errors == 0 and res.n_correct == inst.m and res.accuracy == 1.0
    assert solve(inst).status == "sat"
    assert verify(inst.X, inst.y, res.w)


def test_trivially_impossible_sample_costs_one():
    # theta = 10 > N: every sample with y = +1 is always wrong, y = -1 always right
    inst = make_perceptron_instance([[1, 1, 1], [1, -1, 1], [-1, -1, -1]], [1, 1, -1],
                                    theta=10)
    res = max_accuracy(inst)
    assert res.n_errors == 2 == brute_force(inst).min_errors


def test_regression_agrees_with_brute_force():
    rng = np.random.default_rng(11)
    statuses = []
    for _ in range(120):
        n, m = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        X = rng.integers(-3, 4, (m, n))
        w = 2 * rng.integers(0, 2, n) - 1
        # half the targets are reachable by construction
        t = X @ w if rng.random() < 0.5 else rng.integers(-6, 7, m)
        inst = make_regression_instance(X, t)
        res = solve(inst)
        b = brute_force(inst)
        assert residual(X, t, b.w_best)[1] == b.min_errors and b.n_minimizers >= 1
        assert res.status == ("sat" if b.min_errors == 0 else "unsat")
        assert res.problem == "regression_zero"
        if res.status == "sat":
            assert residual(X, t, res.w)[1] == 0 and res.n_errors == 0
        statuses.append(res.status)
    assert {"sat", "unsat"} <= set(statuses)


@pytest.mark.parametrize("X, t", [([[1, 1, 1]], [2]),       # N + t odd
                                  ([[1, 1]], [4]),          # beyond +N
                                  ([[2, 1]], [-5])])        # beyond -N
def test_parity_and_range_are_unsat_without_solver(monkeypatch, X, t):
    portfolio = importlib.import_module("theory.sat.portfolio")
    monkeypatch.setattr(portfolio, "run_sat", lambda *a, **k: pytest.fail("solver called"))
    res = solve(make_regression_instance(X, t), solver="glucose4")
    assert res.status == "unsat" and res.proof and "trivially unsat: row 0" in res.reason


def test_max_accuracy_refuses_regression():
    with pytest.raises(TypeError, match="X must be an array or one of"):
        max_accuracy(make_regression_instance([[1]], [1]))


def test_count_equals_brute_force():
    rng = np.random.default_rng(5)
    counts = []
    for _ in range(50):
        n, m = int(rng.integers(1, 13)), int(rng.integers(1, 10))
        inst = make_perceptron_instance(2 * rng.integers(0, 2, (m, n)) - 1,
                                        2 * rng.integers(0, 2, m) - 1)
        c = count_solutions(inst)
        assert c == brute_force(inst).n_consistent
        counts.append(c)
    assert min(counts) == 0 and max(counts) > 10


def test_count_limit_and_large_n():
    inst = random_instance(12, 0.3, "teacher", 0)
    total = count_solutions(inst)
    assert total > 5
    assert count_solutions(inst, limit=5) == 5
    assert count_solutions(inst, limit=0) == 0
    assert count_solutions(inst, limit=10 ** 6) == total
    big = random_instance(21, 0.3, "teacher", 0)
    with pytest.raises(ValueError, match="n=21 > 20: pass limit="):
        count_solutions(big)
    assert count_solutions(big, limit=3) == 3
    with pytest.raises(ValueError, match="limit must be None or an int >= 0"):
        count_solutions(inst, limit=-1)
    with pytest.raises(ValueError, match="pass limit="):
        count_solutions(np.ones((1, 21), int), [1])


def test_count_solutions_of_arrays():
    X = np.array([[1, 1, 1], [1, -1, -1]])
    y = np.array([1, -1])
    assert count_solutions(X, y) == brute_force(X, y).n_consistent
    assert count_solutions(X, y, limit=1) == 1
    assert count_solutions([[1, 1]], [-1]) == 1 and count_solutions([[1, 1]], [1], limit=2) == 2
