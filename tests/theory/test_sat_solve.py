"""Solving API, time limits, determinism and counting (sat_theory.md §7)."""

import builtins
import importlib
import sys

import numpy as np
import pytest

from theory import sat  # noqa: E402
from theory.sat.brute import brute_force_perceptron  # noqa: E402
from theory.sat.count import count_instance  # noqa: E402
from theory.sat.instances import (  # noqa: E402
    make_hidden_instance,
    make_perceptron_instance,
    random_perceptron_instance,
)
from theory.sat.maxsat import solve_max_accuracy  # noqa: E402
from theory.sat.solve import solve_consistency, solve_hidden  # noqa: E402


@pytest.fixture(scope="module")
def hard_instance():
    """Random labels, n = 61, m = 51: unsolved after 10 s in calibration."""
    return random_perceptron_instance(61, 51 / 61, "random", np.random.default_rng(2024))[0]


def test_time_limit_returns_unknown(hard_instance):
    res = solve_consistency(hard_instance, time_limit=1.0)
    assert res.status == "unknown" and res.w is None and res.n_errors is None
    assert res.reason == "time limit 1 s reached" and res.conflicts > 0


def test_facade_child_process_limit_for_cadical(hard_instance):
    res = sat.solve(hard_instance, time_limit=1.0)          # default solver cadical195
    assert res.status == "unknown" and res.solver == "cadical195"
    assert "child process terminated" in res.reason


def test_facade_child_process_returns_answers():
    inst, _ = random_perceptron_instance(15, 0.6, "planted", 1)
    res = sat.solve(inst, time_limit=30.0, solver="cadical195")
    assert res.status == "sat" and sat.verify(inst.X, inst.y, res.w)
    opt = sat.max_accuracy(inst, time_limit=30.0, solver="cadical195")
    assert opt.status == "optimal" and opt.n_errors == 0


def test_non_interruptible_solver_with_limit_raises_before_work(monkeypatch):
    solve_mod = importlib.import_module("theory.sat.solve")
    monkeypatch.setattr(solve_mod, "encode_consistency",
                        lambda *a, **k: pytest.fail("encoded before refusing"))
    inst = make_perceptron_instance([[1]], [1])
    for name in ("cadical195", "kissat404", "lingeling"):
        with pytest.raises(ValueError, match=f"solver '{name}' cannot be interrupted by "
                                             f"python-sat; use one of .*glucose4"):
            solve_consistency(inst, solver=name, time_limit=1.0)
    with pytest.raises(ValueError, match="cannot be interrupted"):
        solve_max_accuracy(inst, solver="cadical195", time_limit=1.0)


def test_unknown_solver_and_bad_limits():
    inst = make_perceptron_instance([[1]], [1])
    with pytest.raises(ValueError, match=r"solver must be one of \[.*'glucose4'.*got 'g4'"):
        solve_consistency(inst, solver="g4")
    with pytest.raises(ValueError, match="solver must be one of"):
        sat.solve([[1]], [1], solver="minisat")
    for bad in (0, -1.0, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="time_limit must be None or a finite number"):
            solve_consistency(inst, time_limit=bad)


def test_glucose4_is_deterministic():
    inst, _ = random_perceptron_instance(25, 0.6, "random", 3)
    a, b = solve_consistency(inst), solve_consistency(inst)
    assert a.status == b.status == "sat"
    assert np.array_equal(a.w, b.w) and a.conflicts == b.conflicts and a.n_vars == b.n_vars


def test_count_equals_brute_force():
    rng = np.random.default_rng(5)
    counts = []
    for _ in range(50):
        n, m = int(rng.integers(1, 13)), int(rng.integers(1, 10))
        inst = make_perceptron_instance(2 * rng.integers(0, 2, (m, n)) - 1,
                                        2 * rng.integers(0, 2, m) - 1)
        c = count_instance(inst)
        assert c == brute_force_perceptron(inst).n_consistent
        counts.append(c)
    assert min(counts) == 0 and max(counts) > 10


def test_count_limit_and_large_n():
    inst, _ = random_perceptron_instance(12, 0.3, "planted", 0)
    total = count_instance(inst)
    assert total > 5
    assert count_instance(inst, limit=5) == 5
    assert count_instance(inst, limit=0) == 0
    assert count_instance(inst, limit=10 ** 6) == total
    big, _ = random_perceptron_instance(21, 0.3, "planted", 0)
    with pytest.raises(ValueError, match="n=21 > 20: pass limit="):
        count_instance(big)
    assert count_instance(big, limit=3) == 3
    with pytest.raises(ValueError, match="limit must be None or an int >= 0"):
        count_instance(inst, limit=-1)


def test_result_fields_and_equality():
    inst, _ = random_perceptron_instance(11, 0.6, "planted", 0)
    a, b = solve_consistency(inst), solve_consistency(inst)
    assert a.problem == "consistency" and a.solver == "glucose4" and a.encoding == "seqcounter"
    assert (a.n, a.m, a.alpha) == (11, 7, 7 / 11)
    assert a.n_correct == 7 and a.seconds == a.time_s
    assert a.time_s == pytest.approx(a.encode_time_s + a.solve_time_s)
    assert a.n_clauses > 0 and a.n_vars > 11
    assert a.w.dtype == np.int8 and a.W is None and a.lower_bound is None
    d = a.to_dict()
    assert d["status"] == "sat" and d["w"] == a.w.tolist()
    assert isinstance(hash(a.problem), int)
    assert (a == b) is False or a.time_s == b.time_s   # equal only if every field is equal
    assert sat.SatResult is sat.SolveResult


def test_hidden_problem_names():
    X, y = np.array([[1, 1], [-1, -1]]), np.array([1, -1])
    res = solve_hidden(make_hidden_instance(X, y, 1))
    assert res.problem == "hidden" and res.W.shape == (1, 2)
    opt = solve_hidden(make_hidden_instance(X, y, 1), maxsat=True)
    assert opt.problem == "hidden_max_accuracy" and opt.n_errors == 0


def test_missing_pysat_raises_install_hint(monkeypatch):
    for name in list(sys.modules):
        if name == "pysat" or name.startswith("pysat."):
            monkeypatch.setitem(sys.modules, name, None)
    real_import = builtins.__import__

    def blocked(name, *args, **kw):
        if name == "pysat" or name.startswith("pysat."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", blocked)
    inst = make_perceptron_instance([[1, -1, 1]], [1])
    hint = r"theory.sat needs python-sat: pip install python-sat"
    with pytest.raises(ImportError, match=hint):
        solve_consistency(inst)
    with pytest.raises(ImportError, match=hint):
        solve_max_accuracy(inst)
    with pytest.raises(ImportError, match=hint):
        sat.solve([[1, -1, 1]], [1], solver="glucose4")
    # the NumPy-only parts still work
    assert brute_force_perceptron(inst).n_consistent == 4      # 2 of 3 must agree
    assert sat.verify([[1, -1, 1]], [1], [1, 1, 1])
