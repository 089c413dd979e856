"""theory.sat.encoding: thresholds, the CNF of one neuron and of one hidden layer, checked
exactly or against brute force (docs/theory.md, sections "1. Conventions", "2. The
encodings")."""

import importlib
import itertools

import numpy as np
import pytest
from pysat.formula import CNF, WCNF
from pysat.solvers import Solver

from theory import sat
from theory.hardness import partition_to_perceptron
from theory.sat import brute_force, solve, verify
from theory.sat.encoding import (
    Encoding,
    agreement_literals,
    encode_bnn,
    encode_perceptron,
    need,
    reified_atleast,
)
from theory.sat.instances import (
    make_hidden_instance,
    make_perceptron_instance,
    make_regression_instance,
    random_instance,
)
from theory.sat.runner import ENCODINGS


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
    assert agreement_literals(np.array([2, -1, 0, 3]), 1, weighted=True) == (
        [1, -2, 4], [2, 1, 3], 6)


def _random_instances(count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, m = int(rng.integers(1, 11)), int(rng.integers(1, 16))
        X = 2 * rng.integers(0, 2, (m, n)) - 1
        y = 2 * rng.integers(0, 2, m) - 1
        yield make_perceptron_instance(X, y, int(rng.integers(-1, 2)))


def _check_against_brute(inst, encoding, **kw):
    res = solve(inst, encoding=encoding, **{"solver": "glucose4", **kw})
    brute = brute_force(inst)
    assert res.status == ("sat" if brute.n_consistent else "unsat"), (inst, encoding)
    if res.status == "sat":
        assert verify(inst.X, inst.y, res.w, theta=inst.theta)
        assert res.n_errors == 0
    return res


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_agrees_with_brute_force(encoding):
    statuses = [_check_against_brute(inst, encoding).status
                for inst in _random_instances(300, 1)]
    assert {"sat", "unsat"} <= set(statuses)   # both outcomes are exercised


@pytest.mark.parametrize("m", [10, 16])
@pytest.mark.parametrize("labels", ["teacher", "random"])
def test_n16_default_encoding(m, labels):
    for rep in range(10):
        inst = random_instance(16, m / 16, labels, np.random.default_rng([m, rep]))
        res = _check_against_brute(inst, "seqcounter")
        if labels == "teacher":
            assert res.status == "sat"


def test_even_n_tie_rule():
    res = solve([[1, 1]], [-1])
    assert res.status == "sat" and res.w.tolist() == [-1, -1]
    assert brute_force([[1, 1]], [1]).n_consistent == 3
    assert sat.count_solutions([[1, 1]], [1]) == 3
    assert sat.count_solutions([[1, 1]], [-1]) == 1


def test_k_above_n_is_unsat_without_solver(monkeypatch):
    portfolio = importlib.import_module("theory.sat.portfolio")

    def no_solver(*args, **kw):
        raise AssertionError("the solver must not be called")

    monkeypatch.setattr(portfolio, "run_sat", no_solver)
    inst = make_perceptron_instance([[1, 1, 1], [1, -1, 1]], [1, 1], theta=10)
    res = solve(inst, solver="glucose4")
    assert res.status == "unsat" and res.conflicts is None
    assert "sample 0 can never be satisfied" in res.reason
    assert encode_perceptron(inst).trivially_unsat == [0, 1]


def test_variable_numbering():
    inst = make_perceptron_instance([[1, -1, 1], [-1, -1, 1]], [1, -1])
    enc = encode_perceptron(inst)
    assert enc.w_vars.tolist() == [1, 2, 3]
    aux = {abs(lit) for cl in enc.clauses for lit in cl} - {1, 2, 3}
    assert min(aux) == 4 and enc.n_vars == max(aux)
    menc = encode_perceptron(inst, maxsat=True)
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
            solve(inst, pb_backend="pysat-pb", solver="glucose4")
        with pytest.raises(ImportError, match=r"python-sat\[pb\]"):
            solve(partition_to_perceptron([3, 1, 2]), pb_backend="pysat-pb", solver="glucose4")
        return
    res = solve(partition_to_perceptron([3, 1, 2]), pb_backend="pysat-pb", solver="glucose4")
    assert res.status == "sat"
    for inst in _integer_instances(100, 3):
        res = solve(inst, pb_backend="pysat-pb", solver="glucose4")
        assert res.status == ("sat" if brute_force(inst).n_consistent else "unsat")


def test_max_unary():
    inst = make_perceptron_instance([[100, 1]], [1], integer_features=True)
    with pytest.raises(ValueError, match=r"row 0 needs N=101 unary literals > max_unary=50; "
                                         r"use pb_backend='pysat-pb'"):
        encode_perceptron(inst, max_unary=50)
    assert solve(inst, max_unary=101, solver="glucose4").status == "sat"
    with pytest.raises(ValueError, match="use pb_backend='pysat-pb'"):
        solve(partition_to_perceptron([3000, 1000]), solver="glucose4")   # max_unary=4096


def test_write_dimacs_round_trip(tmp_path):
    inst = random_instance(9, 1.0, "random", 4)
    enc = encode_perceptron(inst)
    path = tmp_path / "inst.cnf"
    enc.write_dimacs(path)
    back = CNF(from_file=str(path))
    assert back.clauses == enc.clauses and back.nv == enc.n_vars
    menc = encode_perceptron(inst, maxsat=True)
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
        encode_perceptron(inst, encoding="ladder")
    with pytest.raises(ValueError, match=r"encoding must be one of"):
        encode_perceptron([[1]], [1], encoding="pairwise")
    with pytest.raises(ValueError, match="pb_backend must be one of"):
        encode_perceptron(inst, pb_backend="binary")
    with pytest.raises(TypeError, match="PerceptronInstance"):
        encode_perceptron(make_regression_instance([[1]], [1]))
    with pytest.raises(ValueError, match="hidden is required"):
        encode_bnn([[1]], [1])


def test_encode_perceptron_decode_and_solve():
    X = np.array([[1, -1, 1, 1, -1], [-1, -1, 1, -1, 1], [1, 1, 1, -1, -1]])
    y = np.array([1, -1, 1])
    enc = encode_perceptron(X, y)
    with Solver(name="glucose4", bootstrap_with=enc.clauses) as s:
        assert s.solve()
        w = enc.decode(s.get_model())
    assert w.dtype == np.int8 and verify(X, y, w)
    assert encode_perceptron(X, y, "totalizer").n_vars != enc.n_vars


def test_reified_atleast_is_exact():
    rng = np.random.default_rng(0)
    for _ in range(120):
        n_vars = int(rng.integers(1, 7))
        length = int(rng.integers(1, 8))
        lits = [int(v) * int(s) for v, s in zip(rng.integers(1, n_vars + 1, length),
                                                rng.choice([-1, 1], length))]
        K = int(rng.integers(-1, length + 2))
        clauses = []
        out, top = reified_atleast(lits, K, n_vars, clauses)
        assert top >= out > n_vars
        with Solver(name="glucose4", bootstrap_with=clauses) as s:
            for bits in itertools.product([False, True], repeat=n_vars):
                assign = [v + 1 if b else -(v + 1) for v, b in enumerate(bits)]
                count = sum(bits[abs(l) - 1] if l > 0 else not bits[abs(l) - 1] for l in lits)
                want = count >= K
                assert s.solve(assumptions=assign + [out]) == want, (lits, K, bits)
                assert s.solve(assumptions=assign + [-out]) == (not want), (lits, K, bits)


def test_reified_atleast_size():
    clauses = []
    out, top = reified_atleast(list(range(1, 8)), 4, 7, clauses)
    assert top - 7 <= 7 * 4 and len(clauses) <= 4 * 7 * 4


def test_hidden_variable_numbering():
    inst = make_hidden_instance([[1, -1, 1], [1, 1, 1]], [1, -1], 2, "weights")
    enc = encode_bnn(inst, maxsat=True)
    assert enc.w_vars.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert enc.v_vars.tolist() == [7, 8]
    assert enc.a_vars.tolist() == [[9, 10], [11, 12]]        # base_a = H*n + H = 8
    assert enc.selectors.tolist() == [17, 18]               # base_s = base_e + m*H = 16
    aux = {abs(l) for cl in enc.clauses for l in cl} - set(range(1, 19))
    assert min(aux) == 19
    majority = encode_bnn(make_hidden_instance([[1, -1, 1]], [1], 2))
    assert majority.v_vars is None and majority.a_vars.tolist() == [[7, 8]]


def test_encode_bnn_shapes():
    X = np.array([[1, -1, 1], [-1, -1, 1]])
    enc = encode_bnn(X, [1, -1], 3)
    assert enc.w_vars.shape == (3, 3) and enc.v_vars is None and enc.a_vars.shape == (2, 3)
    enc = encode_bnn(X, [1, -1], 2, output="weights", maxsat=True)
    assert enc.v_vars.shape == (2,) and len(enc.soft) == 2
