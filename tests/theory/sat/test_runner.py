"""theory.sat.runner: time limits that never hang, solver names, the PySAT boundary, and the
python-sat behaviours theory.sat relies on (a PySAT upgrade that changes any of them fails
here, loudly, before it breaks an encoding)."""

import importlib
import itertools
import threading
import time

import numpy as np
import pytest
from pysat.card import CardEnc, EncType
from pysat.examples.rc2 import RC2
from pysat.formula import WCNF
from pysat.solvers import Solver

from theory import sat
from theory.hardness import partition_to_perceptron
from theory.sat import brute_force, max_accuracy, solve, verify
from theory.sat.encoding import encode_perceptron
from theory.sat.instances import make_perceptron_instance, random_instance
from theory.sat.runner import ENCODINGS, INTERRUPTIBLE, SOLVERS, models, run_maxsat


@pytest.fixture(scope="module")
def hard_instance():
    """Random labels, n = 61, m = 51: unsolved after 10 s in calibration."""
    return random_instance(61, 51 / 61, "random", np.random.default_rng(2024))


def test_time_limit_returns_unknown(hard_instance):
    start = time.perf_counter()
    res = solve(hard_instance, solver="glucose4", time_limit=1.0)
    assert time.perf_counter() - start < 6.0
    assert res.status == "unknown" and res.w is None and res.n_errors is None
    assert res.reason == "time limit 1 s reached" and res.conflicts > 0
    res = solve(hard_instance, solver="glucose4", time_limit=0.5)
    assert res.status == "unknown" and res.reason.startswith("time limit 0.5 s reached")


def test_child_process_limit_for_cadical(hard_instance):
    start = time.perf_counter()
    res = solve(hard_instance, solver="cadical195", time_limit=1.0)
    assert time.perf_counter() - start < 6.0
    assert res.status == "unknown" and res.solver == "cadical195"
    assert "child process terminated" in res.reason


def test_child_process_returns_answers():
    inst = random_instance(15, 0.6, "teacher", 1)
    res = solve(inst, time_limit=30.0, solver="cadical195")
    assert res.status == "sat" and verify(inst.X, inst.y, res.w)
    opt = max_accuracy(inst, time_limit=30.0, solver="cadical195")
    assert opt.status == "optimal" and opt.n_errors == 0
    for name in ("kissat404", "lingeling"):      # not interruptible either
        assert solve(partition_to_perceptron([1, 1]), solver=name, time_limit=10.0).status \
            == "sat"


def test_maxsat_time_limit_gives_unknown_with_lower_bound():
    inst = random_instance(25, 2.0, "random", 0)
    res = max_accuracy(inst, time_limit=1.0)
    assert res.status == "unknown" and res.w is None and res.n_errors is None
    assert 0 <= res.lower_bound <= inst.m
    assert "time limit" in res.reason


def test_bad_options_raise_before_any_work(monkeypatch):
    portfolio = importlib.import_module("theory.sat.portfolio")
    monkeypatch.setattr(portfolio, "_encode",
                        lambda *a, **k: pytest.fail("encoded before refusing"))
    inst = make_perceptron_instance([[1]], [1])
    with pytest.raises(ValueError, match=r"solver must be one of .*'glucose4'.*got 'g4'"):
        solve(inst, solver="g4")
    with pytest.raises(ValueError, match=r"the back ends \['auto', 'anneal', 'cpsat'\] or a "
                                         r"python-sat solver \['cadical103'"):
        solve([[1]], [1], solver="cadical")
    with pytest.raises(ValueError, match="solver must be one of"):
        solve([[1]], [1], solver="minisat")
    with pytest.raises(ValueError, match=r"solver must be one of"):
        max_accuracy([[1]], [1], solver="rc2")
    with pytest.raises(ValueError, match=r"encoding must be one of \['seqcounter'"):
        solve([[1]], [1], encoding="ladder")
    for bad in (0, -1.0, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="time_limit must be None or a finite number"):
            solve(inst, time_limit=bad)
        with pytest.raises(ValueError, match="time_limit must be None or a finite number"):
            max_accuracy(inst, time_limit=bad)


def test_rc2_none_without_timeout(monkeypatch):
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
        run_maxsat([[1]], [([1], 1)], "glucose4")


def test_models_block_only_the_projection():
    # [1, 2] has 3 models over (1, 2); an unconstrained variable 3 must not double them
    assert len(list(models([[1, 2], [3, -3]], [1, 2]))) == 3
    assert len(list(models([[1, 2], [3, -3]], [1, 2, 3]))) == 6


def test_missing_pysat_raises_install_hint(block_import):
    block_import("pysat")
    inst = make_perceptron_instance([[1, -1, 1]], [1])
    hint = r"theory.sat needs python-sat: pip install python-sat"
    with pytest.raises(ImportError, match=hint):
        solve(inst, solver="glucose4")
    with pytest.raises(ImportError, match=hint):
        max_accuracy(inst, solver="glucose4")
    # the portfolio needs no PySAT: the incomplete search and CP-SAT answer
    assert solve(inst).status == "sat" and max_accuracy(inst).status == "optimal"
    with pytest.raises(ImportError, match=hint):
        sat.solve([[1, -1, 1]], [1], solver="cadical195")
    # the NumPy-only parts still work
    assert brute_force(inst).n_consistent == 4      # 2 of 3 must agree
    assert verify([[1, -1, 1]], [1], [1, 1, 1])


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
    return encode_perceptron(random_instance(61, 51 / 61, "random", 0)).clauses


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
    inst = random_instance(25, 2.0, "random", 0)
    enc = encode_perceptron(inst, maxsat=True)
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
