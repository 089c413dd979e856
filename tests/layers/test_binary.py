"""BinaryDense / BinaryConv2d: the hand-written backward, checked the only way it can be.

A binary layer's backward is not the derivative of its forward (``sign`` has zero
derivative). The checks, per pair and layer:

(a) the real layer w.r.t. ``x`` and ``bias``: exact, the forward is linear in ``x`` with the
    used weights ``F(w)``;
(b) ``surrogate_model(layer)`` (computes with ``B(w)``) w.r.t. everything, latent weights
    kept away from the kinks of ``B``;
(c) the real layer's ``weight.grad`` equals the surrogate's bit for bit for the same ``x``
    and ``dy``: ``dW = B'(w) * dy^T x`` does not depend on ``F``.

With ``channel_scale=True`` the scale ``alpha = mean|w|`` is a constant in backward
(stop-gradient): ``weight.grad == alpha * weight.grad`` of the unscaled layer.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore import quantizers
from bnncore.layers import BinaryConv2d, BinaryDense, Conv2d, Dense
from bnncore.testing import surrogate_model

PAIRS = ["ste", "clipped_ste"]
KINKS = (-1.0, 0.0, 1.0)  # B = clip has kinks at +-1; 0 keeps sign(w) away from flipping
CONV_GRID = list(itertools.product((1, 2), (0, 1, 2), (1, 2, 3)))  # stride, padding, k


def _make(kind, pair, g, tools, channel_scale=False, stride=1, padding=0, k=2, n=2,
          c=2, o=3):
    """A float64 binary layer with latent weights in [-1.5, 1.5] away from kinks, and x."""
    if kind == "dense":
        layer = BinaryDense(c, o, weight_quantizer=pair, channel_scale=channel_scale, rng=0)
        x = g.normal(size=(n, c))
    else:
        layer = BinaryConv2d(c, o, k, stride=stride, padding=padding, weight_quantizer=pair,
                             channel_scale=channel_scale, rng=0)
        x = g.normal(size=(n, c, k + 2, k + 1))
    layer.astype(np.float64)
    layer.weight.data = tools.away_from(g, layer.weight.shape, KINKS, scale=1.5)
    layer.bias.data = g.normal(size=o)
    return layer, x


def _float_twin(kind, weight, bias):
    """A float64 Dense / Conv2d (padding 1, as the tests' binary convs) with given weights."""
    if kind == "dense":
        twin = Dense(weight.shape[1], weight.shape[0])
    else:
        twin = Conv2d(weight.shape[1], weight.shape[0], weight.shape[2], padding=1)
    twin.astype(np.float64)
    twin.weight.data, twin.bias.data = weight.copy(), bias.copy()
    return twin


def _grads(layer, x, dy, training=True):
    layer.zero_grad()
    y = layer.forward(x, training=training)
    dx = layer.backward(dy)
    return y, dx, layer.weight.grad.copy(), layer.bias.grad.copy()


def _check_three_ways(grad_ok, layer, x, g, generated=False):
    # (a) real layer: exact w.r.t. x and bias
    grad_ok(layer, x, wrt=["x", "bias"], generated=generated)
    # (b) the surrogate network computing with B(w): exact w.r.t. everything
    surrogate = surrogate_model(layer)
    assert surrogate.weight.quantizer.name == f"surrogate({layer.weight.quantizer.name})"
    details = grad_ok(surrogate, x, generated=generated)
    assert set(details) == {"x", "weight", "bias"}
    # (c) the latent weight gradient does not depend on F: bit-for-bit equal
    dy = g.normal(size=layer.forward(x).shape)
    _, _, dw_real, db_real = _grads(layer, x, dy)
    _, _, dw_sur, db_sur = _grads(surrogate, x, dy)
    np.testing.assert_array_equal(dw_real, dw_sur)
    np.testing.assert_array_equal(db_real, db_sur)
    assert np.abs(dw_real).max() > 1e-3


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("n, c, o", [(3, 4, 3), (1, 2, 5), (5, 1, 1)])
def test_dense_three_way_check(grad_ok, data_tools, rng, pair, n, c, o):
    layer, x = _make("dense", pair, rng, data_tools, n=n, c=c, o=o)
    _check_three_ways(grad_ok, layer, x, rng)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("stride, padding, k", CONV_GRID)
def test_conv_three_way_check(grad_ok, data_tools, rng, pair, stride, padding, k):
    layer, x = _make("conv", pair, rng, data_tools, stride=stride, padding=padding, k=k)
    _check_three_ways(grad_ok, layer, x, rng)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(kind=st.sampled_from(["dense", "conv"]), pair=st.sampled_from(PAIRS),
       n=st.integers(1, 3), c=st.integers(1, 3), o=st.integers(1, 3), k=st.integers(1, 3),
       stride=st.integers(1, 2), padding=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_three_way_check_shapes(grad_ok, data_tools, kind, pair, n, c, o, k, stride, padding,
                                seed):
    g = np.random.default_rng(seed)
    layer, x = _make(kind, pair, g, data_tools, stride=stride, padding=padding, k=k, n=n,
                     c=c, o=o)
    _check_three_ways(grad_ok, layer, x, g, generated=True)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_real_layer_eval_mode_gradcheck(grad_ok, data_tools, rng, kind, training):
    layer, x = _make(kind, "clipped_ste", rng, data_tools, padding=1)
    grad_ok(layer, x, wrt=["x", "bias"], training=training)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_weight_grad_formula(data_tools, rng, kind, pair):
    layer, x = _make(kind, pair, rng, data_tools, padding=1)
    layer.weight.data.flat[0] = 1.0   # the clip is inclusive at |w| = c
    layer.weight.data.flat[1] = -3.0  # outside: the clipped pair cuts the gradient
    dy = rng.normal(size=layer.forward(x).shape)
    _, _, dw, _ = _grads(layer, x, dy)
    twin = _float_twin(kind, layer.weight.quantizer.forward(layer.weight.data), layer.bias.data)
    _, _, dw_used, _ = _grads(twin, x, dy)
    w = layer.weight.data
    np.testing.assert_array_equal(dw, dw_used * layer.weight.quantizer.dB(w))
    assert dw.flat[0] == dw_used.flat[0]
    assert dw.flat[1] == (dw_used.flat[1] if pair == "ste" else 0.0)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_forward_uses_sign_of_latent_weights(data_tools, rng, kind, pair):
    layer, x = _make(kind, pair, rng, data_tools, padding=1)
    twin = _float_twin(kind, np.where(layer.weight.data >= 0, 1.0, -1.0), layer.bias.data)
    for training in (True, False):
        np.testing.assert_array_equal(layer.forward(x, training=training), twin.forward(x))
    dy = rng.normal(size=twin.forward(x).shape)
    np.testing.assert_array_equal(_grads(layer, x, dy)[1], _grads(twin, x, dy)[1])


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_channel_scale(grad_ok, data_tools, rng, kind, pair):
    scaled, x = _make(kind, pair, rng, data_tools, channel_scale=True, padding=1)
    plain, _ = _make(kind, pair, rng, data_tools, channel_scale=False, padding=1)
    plain.weight.data = scaled.weight.data.copy()
    plain.bias.data = scaled.bias.data.copy()
    w = scaled.weight.data
    alpha = np.abs(w).reshape(w.shape[0], -1).mean(axis=1)
    np.testing.assert_array_equal(scaled.channel_scales(), alpha)
    alpha_b = alpha.reshape((-1,) + (1,) * (w.ndim - 1))
    # forward: the layer computes with alpha_c * sign(w_c); x and bias are exact
    reference = _float_twin(kind, alpha_b * np.where(w >= 0, 1.0, -1.0), scaled.bias.data)
    for training in (True, False):
        np.testing.assert_allclose(scaled.forward(x, training=training), reference.forward(x),
                                   rtol=1e-12, atol=1e-12)
    grad_ok(scaled, x, wrt=["x", "bias"])
    # backward: alpha is a stop-gradient constant. The layer scales dy before the product
    # (y = (x F(w)^T) * alpha + b), so the two sides differ by rounding only.
    dy = rng.normal(size=scaled.forward(x).shape)
    y_s, _, dw_s, db_s = _grads(scaled, x, dy)
    y_p, _, dw_p, db_p = _grads(plain, x, dy)
    np.testing.assert_allclose(dw_s, alpha_b * dw_p, rtol=1e-12, atol=1e-15)
    assert np.abs(dw_s).max() > 1e-3
    np.testing.assert_array_equal(db_s, db_p)
    assert not np.allclose(y_s, y_p)


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_channel_scale_power_of_two_is_bitwise(data_tools, rng, kind):
    # |w| = 0.5 everywhere: alpha = 0.5 scales exactly, so the stop-gradient relation
    # weight.grad == alpha * weight.grad(unscaled) holds bit for bit
    scaled, x = _make(kind, "clipped_ste", rng, data_tools, channel_scale=True, padding=1)
    plain, _ = _make(kind, "clipped_ste", rng, data_tools, channel_scale=False, padding=1)
    w = 0.5 * rng.choice([-1.0, 1.0], size=scaled.weight.shape)
    scaled.weight.data, plain.weight.data = w.copy(), w.copy()
    np.testing.assert_array_equal(scaled.channel_scales(), np.full(w.shape[0], 0.5))
    dy = rng.normal(size=scaled.forward(x).shape)
    _, _, dw_s, _ = _grads(scaled, x, dy)
    _, _, dw_p, _ = _grads(plain, x, dy)
    np.testing.assert_array_equal(dw_s, 0.5 * dw_p)


def test_swapping_the_pair_changes_the_method(rng):
    layer = BinaryDense(4, 3, rng=0).astype(np.float64)
    x = rng.normal(size=(2, 4))
    layer.weight.quantizer = quantizers.get("identity")
    w, b = layer.weight.data, layer.bias.data
    np.testing.assert_allclose(layer.forward(x), x @ w.T + b, rtol=1e-12)
    assert layer.quantizers() == [layer.weight.quantizer]


def test_parameters_and_config():
    layer = BinaryConv2d(2, 3, 3, padding=1, weight_quantizer="hardtanh_ste",
                         channel_scale=True, rng=0)
    assert [p.name for p in layer.parameters()] == ["weight", "bias"]
    assert layer.weight.quantizer.name == "clipped_ste" and layer.bias.quantizer is None
    config = layer.get_config()
    assert config["weight_quantizer"] == "clipped_ste" and config["channel_scale"] is True
    assert config["quantizer_params"] == {"clip_value": 1.0}
    assert BinaryDense(3, 2, bias=False, rng=0).get_config()["bias"] is False
    # each layer gets its own pair instance
    assert BinaryDense(3, 2, rng=0).weight.quantizer is not BinaryDense(3, 2).weight.quantizer


def test_float32_training_path(rng):
    layer = BinaryDense(4, 3, rng=0)
    x = rng.normal(size=(2, 4)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32
    layer.backward(np.ones_like(y))
    assert layer.weight.grad.dtype == np.float32 and layer.weight.grad.any()


@pytest.mark.parametrize("cls, args", [(BinaryDense, (3, 2)), (BinaryConv2d, (1, 2, 3))])
def test_bad_quantizer(cls, args):
    with pytest.raises(ValueError, match=r"unknown quantizer 'nope'; available: .*ste"):
        cls(*args, weight_quantizer="nope")
    with pytest.raises(TypeError, match="quantizer name must be a str"):
        cls(*args, weight_quantizer=3)
