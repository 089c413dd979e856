"""The python-sat behaviours theory.sat relies on (shared/spec/sat_theory.md §14).

A PySAT upgrade that changes any of them fails here, loudly, before it breaks an encoding.
"""

import itertools
import threading

import pytest
from pysat.card import CardEnc, EncType  # noqa: E402
from pysat.examples.rc2 import RC2  # noqa: E402
from pysat.formula import WCNF  # noqa: E402
from pysat.solvers import Solver  # noqa: E402

from theory.sat._pysat import ENCODINGS, INTERRUPTIBLE, SOLVERS  # noqa: E402
from theory.sat.instances import random_perceptron_instance  # noqa: E402


def projected_models(clauses, n_vars):
    """The assignments of variables 1..n_vars that extend to a model (exhaustive)."""
    out = set()
    with Solver(name="glucose4", bootstrap_with=clauses) as s:
        for bits in itertools.product([False, True], repeat=n_vars):
            assumptions = [v + 1 if b else -(v + 1) for v, b in enumerate(bits)]
            if s.solve(assumptions=assumptions):
                out.add(bits)
    return out


def test_cardenc_bound_edge_cases():
    empty = CardEnc.atleast(lits=[1, 2, 3], bound=0, top_id=3)
    assert empty.clauses == [] and empty.nv == 0
    negative = CardEnc.atleast(lits=[1, 2, 3], bound=-2, top_id=3)
    assert negative.clauses == [] and negative.nv == 0
    with pytest.raises(ValueError, match="Wrong bound"):
        CardEnc.atleast(lits=[1, 2, 3], bound=4, top_id=3)
    cnf = CardEnc.atleast(lits=[1, 2, 3], bound=2, top_id=10, encoding=EncType.seqcounter)
    aux = {abs(lit) for cl in cnf.clauses for lit in cl} - {1, 2, 3}
    assert aux and min(aux) == 11 and cnf.nv == max(aux)   # auxiliaries start at top_id + 1


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_cardenc_counts_duplicated_and_mixed_literals(encoding):
    lits = [1, 1, -2, 3, -1, 2]          # duplicates and both polarities of one variable
    for bound in range(1, len(lits) + 1):
        cnf = CardEnc.atleast(lits=lits, bound=bound, top_id=3,
                              encoding=getattr(EncType, encoding))
        got = projected_models(cnf.clauses, 3)
        want = {bits for bits in itertools.product([False, True], repeat=3)
                if sum((bits[abs(l) - 1] if l > 0 else not bits[abs(l) - 1]) for l in lits)
                >= bound}
        assert got == want, (encoding, bound)


def test_solver_names_and_empty_clause():
    from pysat.solvers import SolverNames

    assert set(SOLVERS) <= {k for k in vars(SolverNames) if not k.startswith("_")}
    with Solver(name="glucose4", bootstrap_with=[[]]) as s:
        assert s.solve() is False
    with Solver(name="glucose4", bootstrap_with=[]) as s:
        assert s.solve() is True and s.get_model() == []


def _hard_clauses():
    inst, _ = random_perceptron_instance(61, 51 / 61, "random", 0)
    from theory.sat.encode import encode_consistency

    return encode_consistency(inst).clauses


def test_glucose4_is_interruptible():
    assert "glucose4" in INTERRUPTIBLE
    with Solver(name="glucose4", bootstrap_with=_hard_clauses()) as s:
        timer = threading.Timer(0.3, s.interrupt)
        timer.start()
        res = s.solve_limited(expect_interrupt=True)
        timer.cancel()
        assert res is None
        assert s.accum_stats()["conflicts"] > 0


def test_cadical195_is_not_interruptible():
    assert "cadical195" not in INTERRUPTIBLE
    with Solver(name="cadical195", bootstrap_with=[[1, 2]]) as s:
        with pytest.raises(NotImplementedError):
            s.interrupt()


def test_rc2_returns_none_after_an_interrupt():
    inst, _ = random_perceptron_instance(25, 2.0, "random", 0)
    from theory.sat.encode import encode_max_accuracy

    enc = encode_max_accuracy(inst)
    wcnf = WCNF()
    for cl in enc.clauses:
        wcnf.append(cl)
    for cl, weight in enc.soft:
        wcnf.append(cl, weight=weight)
    with RC2(wcnf, solver="glucose4") as rc2:
        timer = threading.Timer(0.3, rc2.interrupt)
        timer.start()
        model = rc2.compute(expect_interrupt=True)
        timer.cancel()
        assert model is None
        assert 0 <= rc2.cost <= inst.m


def test_rc2_accepts_long_solver_names():
    wcnf = WCNF()
    wcnf.append([1, 2])
    wcnf.append([-1], weight=1)
    wcnf.append([-2], weight=1)
    for name in ("glucose4", "cadical195"):
        with RC2(wcnf, solver=name) as rc2:
            assert rc2.compute() is not None and rc2.cost == 1
