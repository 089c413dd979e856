"""theory.hardness: PARTITION reductions (docs/theory.md, section "3. NP-hardness") and the
scaling experiment (section "4. Scaling")."""

import itertools

import matplotlib
import numpy as np
import pytest

from theory import hardness
from theory.hardness import (
    has_partition_dp,
    partition_to_perceptron,
    partition_to_regression,
    partition_to_weights,
    perceptron_to_partition,
    real_relaxation,
    regression_solution_to_subset,
    scaling,
    subset_sum_dp,
    subset_sum_to_regression,
    summarize_scaling,
    verify_partition,
)
from theory.sat import brute_force, random_instance, solve, verify


def _exhaustive_partition(a):
    total = sum(a)
    return any(2 * sum(c) == total for r in range(len(a) + 1)
               for c in itertools.combinations(a, r))


def _random_items(count, seed, k_max=8, a_max=11, want=None):
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        a = rng.integers(1, a_max + 1, int(rng.integers(1, k_max + 1))).tolist()
        if want is None or has_partition_dp(a)[0] == want:
            found.append(a)
    return found


def test_dp_matches_exhaustive_search_and_witnesses_sum():
    for a in _random_items(200, 0, k_max=10):
        ok, P = has_partition_dp(a)
        assert ok == _exhaustive_partition(a)
        if ok:
            assert verify_partition(a, P)
        for T in (0, sum(a) // 3, sum(a)):
            ok, P = subset_sum_dp(a, T)
            assert ok == any(sum(c) == T for r in range(len(a) + 1)
                             for c in itertools.combinations(a, r))
            if ok:
                assert sum(a[i] for i in P) == T and len(set(P)) == len(P)


@pytest.mark.parametrize("a", [[3, 1, 1, 2, 2, 1], [1, 1], [2, 2, 2, 2]])
def test_hand_yes_instances(a):
    _check_yes(a)


def _check_yes(a):
    res = solve(partition_to_perceptron(a), solver="glucose4")
    assert res.status == "sat"
    assert res.w[-1] == 1                                 # w_{k+1} = +1 (proof, step 1)
    P = perceptron_to_partition(res.w, a)
    Q = [i for i in range(len(a)) if res.w[i] != res.w[-1]]
    assert verify_partition(a, P) and sorted(P + Q) == list(range(len(a)))
    assert P == [i for i in range(len(a)) if res.w[i] == 1]
    assert sum(a[i] for i in P) == sum(a[i] for i in Q)


@pytest.mark.parametrize("a", [[2, 3, 7], [1, 2, 4], [5]])
def test_hand_no_instances(a):
    _check_no(a)


def _check_no(a):
    inst = partition_to_perceptron(a)
    assert solve(inst, solver="glucose4").status == "unsat"
    assert brute_force(inst).n_consistent == 0


def test_random_yes_and_no_instances_match_the_dp():
    for a in _random_items(100, 1, want=True):
        _check_yes(a)
    for a in _random_items(60, 2, want=False):
        _check_no(a)


def test_reduction_up_to_k12_via_the_facade():
    rng = np.random.default_rng(3)
    for _ in range(40):
        a = rng.integers(1, 11, int(rng.integers(9, 13))).tolist()
        res = solve(partition_to_perceptron(a), solver="glucose4")
        assert (res.status == "sat") == has_partition_dp(a)[0]
        if res.status == "sat":
            P = perceptron_to_partition(res.w, a)
            assert 2 * sum(a[i] for i in P) == sum(a)


def test_round_trip_of_certificates():
    for a in _random_items(50, 4, want=True):
        _, P = has_partition_dp(a)
        w = partition_to_weights(a, P)
        inst = partition_to_perceptron(a)
        assert verify(inst.X, inst.y, w)
        assert perceptron_to_partition(w, a) == sorted(P)


def test_regression_reduction_agrees_with_dp():
    for a in _random_items(60, 5, k_max=7):
        ok, _ = has_partition_dp(a)
        inst = partition_to_regression(a)
        assert (solve(inst).status == "sat") == ok
        assert (brute_force(inst).min_errors == 0) == ok
        T = sum(a) // 3
        sub = subset_sum_to_regression(a, T)
        res = solve(sub)
        assert (res.status == "sat") == subset_sum_dp(a, T)[0]
        if res.status == "sat":
            assert sum(a[i] for i in regression_solution_to_subset(res.w)) == T


def test_relaxation_is_separable_for_yes_and_no_instances():
    for a in ([3, 1, 1, 2, 2, 1], [2, 3, 7], [1, 2, 4], [5]):
        w, tau = real_relaxation(partition_to_perceptron(a))
        assert tau > 0.5 and np.all(np.abs(w) <= 1 + 1e-9)


def test_bad_partition_input():
    for bad in ([], [0, 1], [1, -2], [1.0, 2], ["1"], None):
        with pytest.raises(ValueError, match="^a "):
            has_partition_dp(bad)
    with pytest.raises(ValueError, match="w is not consistent"):
        perceptron_to_partition([1, 1, 1], [1, 2])
    with pytest.raises(ValueError, match="w must be ±1"):
        perceptron_to_partition([1, 0, 1], [1, 1])
    for bad in ([1, 2.5], [1, 0], [], [True, 1], "123", [[1, 2]], np.ones((2, 2), int)):
        with pytest.raises(ValueError, match=r"^a "):
            partition_to_perceptron(bad)
    with pytest.raises(ValueError, match="T must satisfy"):
        subset_sum_dp([1, 2], 4)
    with pytest.raises(ValueError, match="T must be an int"):
        subset_sum_to_regression([1, 2], 1.5)


@pytest.fixture(scope="module")
def ci_grid():
    return scaling((9, 13, 17), (0.6, 0.833), seeds=(0, 1), time_limit=5.0, progress=False,
                   solver="glucose4")


def test_verify_partition():
    assert verify_partition([3, 1, 1, 2, 2, 1], [0, 1, 2])
    assert not verify_partition([3, 1, 1, 2, 2, 1], [0, 1])
    assert not verify_partition([1, 1], [0, 0])          # repeated index
    assert not verify_partition([1, 1], [2])             # out of range


def test_ci_grid(ci_grid):
    assert len(ci_grid) == 3 * 2 * 2 * 2 * 2          # n, alpha, labels, seeds, methods
    for r in ci_grid:
        if r.status == "sat":
            assert r.verified is True
        if r.labels == "teacher":
            assert r.status == "sat"
        if r.method == "sat":
            assert r.agrees_with_brute is True and r.n_vars > r.n and r.conflicts >= 0
    again = scaling((9, 13, 17), (0.6, 0.833), seeds=(0, 1), time_limit=5.0, progress=False,
                    solver="glucose4")
    key = [(r.method, r.status, r.n_vars, r.n_clauses, r.conflicts) for r in ci_grid]
    assert key == [(r.method, r.status, r.n_vars, r.n_clauses, r.conflicts) for r in again]
    for row in summarize_scaling(ci_grid):
        assert 0 <= row["frac_solved"] <= 1
        assert row["frac_sat"] is None or 0 <= row["frac_sat"] <= 1


def test_capacity_sanity_with_brute_force():
    frac = {}
    for alpha in (0.3, 2.0):
        sats = [brute_force(random_instance(15, alpha, "random", np.random.default_rng([9, rep])))
                .n_consistent > 0 for rep in range(50)]
        frac[alpha] = np.mean(sats)
    assert frac[0.3] >= 0.9 and frac[2.0] <= 0.1


def test_scaling_dicts_and_plot(ci_grid):
    matplotlib.use("Agg")
    rows = scaling([9, 11], (0.6, 0.833), seeds=[0, 1], progress=False, time_limit=5.0)
    assert {r.seed for r in rows} == {0, 1}
    assert all(r.seconds >= 0 and r.m >= 1 and r.status in ("sat", "unsat") for r in rows)
    ax = hardness.plot_scaling(rows, time_limit=5.0, solver="glucose4", encoding="seqcounter")
    assert len(ax.lines) == 2 * 2 * 2                # (method, labels, alpha)
    assert "glucose4" in ax.get_title() and "seqcounter" in ax.get_title()
    assert ax.get_yscale() == "log"
    dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 4 and all("brute" in ln.get_label() for ln in dashed)
    ax2 = hardness.plot_scaling(ci_grid)
    assert len(ax2.lines) == 2 * 2 * 2
    import matplotlib.pyplot as plt

    plt.close("all")


def test_timeouts_are_drawn_hollow_at_the_limit():
    matplotlib.use("Agg")
    rows = [{"method": "sat", "labels": "random", "alpha": 0.6, "n": n, "status": s,
             "seconds": t, "conflicts": None} for n, s, t in
            [(10, "sat", 0.1), (10, "unknown", 0.3), (10, "sat", 0.2),
             (20, "unknown", 2.0), (20, "sat", 1.0), (20, "unknown", 0.5)]]
    ax = hardness.plot_scaling(rows, time_limit=2.0, instances=False)
    # n=10: one of three undecided (it counts as the limit): median 0.2, drawn solid;
    # n=20: two of three undecided, so the median is the limit and the cell is hollow
    assert ax.lines[0].get_ydata().tolist() == [0.2, 2.0]
    assert len(ax.collections) == 1 and "≥ time limit" in [t.get_text() for t in
                                                           ax.get_legend().get_texts()]
    ax = hardness.plot_scaling(rows, time_limit=2.0)      # + one marker set per status
    assert len(ax.collections) == 3
    hollow = [c for c in ax.collections if c.get_offsets().tolist() == [[20.0, 2.0]]]
    assert hollow and all(len(c.get_facecolors()) == 0 for c in hollow)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_scaling_bad_arguments():
    with pytest.raises(ValueError, match="labels must be drawn from"):
        scaling((9,), 0.6, labels=("planted",))
    with pytest.raises(ValueError, match="ns must be"):
        scaling((), 0.6)
    with pytest.raises(ValueError, match="methods must be drawn from"):
        scaling((9,), 0.6, methods=("maxsat",))
    with pytest.raises(ValueError, match="seeds must be"):
        scaling((9,), 0.6, seeds=())
    with pytest.raises(ValueError, match="alpha must be"):
        scaling((9,), 0.0)


def test_scaling_with_back_ends_as_a_dimension():
    matplotlib.use("Agg")
    methods = ("auto", "anneal", "cpsat", "glucose4", "brute")
    recs = scaling((11, 15), (0.6, 0.9), seeds=(0, 1, 2), labels=("random",),
                   methods=methods, time_limit=10.0, progress=False)
    assert {r.method for r in recs} == set(methods)
    for r in recs:
        if r.method == "anneal":
            assert r.status in ("sat", "unknown") and r.backend == "anneal" and not r.proof
        if r.status == "sat":
            assert r.verified is True and not r.proof
        if r.status == "unsat":
            assert r.proof and r.backend in ("cpsat", "cdcl", "brute")
        if r.method != "brute" and r.status != "unknown":
            assert r.agrees_with_brute is True
    assert any(r.status == "unsat" for r in recs) and any(r.status == "sat" for r in recs)
    ax = hardness.plot_scaling(recs, alpha=0.9, time_limit=10.0)
    assert len(ax.lines) == len(methods)                       # one median line per method
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "SAT (certificate)" in legend and "UNSAT (proof)" in legend
    with pytest.raises(ValueError, match="methods must be drawn from"):
        scaling((9,), 0.6, methods=("ilp",), progress=False)
