"""Thresholds (sat_theory.md §1) and validated instances (§2)."""

import itertools

import numpy as np
import pytest

from theory.sat.instances import (
    make_hidden_instance,
    make_perceptron_instance,
    make_regression_instance,
    random_perceptron_instance,
)
from theory.sat.threshold import agreement_literals, need, weighted_literals


@pytest.mark.parametrize("N, theta, pos, neg", [(5, 0, 3, 3), (4, 0, 2, 3), (1, 0, 1, 1),
                                                (5, 2, 4, 2), (0, 0, 0, 1)])
def test_need_worked_values(N, theta, pos, neg):
    assert need(N, 1, theta) == pos
    assert need(N, -1, theta) == neg


def test_need_is_exact_for_all_small_cases():
    for n in range(1, 9):
        X = np.array(list(itertools.product([-1, 1], repeat=n)))
        # all w against all x at once: scores[w, x]
        scores = X @ X.T
        agree = (X[:, None, :] == X[None, :, :]).sum(axis=2)   # A for label +1
        for theta in range(-2, 3):
            pred = np.where(scores >= theta, 1, -1)
            for y in (1, -1):
                A = agree if y == 1 else n - agree
                assert np.array_equal(A >= need(n, y, theta), y * pred == 1), (n, theta, y)


def test_literals_with_multiplicity():
    lits, N = agreement_literals(np.array([2, -1, 0, 3]), 1)
    assert lits == [1, 1, -2, 4, 4, 4] and N == 6
    lits, N = agreement_literals(np.array([2, -1, 0, 3]), -1)
    assert lits == [-1, -1, 2, -4, -4, -4] and N == 6
    assert weighted_literals(np.array([2, -1, 0, 3]), 1) == ([1, -2, 4], [2, 1, 3], 6)


@pytest.mark.parametrize("X, y, match", [
    ([[1, 2]], [1], r"X must be ±1, found 2 at \(0, 1\).*integer_features=True"),
    ([[1, -1], [1, 0]], [1, 1], r"found 0 at \(1, 1\)"),
    ([[1.5, 1]], [1], "integer values, found 1.5"),
    ([[np.nan, 1]], [1], "integer values, found nan"),
    ([[True, False]], [1], "bool arrays are ambiguous; map to -1/\\+1 explicitly"),
    ([[1, 1]], [True], "bool arrays are ambiguous"),
    ([[1, 1]] * 5, [1] * 4, "shape mismatch: X has m=5 rows but y has 4 entries"),
    ([[1, 1]], [0], "use 2\\*y-1"),
    ([[1, 1]], [2], "labels ±1, found 2 at index 0"),
    (np.zeros((2, 0)), [1, 1], "at least one column"),
    ([1, 1], [1], "X must have 2 dimensions"),
])
def test_bad_input_messages(X, y, match):
    with pytest.raises(ValueError, match=match):
        make_perceptron_instance(X, y)


def test_label_hint_only_for_01():
    with pytest.raises(ValueError) as info:
        make_perceptron_instance([[1], [1]], [1, 3])
    assert "2*y-1" not in str(info.value)


def test_theta_type():
    for bad in (0.5, True, "1"):
        with pytest.raises(TypeError, match="theta must be an int"):
            make_perceptron_instance([[1]], [1], bad)
    assert make_perceptron_instance([[1]], [1], np.int32(2)).theta == 2


def test_integer_features_and_empty_m():
    inst = make_perceptron_instance([[3, -2, 0]], [1], integer_features=True)
    assert inst.integer_features and inst.X.tolist() == [[3, -2, 0]]
    empty = make_perceptron_instance(np.zeros((0, 3), int), np.zeros(0, int))
    assert (empty.m, empty.n, empty.alpha) == (0, 3, 0.0)


def test_instances_do_not_alias_user_arrays():
    X = np.array([[1, -1], [-1, 1]], dtype=np.int64)
    y = np.array([1, -1], dtype=np.int8)
    inst = make_perceptron_instance(X, y)
    X[0, 0], y[0] = -1, -1
    assert inst.X[0, 0] == 1 and inst.y[0] == 1
    assert not np.shares_memory(inst.X, X) and not np.shares_memory(inst.y, y)
    h = make_hidden_instance(X, y, 2)
    assert not np.shares_memory(h.X, X)
    t = np.array([0, 0])
    r = make_regression_instance(X, t)
    assert not np.shares_memory(r.t, t)


def test_unpacks_as_x_y():
    inst = make_perceptron_instance([[1, -1]], [-1])
    X, y = inst
    assert X is inst.X and y is inst.y


def test_hidden_validation():
    with pytest.raises(ValueError, match="H must be >= 1"):
        make_hidden_instance([[1]], [1], 0)
    with pytest.raises(ValueError, match="output must be one of"):
        make_hidden_instance([[1]], [1], 1, "softmax")
    with pytest.raises(ValueError, match="X must be ±1"):
        make_hidden_instance([[2]], [1], 1)


def test_regression_validation():
    with pytest.raises(ValueError, match="shape mismatch: X has m=1 rows but t has 2"):
        make_regression_instance([[1, 2]], [0, 1])
    with pytest.raises(ValueError, match="t must hold integer targets"):
        make_regression_instance([[1, 2]], [0.5])


def test_random_instances_reproducible_and_planted_consistent():
    a, wa = random_perceptron_instance(31, 0.6, "planted", np.random.default_rng(5))
    b, wb = random_perceptron_instance(31, 0.6, "planted", np.random.default_rng(5))
    assert a == b and np.array_equal(wa, wb)
    assert a.m == 19 and a.X.shape == (19, 31)
    assert np.array_equal(np.where(a.X @ wa.astype(np.int64) >= 0, 1, -1), a.y)
    r, w = random_perceptron_instance(31, 0.6, "random", 5)
    assert w is None and r.m == 19
    # draw order: X first, so planted and random share X for the same seed
    assert np.array_equal(r.X, a.X)


def test_random_instance_large_n_no_overflow():
    inst, w = random_perceptron_instance(301, 0.5, "planted", 0)
    assert np.array_equal(np.where(inst.X @ w.astype(np.int64) >= 0, 1, -1), inst.y)


def test_random_instance_m_is_at_least_one():
    assert random_perceptron_instance(3, 0.01, "random", 0)[0].m == 1
    with pytest.raises(ValueError, match="labels must be one of"):
        random_perceptron_instance(3, 0.5, "teacher", 0)
