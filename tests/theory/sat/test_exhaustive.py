"""theory.sat.exhaustive: the brute-force oracle (docs/theory.md, section "Trust nothing")."""

import itertools
import subprocess
import sys

import numpy as np
import pytest

from theory.sat import brute_force
from theory.sat.exhaustive import codes_to_weights
from theory.sat.instances import (
    make_hidden_instance,
    make_perceptron_instance,
    make_regression_instance,
    random_instance,
)


def test_imports_without_pysat():
    code = ("import sys; sys.modules['pysat'] = None\n"
            "import theory.sat.exhaustive, theory.sat.verification\n"
            "from theory.sat import brute_force, verify\n"
            "print(brute_force([[1, 1]], [1]).n_consistent, verify([[1, 1]], [1], [1, 1]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3 True"


@pytest.mark.parametrize("X, y, theta, count", [
    ([[1, 1]], [1], 0, 3),                  # only (-1, -1) gives -2 < 0
    ([[1, 1]], [-1], 0, 1),
    ([[1, 1, 1]], [1], 0, 4),               # at least 2 of 3 agree
    ([[1, 1, 1], [1, 1, 1]], [1, -1], 0, 0),
    ([[1, -1, 1]], [1], 3, 1),              # <w, x> >= 3 needs full agreement
    ([[1, -1, 1]], [-1], -3, 0),            # <w, x> <= -4 is impossible
])
def test_hand_instances(X, y, theta, count):
    res = brute_force(X, y, theta=theta)
    assert res.n_consistent == count
    assert (res.min_errors == 0) == (count > 0)


def test_first_minimiser_has_the_lowest_code():
    res = brute_force([[1, 1]], [1], keep_solutions=True)
    assert res.w_best.tolist() == [1, -1]               # code 1 is the first consistent one
    assert res.solutions.tolist() == [[1, -1], [-1, 1], [1, 1]]


def test_label_symmetry_for_odd_n():
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.choice([3, 5, 7, 9]))
        m = int(rng.integers(1, 10))
        X = 2 * rng.integers(0, 2, (m, n)) - 1
        y = 2 * rng.integers(0, 2, m) - 1
        assert brute_force(X, y).n_consistent == brute_force(X, -y).n_consistent


def test_n_evaluated_doubles_and_chunk_is_irrelevant():
    rng = np.random.default_rng(4)
    previous = None
    for n in range(1, 13):
        m = int(rng.integers(1, 10))
        inst = make_perceptron_instance(2 * rng.integers(0, 2, (m, n)) - 1,
                                        2 * rng.integers(0, 2, m) - 1, int(rng.integers(-1, 2)))
        results = [brute_force(inst, chunk=c, keep_solutions=True) for c in (1, 7, 65536)]
        assert all(r == results[0] for r in results)
        assert results[0].n_evaluated == 2 ** n
        if previous is not None:
            assert results[0].n_evaluated == 2 * previous
        previous = results[0].n_evaluated
    with pytest.raises(ValueError, match="chunk must be an int >= 1"):
        brute_force([[1]], [1], chunk=0)


def test_agrees_with_a_plain_loop():
    inst = random_instance(8, 1.5, "random", 9)
    W = codes_to_weights(np.arange(2 ** 8), 8)
    errors = (np.where(W @ inst.X.T >= 0, 1, -1) != inst.y).sum(axis=1)
    res = brute_force(inst)
    assert res.min_errors == errors.min() and res.n_consistent == int((errors == 0).sum())
    assert res.n_minimizers == int((errors == errors.min()).sum())
    assert np.array_equal(res.w_best, W[int(np.argmin(errors))])
    assert res.max_accuracy == pytest.approx(1 - errors.min() / inst.m)


def test_max_n_error():
    inst = random_instance(30, 0.5, "random", 0)
    with pytest.raises(ValueError, match=r"brute force enumerates 2\^n weight vectors; n=30 "
                                         r"gives 1073741824 candidates, above max_n=20\. "
                                         r"Raise max_n or use solve / max_accuracy"):
        brute_force(inst)
    with pytest.raises(ValueError, match=r"n=22 gives 4194304 candidates, above max_n=20"):
        brute_force(np.ones((1, 22), int), [1])
    X = np.ones((1, 21), int)
    with pytest.raises(ValueError, match="above max_n=20"):
        brute_force(X, [1])
    assert brute_force(X, [1], max_n=21).n_evaluated == 2 ** 21


def test_hidden_max_bits_error_and_first_minimiser():
    X = np.array(list(itertools.product([-1, 1], repeat=4)))
    with pytest.raises(ValueError, match=r"2\^25 bit patterns .* above max_bits=20"):
        brute_force(X, X.prod(axis=1), 5, output="weights")
    with pytest.raises(ValueError, match=r"2\^18 bit patterns .*max_bits=12"):
        brute_force(np.ones((1, 6), int), [1], hidden=3, max_bits=12)
    res = brute_force(make_hidden_instance([[1, 1]], [1], 2, "weights"))
    # rows in code order: (-1,-1) first; the first (W, v) with zero errors
    assert res.min_errors == 0 and res.w_best.tolist() == [[-1, -1], [-1, -1]]
    assert res.v.tolist() == [-1, -1]


def test_majority_enumeration_matches_ordered_tuples():
    rng = np.random.default_rng(8)
    for _ in range(20):
        n, H, m = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 8))
        X = 2 * rng.integers(0, 2, (m, n)) - 1
        y = 2 * rng.integers(0, 2, m) - 1
        errors = brute_force(X, y, H).min_errors
        rows = codes_to_weights(np.arange(2 ** n), n)
        h = np.where(rows @ X.T >= 0, 1, -1)
        best = min(int((np.where(h[list(t)].sum(0) >= 0, 1, -1) != y).sum())
                   for t in itertools.product(range(2 ** n), repeat=H))
        assert errors == best


def test_regression_brute_force():
    inst = make_regression_instance([[3, 1, 2], [1, 1, 1]], [0, 0])
    res = brute_force(inst)
    # [3,1,2] needs w = ±(1,-1,-1); then [1,1,1] gives ∓1, so f = 1
    assert (res.min_errors, res.n_minimizers) == (1, 2) and res.n_consistent == 0
    assert res.w_best.tolist() == [1, -1, -1]                # code 1 before code 6
    zero = brute_force(make_regression_instance([[3, 1, 2]], [0]))
    assert (zero.min_errors, zero.n_consistent, zero.w_best.tolist()) == (0, 2, [1, -1, -1])
    with pytest.raises(ValueError, match="above max_n=2"):
        brute_force(inst, max_n=2)
