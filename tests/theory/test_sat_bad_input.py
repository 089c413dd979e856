"""Bad input: one test per row of sat_theory.md §13, through the issue's names."""

import numpy as np
import pytest

from theory import sat  # noqa: E402
from theory.hardness import partition_to_perceptron  # noqa: E402
from theory.sat.instances import random_perceptron_instance  # noqa: E402


@pytest.mark.parametrize("fn", [sat.solve, sat.max_accuracy, sat.brute_force,
                                sat.encode_perceptron, sat.count_solutions])
def test_entries_not_pm1(fn):
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


def test_verify_rejects_bad_values():
    with pytest.raises(ValueError, match="y must be ±1"):
        sat.verify([[1, 1]], [0], [1, 1])
    with pytest.raises(ValueError, match="w must be ±1"):
        sat.verify([[1, 1]], [1], [1, 0])


@pytest.mark.parametrize("fn", [sat.solve, sat.max_accuracy, sat.brute_force])
def test_shape_mismatch_and_empty(fn):
    with pytest.raises(ValueError, match="shape mismatch: X has m=2 rows but y has 3 entries"):
        fn([[1, 1], [1, -1]], [1, 1, 1])
    with pytest.raises(ValueError, match=r"X must not be empty: got shape \(0, 3\)"):
        fn(np.zeros((0, 3), int), np.zeros(0, int))
    with pytest.raises(ValueError, match=r"X must have at least one column .* \(2, 0\)"):
        fn(np.zeros((2, 0), int), [1, 1])


def test_brute_force_limits():
    with pytest.raises(ValueError, match=r"n=22 gives 4194304 candidates, above max_n=20"):
        sat.brute_force(np.ones((1, 22), int), [1])
    with pytest.raises(ValueError, match=r"2\^18 bit patterns .*max_bits=12"):
        sat.brute_force(np.ones((1, 6), int), [1], hidden=3, max_bits=12)


def test_count_without_limit_beyond_20():
    with pytest.raises(ValueError, match="pass limit="):
        sat.count_solutions(np.ones((1, 21), int), [1])


def test_unary_expansion_beyond_max_unary():
    from theory.sat.solve import solve_consistency

    with pytest.raises(ValueError, match="use pb_backend='pysat-pb'"):
        solve_consistency(partition_to_perceptron([3000, 1000]))


def test_pb_backend_not_importable():
    from theory.sat.solve import solve_consistency

    try:
        import pysat.pb  # noqa: F401
    except (ImportError, AssertionError):
        with pytest.raises(ImportError, match=r"python-sat\[pb\]"):
            solve_consistency(partition_to_perceptron([3, 1, 2]), pb_backend="pysat-pb")
    else:
        assert solve_consistency(partition_to_perceptron([3, 1, 2]),
                                 pb_backend="pysat-pb").status == "sat"


def test_time_limit_reached_is_unknown_not_an_exception():
    inst, _ = random_perceptron_instance(61, 51 / 61, "random", np.random.default_rng(2024))
    res = sat.solve(inst, solver="glucose4", time_limit=0.5)
    assert res.status == "unknown" and res.reason.startswith("time limit 0.5 s reached")


def test_limit_with_non_interruptible_solver():
    from theory.sat.solve import solve_consistency

    inst = partition_to_perceptron([1, 1])
    with pytest.raises(ValueError, match="cannot be interrupted"):
        solve_consistency(inst, solver="cadical195", time_limit=1.0)   # instance API
    assert sat.solve(inst, solver="cadical195", time_limit=10.0).status == "sat"   # facade


def test_unknown_solver_or_encoding_names():
    with pytest.raises(ValueError, match=r"solver must be one of \['cadical103'"):
        sat.solve([[1]], [1], solver="cadical")
    with pytest.raises(ValueError, match=r"solver must be one of"):
        sat.max_accuracy([[1]], [1], solver="rc2")
    with pytest.raises(ValueError, match=r"encoding must be one of \['seqcounter'"):
        sat.solve([[1]], [1], encoding="ladder")
    with pytest.raises(ValueError, match=r"encoding must be one of"):
        sat.encode_perceptron([[1]], [1], encoding="pairwise")


def test_failed_verification_raises(monkeypatch):
    from theory.sat.encoding import Encoding

    monkeypatch.setattr(Encoding, "decode", lambda self, model: -np.ones(self.w_vars.shape,
                                                                         np.int8))
    with pytest.raises(RuntimeError, match="independent verification failed"):
        sat.solve([[1, 1, 1]], [1], solver="glucose4")


def test_rc2_none_without_timeout(monkeypatch):
    from theory.sat import runner

    class FakeRC2:
        cost = 0

        def __init__(self, *a, **k):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def compute(self, expect_interrupt=False):
            return None

    import pysat.examples.rc2 as rc2mod

    monkeypatch.setattr(rc2mod, "RC2", FakeRC2)
    with pytest.raises(RuntimeError, match="hard clauses unsatisfiable: encoding bug"):
        runner.run_maxsat([[1]], [([1], 1)], "glucose4")


def test_hidden_argument():
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        sat.solve([[1]], [1], hidden=0)
    with pytest.raises(TypeError, match="hidden must be an int"):
        sat.solve([[1]], [1], hidden=1.5)
    with pytest.raises(ValueError, match=r"w must hold W of shape \(2, n\)"):
        sat.verify([[1, 1]], [1], np.ones((3, 2)), hidden=2)


def test_partition_items():
    for bad in ([1, 2.5], [1, 0], [], [True, 1], "123", [[1, 2]], np.ones((2, 2), int)):
        with pytest.raises(ValueError, match=r"^a "):
            partition_to_perceptron(bad)
