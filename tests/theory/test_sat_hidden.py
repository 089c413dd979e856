"""Problem (c): one hidden layer, fully binary (sat_theory.md §5)."""

import itertools

import numpy as np
import pytest
from pysat.solvers import Solver  # noqa: E402

from theory.sat.brute import brute_force_hidden  # noqa: E402
from theory.sat.hidden import encode_hidden, reified_atleast  # noqa: E402
from theory.sat.instances import make_hidden_instance  # noqa: E402
from theory.sat.solve import solve_hidden  # noqa: E402
from theory.sat.verify import verify_hidden  # noqa: E402


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


def test_variable_numbering():
    inst = make_hidden_instance([[1, -1, 1], [1, 1, 1]], [1, -1], 2, "weights")
    enc = encode_hidden(inst, maxsat=True)
    assert enc.w_vars.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert enc.v_vars.tolist() == [7, 8]
    assert enc.a_vars.tolist() == [[9, 10], [11, 12]]        # base_a = H*n + H = 8
    assert enc.selectors.tolist() == [17, 18]               # base_s = base_e + m*H = 16
    aux = {abs(l) for cl in enc.clauses for l in cl} - set(range(1, 19))
    assert min(aux) == 19
    majority = encode_hidden(make_hidden_instance([[1, -1, 1]], [1], 2))
    assert majority.v_vars is None and majority.a_vars.tolist() == [[7, 8]]


@pytest.mark.parametrize("output", ["majority", "weights"])
def test_random_tiny_instances_agree_with_brute_force(output):
    rng = np.random.default_rng(1 if output == "majority" else 2)
    statuses = []
    for _ in range(40):
        n, H, m = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 9))
        inst = make_hidden_instance(2 * rng.integers(0, 2, (m, n)) - 1,
                                    2 * rng.integers(0, 2, m) - 1, H, output)
        errors, W, v = brute_force_hidden(inst)
        assert verify_hidden(inst.X, inst.y, W, v, output).n_errors == errors
        res = solve_hidden(inst)
        assert res.status == ("sat" if errors == 0 else "unsat")
        if res.status == "sat":
            assert verify_hidden(inst.X, inst.y, res.W, res.v, output).ok
            assert res.w is res.W and (res.v is None) == (output == "majority")
        opt = solve_hidden(inst, maxsat=True)
        assert opt.status == "optimal" and opt.n_errors == errors
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
        assert solve_hidden(inst).status == want
        assert (brute_force_hidden(inst)[0] == 0) == (want == "sat")


@pytest.mark.parametrize("output, H, optimum", [("weights", 3, 2), ("weights", 4, 0),
                                                ("majority", 3, 4), ("majority", 4, 4),
                                                ("majority", 5, 4)])
def test_four_bit_parity_optimum(output, H, optimum):
    X, y = _parity(4)
    inst = make_hidden_instance(X, y, H, output)
    assert solve_hidden(inst, maxsat=True).n_errors == optimum
    assert brute_force_hidden(inst)[0] == optimum
