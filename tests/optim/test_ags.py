"""AGS (docs/ovsw.md, "AGS"): exact unit tests against an independent reference, errors, and
hypothesis invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from ovsw_cases import (
    DELTAS,
    PROPERTY,
    SHAPES,
    ags_reference,
    bin_param,
    norms,
    rtol_of,
    run_ags,
    weight_and_grad,
    weight_grad,
)

from bnncore import quantizers
from bnncore.layers import BatchNorm1d, BinaryDense, Dense
from bnncore.optim import AGS
from bnncore.optim.ags import channel_ratios
from bnncore.params import Parameter


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_matches_reference(rng, shape):
    w, g = weight_grad(rng, shape)
    np.testing.assert_allclose(run_ags(w, g, 0.04), ags_reference(w, g, 0.04), rtol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_never_shrinks_and_keeps_direction(rng, shape):
    w, g = weight_grad(rng, shape)
    out = run_ags(w, g, 0.04)
    before, after = norms(g), norms(out)
    assert np.all(after >= before)
    assert np.any(after > before)                     # the test is not vacuous
    G, O = g.reshape(shape[0], -1), out.reshape(shape[0], -1)
    s = after / before
    np.testing.assert_allclose(O, s[:, None] * G, rtol=1e-13)
    cosine = np.einsum("ij,ij->i", G, O) / (before * after)
    np.testing.assert_allclose(cosine, 1.0, rtol=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_is_bitwise_identity_above_the_threshold(rng, shape):
    w, g = weight_grad(rng, shape)
    g[::2] *= 100                                     # half the channels above delta
    r = channel_ratios(w, g)
    delta = 0.04
    assert np.any(r >= delta) and np.any(r < delta)
    out = run_ags(w, g, delta)
    keep = r >= delta
    np.testing.assert_array_equal(out[keep], g[keep])
    assert not np.any(out[~keep] == g[~keep])
    whole = run_ags(w, g, float(r.min()))               # delta <= min_c r: nothing changes
    np.testing.assert_array_equal(whole, g)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_hits_the_threshold_exactly(rng, shape):
    w, g = weight_grad(rng, shape, g_scale=1e-3)
    delta = 0.04
    scaled = (channel_ratios(w, g) < delta) & (norms(g) >= 1e-6)
    assert scaled.all()
    out = run_ags(w, g, delta)
    ratio = norms(out) / np.maximum(norms(w), 1e-3)
    np.testing.assert_allclose(ratio[scaled], delta, rtol=1e-12)


def test_ags_zero_gradient_stays_zero(rng):
    w, g = weight_grad(rng, (8, 5))
    g[2] = 0.0
    out = run_ags(w, g, 0.04)
    assert np.all(out[2] == 0.0)
    assert np.all(np.isfinite(out))


def test_ags_zero_weight_channel_uses_eps_w(rng):
    w, g = weight_grad(rng, (4, 3, 3, 3))
    delta = 0.04
    w[1] = 0.0
    g[1] *= 2e-5 / np.linalg.norm(g[1])               # 1e-6 <= ||g|| < delta * 1e-3
    out = run_ags(w, g, delta)
    np.testing.assert_allclose(np.linalg.norm(out[1]), delta * 1e-3, rtol=1e-12)
    w[2], g[2] = 0.0, 0.0                              # both zero: finite, still zero
    out = run_ags(w, g, delta)
    assert np.all(np.isfinite(out)) and np.all(out[2] == 0.0)


def test_ags_gradient_below_eps_g_gets_the_finite_factor(rng):
    # docs/ovsw.md "AGS": ||g_c|| < eps_g is multiplied by delta * n_w / eps_g and stays below delta
    w, g = weight_grad(rng, (3, 4))
    g[0] *= 1e-8 / np.linalg.norm(g[0])
    out = run_ags(w, g, 0.04)
    n_w = np.linalg.norm(w[0])
    np.testing.assert_allclose(out[0], g[0] * (0.04 * n_w / 1e-6), rtol=1e-13)
    assert np.linalg.norm(out[0]) / n_w < 0.04


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_is_idempotent(rng, shape):
    w, g = weight_grad(rng, shape, g_scale=1e-3)
    once = run_ags(w, g, 0.04)
    twice = run_ags(w, once, 0.04)
    np.testing.assert_allclose(twice, once, rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_channels_are_independent(rng, shape):
    w, g = weight_grad(rng, shape, g_scale=1e-3)
    out = run_ags(w, g, 0.04)
    g2 = g.copy()
    g2[1] *= 7.0
    g2[1, ...] += 1e-3
    out2 = run_ags(w, g2, 0.04)
    others = np.arange(shape[0]) != 1
    np.testing.assert_array_equal(out2[others], out[others])
    assert not np.array_equal(out2[1], out[1])


def test_ags_conv_equals_dense_on_the_reshape(rng):
    w, g = weight_grad(rng, (4, 3, 3, 3), g_scale=1e-3)
    conv = run_ags(w, g, 0.04)
    dense = run_ags(w.reshape(4, -1), g.reshape(4, -1), 0.04)
    np.testing.assert_array_equal(conv, dense.reshape(w.shape))


def test_ags_leaves_non_targets_untouched(rng):
    layer = BinaryDense(5, 4, bias=True, rng=0)
    norm = BatchNorm1d(4)
    float_dense = Dense(5, 4, rng=1)
    dorefa2 = Parameter(rng.standard_normal((4, 5)), "dorefa2", quantizers.get("dorefa", k=2))
    identity = Parameter(rng.standard_normal((4, 5)), "identity", quantizers.get("identity"))
    params = [layer.weight, layer.bias, *norm.parameters(), *float_dense.parameters(),
              dorefa2, identity]
    for p in params:
        p.grad[...] = 1e-6 * rng.standard_normal(p.shape)
    before = [p.grad.copy() for p in params]
    AGS(0.5)(params)
    assert not np.array_equal(params[0].grad, before[0])
    for p, b in zip(params[1:], before[1:]):
        np.testing.assert_array_equal(p.grad, b, err_msg=p.name)


def test_ags_logs_one_entry_per_call(rng):
    p = bin_param(rng.standard_normal((6, 4)))
    ags = AGS(0.04)
    for k in range(3):
        p.grad[...] = 1e-3 * rng.standard_normal(p.shape)
        p.grad[:3] *= 1e4                              # half the channels above delta
        ags([p])
        assert len(ags.ratio_log) == len(ags.scaled_log) == k + 1
    assert ags.scaled_log[-1] == 0.5
    assert ags.last_ratio["w"].dtype == np.float64 and ags.last_ratio["w"].shape == (6,)
    np.testing.assert_allclose(ags.ratio_log[-1], ags.last_ratio["w"].mean(), rtol=1e-15)
    ags.reset()
    assert ags.ratio_log == [] and ags.scaled_log == [] and ags.last_ratio == {}


def test_ags_eps_w_is_the_one_name():
    assert AGS(0.04, eps_w=5e-3).eps_w == 5e-3
    with pytest.raises(ValueError, match="eps_w"):
        AGS(eps_w=0.0)
    with pytest.raises(TypeError, match="eps"):
        AGS(0.04, eps=5e-3)                           # no alias


def test_ags_float32_keeps_dtype_and_hits_delta(rng):
    w = rng.standard_normal((8, 5)).astype(np.float32)
    g = (1e-3 * rng.standard_normal((8, 5))).astype(np.float32)
    out = run_ags(w, g, 0.04)
    assert out.dtype == np.float32
    np.testing.assert_allclose(norms(out) / norms(w), 0.04, rtol=1e-5)


def test_channel_ratios_helper():
    w = np.array([[3.0, 4.0], [0.0, 0.0]])
    g = np.array([[0.5, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(channel_ratios(w, g), [0.1, 1e-6 / 1e-3], rtol=1e-15)
    with pytest.raises(ValueError, match="g must have"):
        channel_ratios(w, g[:1])
    with pytest.raises(ValueError, match="ndim >= 2"):
        channel_ratios(w[0], g[0])


@pytest.mark.parametrize("arg", ["delta", "eps_w", "eps_g"])
@pytest.mark.parametrize("value", [0.0, -1e-3, np.nan, np.inf])
def test_ags_bad_numbers(arg, value):
    with pytest.raises(ValueError, match=arg):
        AGS(**{arg: value})


@pytest.mark.parametrize("arg", ["delta", "eps_w", "eps_g"])
@pytest.mark.parametrize("value", [True, "0.04"])
def test_ags_bool_or_string_is_a_type_error(arg, value):
    with pytest.raises(TypeError, match=arg):
        AGS(**{arg: value})


def test_ags_bad_gradients(rng):
    p = bin_param(rng.standard_normal((3, 2)), name="layer.weight")
    p.grad = None
    with pytest.raises(ValueError, match="layer.weight.*no gradient"):
        AGS()([p])
    p.grad = np.zeros((2, 3))
    with pytest.raises(ValueError, match="layer.weight.*shape"):
        AGS()([p])
    p.grad = np.zeros((3, 2))
    p.grad[1, 1] = np.nan
    with pytest.raises(ValueError, match="layer.weight.*non-finite"):
        AGS()([p])


def test_ags_error_leaves_every_gradient_unchanged(rng):
    good = bin_param(rng.standard_normal((3, 2)), 1e-6 * np.ones((3, 2)), name="good")
    bad = bin_param(rng.standard_normal((3, 2)), name="bad")
    bad.grad[0, 0] = np.inf
    with pytest.raises(ValueError, match="bad"):
        AGS()([good, bad])
    np.testing.assert_array_equal(good.grad, 1e-6)


# -- hypothesis invariants ------------------------------------------------------------

@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_never_shrinks_or_turns(wg, delta):
    w, g = wg
    out = run_ags(w, g, delta)
    assert out.dtype == g.dtype and np.all(np.isfinite(out))
    G = g.reshape(g.shape[0], -1).astype(np.float64)
    O = out.reshape(g.shape[0], -1).astype(np.float64)
    n_g, n_o = norms(G), norms(O)
    assert np.all(n_o >= n_g * (1 - rtol_of(g)))
    nz = n_g > 0
    cosine = np.einsum("ij,ij->i", G[nz], O[nz]) / (n_g[nz] * n_o[nz])
    np.testing.assert_allclose(cosine, 1.0, rtol=rtol_of(g))


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_identity_above_delta(wg, delta):
    w, g = wg
    keep = channel_ratios(w, g) >= delta
    out = run_ags(w, g, delta)
    np.testing.assert_array_equal(out[keep], g[keep])


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_scaled_channels_reach_delta(wg, delta):
    w, g = wg
    scaled = (channel_ratios(w, g) < delta) & (norms(g) >= 1e-6)
    out = run_ags(w, g, delta)
    ratio = norms(out) / np.maximum(norms(w), 1e-3)
    np.testing.assert_allclose(ratio[scaled], delta, rtol=rtol_of(g))


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_zero_and_idempotent(wg, delta):
    w, g = wg
    assert np.all(run_ags(w, np.zeros_like(g), delta) == 0)
    # idempotent on channels that are zero or have ||g_c|| >= eps_g; a channel with
    # 0 < ||g_c|| < eps_g gets the finite factor of docs/ovsw.md "AGS" and would be scaled again
    tiny = (norms(g) > 0) & (norms(g) < 1e-6)
    g = g.copy()
    g[tiny] = 0.0
    once = run_ags(w, g, delta)
    np.testing.assert_allclose(run_ags(w, once, delta), once, rtol=rtol_of(g), atol=0)


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_conv_equals_reshape(wg, delta):
    w, g = wg
    full = run_ags(w, g, delta)
    flat = run_ags(w.reshape(w.shape[0], -1), g.reshape(g.shape[0], -1), delta)
    np.testing.assert_array_equal(full, flat.reshape(w.shape))
