"""The certified portfolio: every back end against brute force, the verification of the
incomplete search, time limits, determinism and bad input (docs/theory.md, section
"The certified portfolio")."""

import importlib
import time
import warnings

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from theory.sat import (
    brute_force,
    count_solutions,
    make_perceptron_instance,
    max_accuracy,
    random_instance,
    solve,
    verify,
)
from theory.sat.anneal import AnnealOutcome, anneal
from theory.sat.encoding import encode_perceptron

COMPLETE = ("auto", "cpsat", "glucose4")
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)   # a failure prints its example


@st.composite
def instances(draw):
    hidden = draw(st.sampled_from([None, 2]))
    n = draw(st.integers(1, 16 if hidden is None else 8))
    alpha = draw(st.floats(0.2, 2.0))
    labels = draw(st.sampled_from(["random", "teacher"]))
    seed = draw(st.integers(0, 2 ** 20))
    output = draw(st.sampled_from(["majority", "weights"])) if hidden else "majority"
    return random_instance(n, alpha, labels, seed), hidden, output


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow], phases=PHASES)
@given(instances())
def test_every_back_end_agrees_with_brute_force(case):
    inst, hidden, output = case
    brute = brute_force(inst, hidden=hidden, output=output)
    fits = brute.min_errors == 0
    for name in COMPLETE:
        res = solve(inst, hidden=hidden, output=output, solver=name)
        assert res.status == ("sat" if fits else "unsat"), name
        assert res.proof == (not fits), name
        if fits:
            w = res.w if res.v is None else (res.w, res.v)
            assert verify(*inst, w, hidden=hidden, output=output)
        best = max_accuracy(inst, hidden=hidden, output=output, solver=name)
        assert best.status == "optimal" and best.proof, name
        assert best.n_errors == brute.min_errors, name
    if hidden is None:
        res = solve(inst, solver="anneal", seed=1)
        assert res.status in ("sat", "unknown") and res.backend == "anneal"
        assert res.status == "unknown" or (fits and verify(*inst, res.w))
        assert not res.proof


def _planted_unsat(n=40, m=20, seed=0):
    """Random rows with one pattern repeated under the opposite label: no ``w`` fits."""
    rng = np.random.default_rng(seed)
    X = 2 * rng.integers(0, 2, (m, n)) - 1
    y = 2 * rng.integers(0, 2, m) - 1
    X[m // 2] = X[3]
    y[m // 2] = -y[3]
    return make_perceptron_instance(X, y)


@pytest.mark.parametrize("seed", range(3))
def test_planted_unsat_is_never_sat(seed):
    """CP-SAT proves it at once; CDCL on the CNF counters may not within seconds (it has to
    rediscover that two identical rows cannot get opposite signs): never "sat" either way."""
    inst = _planted_unsat(seed=seed)
    for name in ("auto", "cpsat"):
        res = solve(inst, solver=name, time_limit=20.0)
        assert res.status == "unsat" and res.proof and res.w is None and res.backend == "cpsat"
    res = solve(inst, solver="glucose4", time_limit=2.0)
    assert res.status in ("unsat", "unknown") and res.proof == (res.status == "unsat")
    small = _planted_unsat(n=12, m=8, seed=seed)
    assert solve(small, solver="glucose4").status == "unsat"
    res = solve(inst, solver="anneal", seed=seed)
    assert res.status == "unknown" and "cannot prove unsat" in res.reason


def _wrong_model(inst):
    """A weight vector that misclassifies sample 0 (flip until it does)."""
    w = -np.ones(inst.n, np.int8)
    if verify(inst.X[:1], inst.y[:1], w):
        w = -w
    assert not verify(*inst, w)
    return w


def test_a_wrong_model_of_the_incomplete_search_is_never_reported(monkeypatch):
    portfolio = importlib.import_module("theory.sat.portfolio")
    for inst in (random_instance(30, 0.6, "teacher", 0), _planted_unsat()):
        bad = _wrong_model(inst)
        monkeypatch.setattr(portfolio, "anneal", lambda *a, _w=bad, **k: AnnealOutcome(
            "sat", _w.copy(), 1, 0, 0.0, None))
        with pytest.warns(RuntimeWarning, match="dropped"):
            res = solve(inst)
        assert res.backend == "cpsat" and "failed verification" in res.reason
        assert res.status in ("sat", "unsat")
        assert res.status == "unsat" or (verify(*inst, res.w) and not np.array_equal(res.w, bad))
        with pytest.raises(RuntimeError, match="independent verification failed.*anneal"):
            solve(inst, solver="anneal")


def test_cpsat_model_is_verified_too(monkeypatch):
    cpsat = importlib.import_module("theory.sat.cpsat")
    real = cpsat.run
    inst = random_instance(20, 0.5, "teacher", 2)

    def corrupt(*a, **k):
        out = real(*a, **k)
        return type(out)(**{**out.__dict__, "w": _wrong_model(inst)})

    monkeypatch.setattr(cpsat, "run", corrupt)
    with pytest.raises(RuntimeError, match="independent verification failed.*cpsat"):
        solve(inst, solver="cpsat")


def test_time_limits_are_honoured_by_every_back_end():
    inst = random_instance(120, 0.83, "random", 0)
    solve(random_instance(9, 0.5, "random", 0), solver="auto")     # compile, import OR-Tools
    for name in ("auto", "anneal", "cpsat", "glucose4", "cadical195"):
        start = time.perf_counter()
        res = solve(inst, solver=name, time_limit=1.0)
        wall = time.perf_counter() - start
        assert wall < 3.0, (name, wall)
        assert res.status in ("sat", "unsat", "unknown"), name
        if res.status == "unknown":
            assert "time limit" in res.reason or "no model" in res.reason, name
        if res.status == "sat":
            assert verify(*inst, res.w)
    start = time.perf_counter()
    res = max_accuracy(inst, time_limit=1.0)
    assert time.perf_counter() - start < 3.0
    assert res.status in ("optimal", "unknown")
    if res.status == "unknown":
        assert 0 <= res.lower_bound <= inst.m


def test_the_time_limit_covers_the_cnf_encoding():
    inst = random_instance(120, 0.83, "random", 0)     # about 1 s of seqcounter encoding
    for name in ("glucose4", "cadical195"):
        start = time.perf_counter()
        res = solve(inst, solver=name, time_limit=0.05)
        assert time.perf_counter() - start < 1.0, name       # not the 1 s of encoding
        assert res.status == "unknown" and res.reason == "time limit 0.05 s reached while encoding"
        assert res.n_clauses == 0 and res.solve_seconds == 0.0
    res = max_accuracy(inst, solver="glucose4", time_limit=0.05)
    assert res.status == "unknown" and res.lower_bound == 0
    with pytest.raises(TimeoutError, match="sample 0 of 100"):
        encode_perceptron(inst, deadline=time.perf_counter() - 1.0)


def test_auto_reports_who_answered():
    easy = random_instance(60, 0.6, "random", 0)
    res = solve(easy, time_limit=30.0)
    assert res.status == "sat" and res.backend == "anneal" and res.solver == "auto"
    assert res.n_vars == 60 and res.n_clauses == easy.m and res.encoding == "none"
    hidden = solve(random_instance(8, 0.6, "teacher", 0), hidden=2)
    assert hidden.backend == "cpsat" and hidden.encoding == "linear"
    res = max_accuracy(random_instance(12, 2.0, "random", 0))
    assert res.backend == "cpsat" and res.status == "optimal" and res.proof


def test_cpsat_and_cdcl_agree_near_capacity():
    for seed in range(4):
        inst = random_instance(21, 0.9, "random", seed)
        a, b = solve(inst, solver="cpsat"), solve(inst, solver="glucose4")
        assert a.status == b.status and a.proof == b.proof == (a.status == "unsat")


def test_integer_features_go_to_cpsat_without_a_unary_limit():
    from theory.hardness import partition_to_perceptron

    with pytest.raises(ValueError, match="max_unary"):
        solve(partition_to_perceptron([3000, 1000]), solver="glucose4")
    assert solve(partition_to_perceptron([3000, 1000])).status == "unsat"   # odd: no cut
    res = solve(partition_to_perceptron([3000, 1000, 2000]))
    assert res.status == "sat" and res.w[-1] == res.w[2]


def test_anneal_is_deterministic_and_thread_count_free():
    inst = random_instance(150, 0.6, "random", 4)
    before = numba.get_num_threads()
    try:
        outs = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            outs.append(anneal(inst, seed=7))
    finally:
        numba.set_num_threads(before)
    a, b = outs
    assert a.status == b.status == "sat" and a.restarts == b.restarts
    assert np.array_equal(a.w, b.w) and verify(*inst, a.w)
    assert not np.array_equal(anneal(inst, seed=8).w, a.w)


def test_count_solutions_auto_equals_enumeration():
    for seed in range(5):
        inst = random_instance(12, 0.5, "random", seed)
        assert count_solutions(inst) == count_solutions(inst, solver="glucose4") == \
            brute_force(inst).n_consistent


def test_bad_input_names_the_argument():
    inst = random_instance(9, 0.5, "random", 0)
    with pytest.raises(ValueError, match=r"\['auto', 'anneal', 'cpsat'\].*'glucose4'.*'ilp'"):
        solve(inst, solver="ilp")
    with pytest.raises(ValueError, match="solver='anneal' is the incomplete search"):
        solve(inst, hidden=2, solver="anneal")
    with pytest.raises(ValueError, match="cannot prove an optimum"):
        max_accuracy(inst, solver="anneal")
    with pytest.raises(ValueError, match="encoding='totalizer' applies to the CNF"):
        solve(inst, encoding="totalizer")
    with pytest.raises(ValueError, match="pb_backend"):
        solve(inst, solver="cpsat", pb_backend="pysat-pb")
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        solve(inst, seed=-1)
    with pytest.raises(ValueError, match="count_solutions enumerates"):
        count_solutions(inst, solver="cpsat")
    with pytest.raises(TypeError, match="one neuron"):
        anneal(random_instance(9, 0.5, "random", 0).X, seed=0)


def test_missing_ortools_names_the_extra(block_import):
    block_import("ortools")
    inst = random_instance(12, 2.0, "random", 0)
    with pytest.raises(ImportError, match=r'pip install "bnncore\[solvers\]"'):
        solve(inst, solver="cpsat")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = max_accuracy(inst)
    assert res.backend == "cdcl" and res.status == "optimal"
    assert any("bnncore[solvers]" in str(w.message) for w in caught)
