"""Top-k selection, stochastic acceptance, budgets and the schedule, bias updates."""

from __future__ import annotations

import numpy as np
import pytest
from gft_cases import pm1
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.gft import FullyBinaryMLP, GFTTrainer
from bnncore.gft.rule import k_schedule, resolve_k, select_flips

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


def _state(g: np.random.Generator):
    return g.bit_generator.state


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 8), st.integers(0, 20), st.integers(0, 10**6))
def test_selection_properties(O, I, k, seed):
    g = np.random.default_rng(seed)
    sigma = g.integers(-4, 5, (O, I)).astype(np.int32)
    acc, n_c, n_sel = select_flips(sigma, k, np.random.default_rng(seed + 1))
    flat = sigma.ravel()
    cand = np.flatnonzero(flat > 0)
    assert n_c == cand.size and n_sel == (min(k, n_c) if k else 0)
    assert acc.size <= n_sel <= k
    assert (flat[acc] > 0).all()                                 # only sigma > 0
    assert (np.diff(acc) > 0).all()                              # sorted, distinct
    if k >= 1 and n_c >= 1:
        assert flat.max() in flat[acc]                           # the top score passes
    # selected scores dominate unselected candidates (replay the selection draws)
    r = np.random.default_rng(seed + 1)
    if k and n_c:
        tie = r.permutation(n_c)
        order = np.lexsort((tie, -flat[cand]))
        sel = cand[order[:min(k, n_c)]]
        rest = np.setdiff1d(cand, sel)
        if rest.size:
            assert flat[sel].min() >= flat[rest].max()
        assert set(acc.tolist()) <= set(sel.tolist())


@SETTINGS
@given(st.integers(1, 400), st.integers(1, 50), st.integers(1, 9), st.integers(0, 10**6))
def test_prefiltered_top_k_equals_full_lexsort(n, k, top, seed):
    g = np.random.default_rng(seed)
    flat = g.integers(-2, top + 1, n)
    cand = np.flatnonzero(flat > 0)
    if cand.size == 0:
        return
    acc, _, n_sel = select_flips(flat, k, np.random.default_rng(seed), p_update=1.0)
    r = np.random.default_rng(seed)
    tie = r.permutation(cand.size)
    sel = cand[np.lexsort((tie, -flat[cand]))[:min(k, cand.size)]]
    accept = r.integers(0, flat[cand].max(), size=sel.size) < flat[sel]
    np.testing.assert_array_equal(acc, np.sort(sel[accept]))


def test_equal_scores_are_all_accepted():
    sigma = np.array([[5, 5, -1], [5, 0, 5]])
    acc, n_c, n_sel = select_flips(sigma, 10, np.random.default_rng(0))
    assert acc.tolist() == [0, 1, 3, 5] and (n_c, n_sel) == (4, 4)


def test_ties_at_the_budget_are_broken_at_random():
    sigma = np.full((1, 40), 3)
    picks = {tuple(select_flips(sigma, 2, np.random.default_rng(s))[0]) for s in range(20)}
    assert len(picks) > 5
    assert all(len(p) == 2 for p in picks)


def test_no_draws_when_k_is_zero_or_no_candidate():
    g = np.random.default_rng(7)
    before = _state(g)
    acc, n_c, n_sel = select_flips(np.array([[3, 1]]), 0, g)
    assert acc.size == 0 and (n_c, n_sel) == (2, 0) and _state(g) == before
    acc, n_c, n_sel = select_flips(np.array([[0, -1]]), 5, g)
    assert acc.size == 0 and (n_c, n_sel) == (0, 0) and _state(g) == before
    select_flips(np.array([[3, 1]]), 1, g)
    assert _state(g) != before


def test_acceptance_probability_is_sigma_over_smax_times_p_update():
    sigma = np.array([[8, 2]])
    hits = np.zeros(2)
    n = 4000
    g = np.random.default_rng(0)
    for _ in range(n):
        acc, _, _ = select_flips(sigma, 2, g)
        hits[acc] += 1
    assert hits[0] == n                                    # sigma = smax: always
    assert abs(hits[1] / n - 2 / 8) < 0.03
    hits[:] = 0
    for _ in range(n):
        acc, _, _ = select_flips(sigma, 2, g, p_update=0.5)
        hits[acc] += 1
    assert abs(hits[0] / n - 0.5) < 0.04 and abs(hits[1] / n - 0.125) < 0.03


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, float("nan"), "1"])
def test_p_update_must_be_in_zero_one(bad):
    with pytest.raises(ValueError, match="p_update"):
        select_flips(np.array([1]), 1, np.random.default_rng(0), p_update=bad)
    with pytest.raises(TypeError, match="p_update"):
        select_flips(np.array([1]), 1, np.random.default_rng(0), p_update=True)


# -- budgets ----------------------------------------------------------------------------
def test_resolve_k_worked_examples():
    assert resolve_k(0.001, 16384) == 17
    assert resolve_k(0.001, 2560) == 3
    assert resolve_k(0.001, 101) == 1
    assert resolve_k(5, 3) == 3
    assert resolve_k(0.0, 100) == 0
    assert resolve_k(0.1, 30) == 3
    assert resolve_k(np.int64(4), 10) == 4
    assert resolve_k(1.0, 7) == 7


@pytest.mark.parametrize("bad", [-1, 1.5, -0.1, float("nan"), "3", None])
def test_resolve_k_rejects_bad_budgets(bad):
    with pytest.raises(ValueError, match="k0"):
        resolve_k(bad, 10, "k0")


def test_resolve_k_rejects_bools():
    with pytest.raises(TypeError, match="k"):
        resolve_k(True, 10)


def test_schedule_worked_examples():
    assert [k_schedule(t, 4, 3, 0) for t in range(4)] == [3, 2, 1, 0]
    assert [k_schedule(t, 5, 1, 0) for t in range(5)] == [1, 1, 1, 1, 0]
    assert k_schedule(0, 1, 6, 2) == 6 and k_schedule(9, 4, 6, 2) == 2
    assert k_schedule(3, None, 5, 0, "constant") == 5
    assert k_schedule(0, 10, 0.001, 0.0, size=16384) == 17


@SETTINGS
@given(st.integers(1, 300), st.integers(0, 50), st.integers(0, 50))
def test_linear_schedule_is_integer_monotone_and_hits_both_ends(T, a, b):
    k_min, k0 = sorted((a, b))
    ks = [k_schedule(t, T, k0, k_min) for t in range(T + 3)]
    assert all(isinstance(k, int) for k in ks)
    assert all(x >= y for x, y in zip(ks, ks[1:]))
    assert ks[0] == k0 and ks[T - 1] == (k0 if T == 1 else k_min) and ks[-1] == k_min
    if k0 >= 1:                       # the ceiling keeps >= 1 flip until the last step
        assert all(k >= 1 for k in ks[:T - 1])


def test_callable_schedule_is_clipped():
    assert k_schedule(0, 10, 3, 0, lambda t, T, k0, k_min: 99, size=5) == 5
    assert k_schedule(0, 10, 3, 0, lambda t, T, k0, k_min: -4, size=5) == 0
    with pytest.raises(ValueError, match="int"):
        k_schedule(0, 10, 3, 0, lambda t, T, k0, k_min: 1.5, size=5)


def test_schedule_rejects_bad_arguments():
    with pytest.raises(ValueError, match="k_min"):
        k_schedule(0, 5, 1, 2)
    with pytest.raises(ValueError, match="total_steps"):
        k_schedule(0, None, 3, 0)
    with pytest.raises(ValueError, match="schedule"):
        k_schedule(0, 5, 3, 0, "cosine")
    with pytest.raises(ValueError, match="t must"):
        k_schedule(-1, 5, 3, 0)


# -- bias (docs/gft.md, "Integer thresholds") -----------------------------------------
@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(1, 7), st.integers(1, 6), st.integers(2, 4), st.integers(1, 8),
       st.integers(0, 10**6), st.sampled_from([1, 2, 0.5, 1.0]))
def test_bias_stays_bounded_keeps_parity_and_respects_its_budget(I, H, O, B, seed, k0):
    net = FullyBinaryMLP((I, H, O), bias=True, rng=seed)
    tr = GFTTrainer(net, k0=k0, k_min=0, schedule="constant", margin=I + 2, rng=seed)
    g = np.random.default_rng(seed)
    for _ in range(12):
        before = [b.copy() for b in net.biases]
        kb = tr.bias_k_at()
        stats = tr.step(pm1((B, I), int(g.integers(1 << 30))), g.integers(0, O, B))
        for layer, (b0, b1) in enumerate(zip(before, net.biases)):
            fan = net.sizes[layer]
            assert b1.dtype == np.int32 and np.abs(b1).max() <= fan
            assert (b1 % 2 == 0).all()                              # parity of v kept
            changed = int(np.count_nonzero(b1 != b0))
            assert changed == stats.bias_updates[layer] <= kb[layer]
            assert set(np.abs(b1 - b0).tolist()) <= {0, 2}


def test_bias_moves_towards_the_flagged_direction():
    net = FullyBinaryMLP((3, 1), output="binary", bias=True, rng=0)
    net.weights[0] = np.array([[1, 1, 1]], np.int8)
    tr = GFTTrainer(net, k0=0, k_min=0, schedule="constant", rng=0)
    with pytest.raises(ValueError, match="k_min"):     # int k0=0 -> bias budget 0 too
        GFTTrainer(net, k0=0, k_min=1)
    x = np.array([[1, 1, -1]] * 4, np.int8)             # v = 1, target -1: push down
    stats = tr.step(x, np.full(4, -1))
    assert stats.bias_updates == (0,)                   # budget 0
    tr = GFTTrainer(net, k0=1, k_min=1, schedule="constant", rng=0)
    tr.step(x, np.full(4, -1))
    assert net.biases[0].tolist() == [-2]
