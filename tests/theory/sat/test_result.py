"""theory.sat.result: the frozen result records (fields, equality, export)."""

import dataclasses

import numpy as np
import pytest

from theory import sat
from theory.sat import BruteResult, SolveResult, brute_force, max_accuracy, solve
from theory.sat.instances import random_instance


def test_result_fields_and_equality():
    inst = random_instance(11, 0.6, "teacher", 0)
    a, b = solve(inst, solver="glucose4"), solve(inst, solver="glucose4")
    assert a.problem == "consistency" and a.solver == "glucose4" and a.encoding == "seqcounter"
    assert a.backend == "cdcl" and a.proof is False
    assert (a.n, a.m, a.alpha) == (11, 7, 7 / 11)
    assert a.n_correct == 7 and a.accuracy == 1.0
    assert a.seconds == pytest.approx(a.encode_seconds + a.solve_seconds)
    assert a.n_clauses > 0 and a.n_vars > 11
    assert a.w.dtype == np.int8 and a.W is None and a.lower_bound is None
    d = a.to_dict()
    assert d["status"] == "sat" and d["w"] == a.w.tolist()
    assert isinstance(hash(a.problem), int)
    assert (a == b) is False or a.seconds == b.seconds   # equal only if every field is equal
    assert a == dataclasses.replace(a) and a != dataclasses.replace(a, status="unsat")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.status = "unsat"
    with pytest.raises(TypeError):
        hash(a)


def test_one_name_per_result():
    assert isinstance(max_accuracy([[1, 1]], [1]), SolveResult)
    assert isinstance(brute_force([[1, 1]], [1]), BruteResult)
    assert not hasattr(sat, "SatResult")
    unknown = dataclasses.replace(solve([[1, 1]], [1]), n_errors=None, status="unknown")
    assert unknown.n_correct is None and unknown.accuracy is None


def test_brute_result_record():
    res = brute_force([[1, 1], [1, -1]], [1, -1], keep_solutions=True)
    assert res.n_correct == res.m - res.min_errors and res.max_accuracy == 1.0
    assert res == brute_force([[1, 1], [1, -1]], [1, -1], keep_solutions=True)
    assert res.to_dict()["solutions"] == res.solutions.tolist()
