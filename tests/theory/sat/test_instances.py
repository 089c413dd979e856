"""theory.sat.instances: validated instances, as_instance, random_instance, bad input."""

import numpy as np
import pytest

from theory import sat
from theory.sat.instances import (
    as_instance,
    make_hidden_instance,
    make_perceptron_instance,
    make_regression_instance,
    random_instance,
)


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


@pytest.mark.parametrize("fn", [sat.solve, sat.max_accuracy, sat.brute_force,
                                sat.encode_perceptron, sat.count_solutions])
def test_entries_not_pm1_through_every_entry_point(fn):
    with pytest.raises(ValueError, match=r"X must be ±1, found 0 at \(1, 0\)"):
        fn([[1, 1], [0, 1]], [1, -1])
    with pytest.raises(ValueError, match=r"y must hold labels ±1, found 0 at index 1; use 2\*y-1"):
        fn([[1, 1], [1, 1]], [1, 0])
    with pytest.raises(ValueError, match="bool arrays are ambiguous"):
        fn(np.ones((2, 2), bool), [1, -1])
    with pytest.raises(ValueError, match=r"X must hold integer values, found nan at \(0, 1\)"):
        fn([[1, np.nan]], [1])
    with pytest.raises(ValueError, match="X must hold integer values, found 0.5"):
        fn([[0.5, 1]], [1])


@pytest.mark.parametrize("fn", [sat.solve, sat.max_accuracy, sat.brute_force])
def test_shape_mismatch_and_empty(fn):
    with pytest.raises(ValueError, match="shape mismatch: X has m=2 rows but y has 3 entries"):
        fn([[1, 1], [1, -1]], [1, 1, 1])
    with pytest.raises(ValueError, match=r"X must not be empty: got shape \(0, 3\)"):
        fn(np.zeros((0, 3), int), np.zeros(0, int))
    with pytest.raises(ValueError, match=r"X must have at least one column .* \(2, 0\)"):
        fn(np.zeros((2, 0), int), [1, 1])


def test_empty_instance_is_rejected_by_every_entry_point():
    # m = 0 is a valid instance (every w is consistent), but no entry point trains on it
    inst = make_perceptron_instance(np.zeros((0, 3), int), np.zeros(0, int))
    assert (inst.m, inst.n) == (0, 3)
    for fn in (sat.solve, sat.max_accuracy, sat.brute_force, sat.count_solutions,
               sat.encode_perceptron):
        with pytest.raises(ValueError, match=r"X must not be empty: got shape \(0, 3\)"):
            fn(inst)


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


def test_hidden_argument():
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        sat.solve([[1]], [1], hidden=0)
    with pytest.raises(TypeError, match="hidden must be an int"):
        sat.solve([[1]], [1], hidden=1.5)


def test_as_instance_rules():
    inst = make_perceptron_instance([[1, -1]], [1])
    assert as_instance(inst) is inst
    assert as_instance(inst, hidden=2).H == 2
    with pytest.raises(ValueError, match="y must be None when X is already an instance"):
        as_instance(inst, [1])
    with pytest.raises(ValueError, match="y is required when X is an array"):
        as_instance([[1, -1]])
    with pytest.raises(ValueError, match="hidden must be None when X is a HiddenInstance"):
        as_instance(make_hidden_instance([[1]], [1], 1), hidden=2)
    reg = make_regression_instance([[1, 2]], [3])
    with pytest.raises(TypeError, match="X must be an array or one of"):
        as_instance(reg)
    assert as_instance(reg, regression=True) is reg


def test_regression_validation():
    with pytest.raises(ValueError, match="shape mismatch: X has m=1 rows but t has 2"):
        make_regression_instance([[1, 2]], [0, 1])
    with pytest.raises(ValueError, match="t must hold integer targets"):
        make_regression_instance([[1, 2]], [0.5])


def _teacher(seed, m, n):
    """The teacher of random_instance(..., "teacher", seed): drawn right after X."""
    rng = np.random.default_rng(seed)
    rng.integers(0, 2, (m, n))
    return (2 * rng.integers(0, 2, n) - 1).astype(np.int64)


def test_random_instances_reproducible_and_teacher_consistent():
    a = random_instance(31, 0.6, "teacher", np.random.default_rng(5))
    b = random_instance(31, 0.6, "teacher", np.random.default_rng(5))
    assert a == b
    assert a.m == 19 and a.X.shape == (19, 31)
    wa = _teacher(5, 19, 31)
    assert np.array_equal(np.where(a.X @ wa >= 0, 1, -1), a.y)
    r = random_instance(31, 0.6, "random", 5)
    assert r.m == 19
    # draw order: X first, so teacher and random labels share X for the same seed
    assert np.array_equal(r.X, a.X)


def test_random_instance_large_n_no_overflow():
    inst = random_instance(301, 0.5, "teacher", 0)
    w = _teacher(0, inst.m, 301)
    assert np.array_equal(np.where(inst.X @ w >= 0, 1, -1), inst.y)


def test_random_instance_m_is_at_least_one():
    assert random_instance(3, 0.01, "random", 0).m == 1
    with pytest.raises(ValueError, match="kind must be one of"):
        random_instance(3, 0.5, "planted", 0)


def test_random_instance_generator():
    X, y = random_instance(21, 0.6, "teacher", seed=4)
    assert X.shape == (13, 21) and sat.solve(X, y).status == "sat"
    X2, y2 = random_instance(21, 0.6, "teacher", seed=4)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    Xr, yr = random_instance(21, 0.6, "random", seed=4)
    assert np.array_equal(Xr, X)        # same X stream; labels differ in kind
    assert random_instance(9, 0.6, seed=[1, 2]) == random_instance(9, 0.6, seed=[1, 2])
    with pytest.raises(TypeError, match="seed must be"):
        random_instance(5, 0.5, seed=[1.5])
