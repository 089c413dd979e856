"""Problem (a): the consistency encoding against brute force (sat_theory.md §3)."""

import importlib

import numpy as np
import pytest
from pysat.formula import CNF, WCNF  # noqa: E402

from theory.sat._pysat import ENCODINGS  # noqa: E402
from theory.sat.brute import brute_force_perceptron  # noqa: E402
from theory.sat.encode import encode_consistency, encode_max_accuracy  # noqa: E402
from theory.sat.encoding import Encoding  # noqa: E402
from theory.sat.instances import (  # noqa: E402
    make_perceptron_instance,
    random_perceptron_instance,
)
from theory.sat.solve import solve_consistency  # noqa: E402
from theory.sat.verify import verify_perceptron  # noqa: E402


def _random_instances(count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, m = int(rng.integers(1, 11)), int(rng.integers(1, 16))
        X = 2 * rng.integers(0, 2, (m, n)) - 1
        y = 2 * rng.integers(0, 2, m) - 1
        yield make_perceptron_instance(X, y, int(rng.integers(-1, 2)))


def _check_against_brute(inst, encoding):
    res = solve_consistency(inst, encoding=encoding)
    brute = brute_force_perceptron(inst)
    assert res.status == ("sat" if brute.n_consistent else "unsat"), (inst, encoding)
    if res.status == "sat":
        assert verify_perceptron(inst.X, inst.y, res.w, inst.theta).ok
        assert res.n_errors == 0
    return res


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_agrees_with_brute_force(encoding):
    statuses = [_check_against_brute(inst, encoding).status
                for inst in _random_instances(300, 1)]
    assert {"sat", "unsat"} <= set(statuses)   # both outcomes are exercised


@pytest.mark.parametrize("m", [10, 16])
@pytest.mark.parametrize("labels", ["planted", "random"])
def test_n16_default_encoding(m, labels):
    for rep in range(10):
        inst, _ = random_perceptron_instance(16, m / 16, labels,
                                             np.random.default_rng([m, rep]))
        res = _check_against_brute(inst, "seqcounter")
        if labels == "planted":
            assert res.status == "sat"


def test_even_n_tie_rule():
    res = solve_consistency(make_perceptron_instance([[1, 1]], [-1]))
    assert res.status == "sat" and res.w.tolist() == [-1, -1]
    assert brute_force_perceptron(make_perceptron_instance([[1, 1]], [1])).n_consistent == 3
    from theory.sat.count import count_instance

    assert count_instance(make_perceptron_instance([[1, 1]], [1])) == 3
    assert count_instance(make_perceptron_instance([[1, 1]], [-1])) == 1


def test_k_above_n_is_unsat_without_solver(monkeypatch):
    solve_mod = importlib.import_module("theory.sat.solve")   # the module, not the function

    def no_solver(*args, **kw):
        raise AssertionError("the solver must not be called")

    monkeypatch.setattr(solve_mod, "run_sat", no_solver)
    inst = make_perceptron_instance([[1, 1, 1], [1, -1, 1]], [1, 1], theta=10)
    res = solve_consistency(inst)
    assert res.status == "unsat" and res.conflicts is None
    assert "sample 0 can never be satisfied" in res.reason
    assert encode_consistency(inst).trivially_unsat == [0, 1]


def test_empty_instance_is_sat():
    inst = make_perceptron_instance(np.zeros((0, 3), int), np.zeros(0, int))
    res = solve_consistency(inst)
    assert res.status == "sat" and res.w.shape == (3,) and res.n_errors == 0


def test_variable_numbering():
    inst = make_perceptron_instance([[1, -1, 1], [-1, -1, 1]], [1, -1])
    enc = encode_consistency(inst)
    assert enc.w_vars.tolist() == [1, 2, 3]
    aux = {abs(lit) for cl in enc.clauses for lit in cl} - {1, 2, 3}
    assert min(aux) == 4 and enc.n_vars == max(aux)
    menc = encode_max_accuracy(inst)
    assert menc.selectors.tolist() == [4, 5]
    assert menc.soft == [([4], 1), ([5], 1)]
    assert all(cl[0] in (-4, -5) for cl in menc.clauses)
    aux = {abs(lit) for cl in menc.clauses for lit in cl} - {1, 2, 3, 4, 5}
    assert min(aux) == 6


def _integer_instances(count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, m = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        X = rng.integers(-3, 4, (m, n))
        y = 2 * rng.integers(0, 2, m) - 1
        yield make_perceptron_instance(X, y, int(rng.integers(-2, 3)), integer_features=True)


def test_integer_features_unary_agrees_with_brute_force():
    statuses = [_check_against_brute(inst, "seqcounter").status
                for inst in _integer_instances(150, 2)]
    assert {"sat", "unsat"} <= set(statuses)


def test_integer_features_pb_backend():
    try:
        import pysat.pb  # noqa: F401
        available = True
    except (ImportError, AssertionError):
        available = False
    inst = next(_integer_instances(1, 3))
    if not available:    # python-sat 1.9 without pindakaas: a clear ImportError
        with pytest.raises(ImportError, match=r"python-sat\[pb\]"):
            solve_consistency(inst, pb_backend="pysat-pb")
        return
    for inst in _integer_instances(100, 3):
        res = solve_consistency(inst, pb_backend="pysat-pb")
        assert res.status == ("sat" if brute_force_perceptron(inst).n_consistent else "unsat")


def test_max_unary():
    inst = make_perceptron_instance([[100, 1]], [1], integer_features=True)
    with pytest.raises(ValueError, match=r"row 0 needs N=101 unary literals > max_unary=50; "
                                         r"use pb_backend='pysat-pb'"):
        encode_consistency(inst, max_unary=50)
    assert solve_consistency(inst, max_unary=101).status == "sat"


def test_write_dimacs_round_trip(tmp_path):
    inst, _ = random_perceptron_instance(9, 1.0, "random", 4)
    enc = encode_consistency(inst)
    path = tmp_path / "inst.cnf"
    enc.write_dimacs(path)
    back = CNF(from_file=str(path))
    assert back.clauses == enc.clauses and back.nv == enc.n_vars
    menc = encode_max_accuracy(inst)
    wpath = tmp_path / "inst.wcnf"
    menc.write_dimacs(wpath)
    wback = WCNF(from_file=str(wpath))
    assert wback.hard == menc.clauses
    assert wback.soft == [cl for cl, _ in menc.soft] and wback.wght == [1] * inst.m


def test_encoding_decode_missing_variables_are_plus_one():
    enc = Encoding([], [], 3, np.array([1, 2, 3]))
    assert enc.decode([-2]).tolist() == [1, -1, 1]
    assert enc.decode(None).tolist() == [1, 1, 1]
    assert enc.n_clauses == 0


def test_unknown_encoding_and_backend():
    inst = make_perceptron_instance([[1]], [1])
    with pytest.raises(ValueError, match="encoding must be one of"):
        encode_consistency(inst, "ladder")
    with pytest.raises(ValueError, match="pb_backend must be one of"):
        encode_consistency(inst, pb_backend="binary")
    with pytest.raises(TypeError, match="PerceptronInstance"):
        encode_consistency((np.ones((1, 1)), np.ones(1)))
