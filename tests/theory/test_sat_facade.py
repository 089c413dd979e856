"""The issue's array-level names: SAT == brute force, MaxSAT == brute-force max accuracy.

Hypothesis draws the instances: n <= 16 for one neuron, small enough hidden layers for the
brute-force oracle (H in {2, 3}), random and teacher labels.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from theory import sat  # noqa: E402

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
    brute = sat.brute_force(X, y, hidden, output=output)
    res = sat.solve(X, y, hidden, output=output)
    assert res.status == ("sat" if brute.min_errors == 0 else "unsat")
    if kind == "teacher":
        assert res.status == "sat"
    if res.status == "sat":
        w = res.W if hidden is None or output == "majority" else (res.W, res.v)
        assert sat.verify(X, y, w if hidden is not None else res.w, hidden)
    opt = sat.max_accuracy(X, y, hidden, output=output)
    assert opt.status == "optimal"
    assert opt.n_correct == brute.n_correct
    assert opt.accuracy == pytest.approx(brute.max_accuracy)
    if hidden is None and brute.n_consistent <= 64:
        assert sat.count_solutions(X, y) == brute.n_consistent
    event(f"hidden={hidden} labels={kind} status={res.status}")


def test_encode_perceptron_decode_and_solve():
    from pysat.solvers import Solver

    X = np.array([[1, -1, 1, 1, -1], [-1, -1, 1, -1, 1], [1, 1, 1, -1, -1]])
    y = np.array([1, -1, 1])
    enc = sat.encode_perceptron(X, y)
    with Solver(name="glucose4", bootstrap_with=enc.clauses) as s:
        assert s.solve()
        w = enc.decode(s.get_model())
    assert w.dtype == np.int8 and sat.verify(X, y, w)
    assert sat.encode_perceptron(X, y, "totalizer").n_vars != enc.n_vars


def test_encode_bnn_shapes():
    X = np.array([[1, -1, 1], [-1, -1, 1]])
    enc = sat.encode_bnn(X, [1, -1], 3)
    assert enc.w_vars.shape == (3, 3) and enc.v_vars is None and enc.a_vars.shape == (2, 3)
    enc = sat.encode_bnn(X, [1, -1], 2, output="weights", maxsat=True)
    assert enc.v_vars.shape == (2,) and len(enc.soft) == 2


def test_solve_accepts_instances_and_partition():
    from theory.hardness import partition_to_perceptron

    inst = partition_to_perceptron([3, 1, 1, 2, 2, 1])
    assert sat.solve(inst).status == "sat"
    X, y = inst
    assert sat.solve(X, y, integer_features=True).status == "sat"
    with pytest.raises(ValueError, match="X must be ±1, found 6"):
        sat.solve(X, y)
    with pytest.raises(ValueError, match="y must be None when X is already an instance"):
        sat.solve(inst, y)


def test_hidden_result_and_brute_force_result():
    X = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
    y = X.prod(axis=1)             # XOR
    assert sat.solve(X, y).status == "unsat"
    res = sat.solve(X, y, hidden=2, output="weights")
    assert res.status == "sat" and res.W.shape == (2, 2) and res.v.shape == (2,)
    assert sat.verify(X, y, (res.W, res.v), hidden=2)
    b = sat.brute_force(X, y, hidden=2, output="weights")
    assert b.min_errors == 0 and b.n_consistent is None and b.n_evaluated == 4 ** 2 * 4
    assert b.v is not None and b.w_best.shape == (2, 2)


def test_count_solutions_facade():
    X = np.array([[1, 1, 1], [1, -1, -1]])
    y = np.array([1, -1])
    assert sat.count_solutions(X, y) == sat.brute_force(X, y).n_consistent
    assert sat.count_solutions(X, y, limit=1) == 1


def test_brute_force_limit_is_20_in_the_facade():
    X = np.ones((1, 21), int)
    with pytest.raises(ValueError, match="above max_n=20"):
        sat.brute_force(X, [1])
    assert sat.brute_force(X, [1], max_n=21).n_evaluated == 2 ** 21


def test_function_names_shadow_the_modules():
    import importlib

    assert callable(sat.solve) and callable(sat.verify)
    assert not hasattr(sat.solve, "solve_consistency")
    assert hasattr(importlib.import_module("theory.sat.solve"), "solve_consistency")
    assert hasattr(importlib.import_module("theory.sat.verify"), "verify_perceptron")
