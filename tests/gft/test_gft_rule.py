"""The update rule's pure functions: error signs, propagation, votes, flip scores."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from gft_cases import pm1
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.gft import GFTTrainer, rule
from bnncore.gft.rule import (
    contribution_tensor,
    flip_scores,
    output_error,
    propagate,
    sign,
    tsign,
    vote,
)

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


def test_signs_on_zeros():
    z = np.array([[-2, 0, 3], [0, -1, 0]])
    assert sign(z).tolist() == [[-1, 1, 1], [1, -1, 1]]
    assert tsign(z).tolist() == [[-1, 0, 1], [0, -1, 0]]
    assert sign(z).dtype == np.int8 and tsign(z).dtype == np.int8


@st.composite
def tiny_layer(draw):
    B, O, I = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 6))
    seed = draw(st.integers(0, 10**6))
    g = np.random.default_rng(seed)
    D = g.integers(-1, 2, (B, O)).astype(np.int8)
    return pm1((B, I), seed), pm1((O, I), seed + 1), D


@SETTINGS
@given(tiny_layer())
def test_sigma_is_erroneous_minus_helpful(case):
    x, W, D = case
    c = contribution_tensor(x, W)                          # (B, O, I)
    Dc = D[:, :, None]
    erroneous = ((Dc != 0) & (c == -Dc)).sum(axis=0)
    helpful = ((Dc != 0) & (c == Dc)).sum(axis=0)
    np.testing.assert_array_equal(flip_scores(W, vote(D, x)), erroneous - helpful)
    np.testing.assert_array_equal(c.sum(axis=2), x.astype(int) @ W.T.astype(int))


@SETTINGS
@given(tiny_layer())
def test_flipping_one_weight_moves_the_flagged_scores_by_two_sigma(case):
    x, W, D = case
    sigma = flip_scores(W, vote(D, x))

    def objective(w):   # sum_b D[b,o] * v[b,o], per output o, D held fixed
        return (D.astype(int) * (x.astype(int) @ w.T.astype(int))).sum(axis=0)

    base = objective(W)
    for o in range(W.shape[0]):
        for i in range(W.shape[1]):
            w = W.copy()
            w[o, i] *= -1
            change = objective(w) - base
            assert change[o] == 2 * sigma[o, i]
            assert (np.delete(change, o) == 0).all()


def test_output_error_multiclass_hand_cases():
    v = np.array([[3, 0, -2], [0, 0, 0], [5, 9, -9]])
    y = np.array([0, 1, 1])
    # T = [[1,-1,-1], [-1,1,-1], [-1,1,-1]]; sign(0) = +1 flags a -1 target at score 0
    assert output_error(v, y, output="multiclass").tolist() == [
        [0, -1, 0], [-1, 0, -1], [-1, 0, 0]]
    assert output_error(v, y, output="multiclass", margin=4).tolist() == [
        [1, -1, -1], [-1, 1, -1], [-1, 0, 0]]


def test_output_error_binary_hand_cases():
    v = np.array([[0], [0], [-3], [2]])
    y = np.array([1, -1, -1, -1])
    assert output_error(v, y, output="binary").tolist() == [[0], [-1], [0], [-1]]
    assert output_error(v, y, output="binary", margin=3).tolist() == [[1], [-1], [0], [-1]]
    assert output_error(v, y, output="binary", margin=4).tolist() == [[1], [-1], [-1], [-1]]


@SETTINGS
@given(st.integers(1, 6), st.integers(2, 5), st.integers(0, 10**6), st.integers(0, 6),
       st.integers(0, 6))
def test_output_error_flags(B, O, seed, m1, m2):
    g = np.random.default_rng(seed)
    v = g.integers(-4, 5, (B, O)).astype(np.int32)
    y = g.integers(0, O, B)
    T = -np.ones((B, O), int)
    T[np.arange(B), y] = 1
    D0 = output_error(v, y, output="multiclass", margin=0)
    assert D0.dtype == np.int8
    np.testing.assert_array_equal(D0 != 0, np.where(v >= 0, 1, -1) != T)   # misclassified
    np.testing.assert_array_equal(D0[D0 != 0], T[D0 != 0])
    lo, hi = sorted((m1, m2))
    D_lo = output_error(v, y, output="multiclass", margin=lo)
    D_hi = output_error(v, y, output="multiclass", margin=hi)
    assert ((D_lo != 0) <= (D_hi != 0)).all()                  # raising kappa never unflags


def test_output_error_rejects_bad_arguments():
    v = np.zeros((2, 3), np.int32)
    with pytest.raises(ValueError, match="margin"):
        output_error(v, np.array([0, 1]), output="multiclass", margin=-1)
    with pytest.raises(ValueError, match="margin"):
        output_error(v, np.array([0, 1]), output="multiclass", margin=1.5)
    with pytest.raises(ValueError, match="out of range"):
        output_error(v, np.array([0, 3]), output="multiclass")
    with pytest.raises(ValueError, match="y must have shape"):
        output_error(v, np.array([0]), output="multiclass")
    with pytest.raises(ValueError, match="±1"):
        output_error(np.zeros((2, 1)), np.array([1, 0]), output="binary")


def test_propagate_hand_cases_for_each_gate():
    D = np.array([[1, -1], [0, 1]], np.int8)
    W = np.array([[1, 1, -1, 1], [1, -1, -1, -1]], np.int8)
    # P = D @ W = [[0, 2, 0, 2], [1, -1, -1, -1]]
    x = np.array([[1, 1, -1, -1], [-1, -1, 1, 1]], np.int8)
    v = np.array([[0, 5, -1, -2], [-3, 2, 1, 4]], np.int32)
    assert propagate(D, W, x, v).tolist() == [[0, 1, 0, 1], [1, -1, -1, -1]]
    assert propagate(D, W, x, v, gate="window", tau=2).tolist() == [
        [0, 0, 0, 1], [0, -1, -1, 0]]
    assert propagate(D, W, x, v, gate="flip").tolist() == [[0, 0, 0, 1], [1, 0, -1, -1]]


@SETTINGS
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 7), st.integers(0, 10**6))
def test_propagate_none_is_tsign_of_D_W(B, O, I, seed):
    g = np.random.default_rng(seed)
    D = g.integers(-1, 2, (B, O)).astype(np.int8)
    W, x = pm1((O, I), seed), pm1((B, I), seed + 1)
    v = g.integers(-9, 10, (B, I)).astype(np.int32)
    out = propagate(D, W, x, v)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, np.sign(D.astype(int) @ W.astype(int)))


@pytest.mark.parametrize("fan_in", [1, 3, 64, 255, 256])
def test_window_default_tau_is_isqrt_fan_in(fan_in):
    tau = max(1, math.isqrt(fan_in))
    D = np.ones((1, 1), np.int8)
    W = np.ones((1, 4), np.int8)
    x = np.ones((1, 4), np.int8)
    v = np.array([[tau, tau + 1, -tau, -tau - 1]], np.int32)
    out = propagate(D, W, x, v, gate="window", fan_in=fan_in)
    assert out.tolist() == [[1, 0, 1, 0]]
    assert rule.default_tau(fan_in) == tau


def test_window_default_in_the_trainer_uses_the_hidden_layers_fan_in():
    from bnncore.gft import FullyBinaryMLP
    tr = GFTTrainer(FullyBinaryMLP((50, 30, 20, 2), rng=0), gate="window", k0=1)
    assert tr._taus == (7, 5)        # isqrt(50), isqrt(30)
    with pytest.raises(ValueError, match="tau"):
        GFTTrainer(FullyBinaryMLP((50, 30, 20, 2), rng=0), tau=[3])


def test_propagate_rejects_unknown_gate():
    with pytest.raises(ValueError, match="gate"):
        propagate(np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)),
                  gate="ste")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(0, 10**6),
       st.sampled_from(["none", "window", "flip"]))
def test_every_intermediate_is_an_integer_array(B, O, I, seed, gate):
    g = np.random.default_rng(seed)
    v = g.integers(-5, 6, (B, O)).astype(np.int32)
    D = output_error(v, g.integers(0, 2, B) if O >= 2 else 2 * g.integers(0, 2, B) - 1,
                     output="multiclass" if O >= 2 else "binary", margin=1)
    W, x = pm1((O, I), seed), pm1((B, I), seed + 1)
    vprev = g.integers(-5, 6, (B, I)).astype(np.int32)
    arrays = [D, propagate(D, W, x, vprev, gate=gate, tau=2), vote(D, x),
              flip_scores(W, vote(D, x)), contribution_tensor(x, W)]
    for a in arrays:
        assert np.issubdtype(a.dtype, np.integer), a.dtype


def test_products_survive_fan_in_and_batch_above_127():
    B, O, I = 200, 2, 300
    D = np.ones((B, O), np.int8)
    W = np.ones((O, I), np.int8)
    x = np.ones((B, I), np.int8)
    assert int(vote(D, x)[0, 0]) == 200
    assert int(flip_scores(-W, vote(D, x))[0, 0]) == 200
    D1 = np.ones((1, 200), np.int8)
    W1 = np.ones((200, 3), np.int8)
    # |P| = 200 > 127, tsign must still be +1 (an int8 product would wrap to -56)
    assert propagate(D1, W1, np.ones((1, 3), np.int8), np.zeros((1, 3), np.int32)).tolist() \
        == [[1, 1, 1]]


def test_rule_docstrings_say_reconstructed():
    names = ["contribution_tensor", "output_error", "propagate", "vote", "flip_scores",
             "select_flips", "select_top_k", "accept_selected", "resolve_k", "k_schedule",
             "bias_vote", "bias_candidates", "bias_step"]
    for name in names:
        assert "reconstructed" in inspect.getdoc(getattr(rule, name)).lower(), name
    assert "reconstructed" in inspect.getdoc(rule).lower()
    assert "reconstructed" in inspect.getdoc(GFTTrainer).lower()
