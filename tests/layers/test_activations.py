"""ReLU, HardTanh and the activation binarizer Sign (checked through its surrogate)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore import quantizers
from bnncore.layers import HardTanh, ReLU, Sign
from bnncore.testing import surrogate_model

SHAPES = [(3, 4), (2, 3, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
def test_relu_gradcheck(grad_ok, data_tools, rng, shape):
    # |x| >= 0.5: no finite-difference step crosses the kink at 0
    grad_ok(ReLU(), data_tools.signed(rng, shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_hardtanh_gradcheck(grad_ok, data_tools, rng, shape):
    grad_ok(HardTanh(), data_tools.away_from(rng, shape, kinks=(-1.0, 1.0), scale=2.0))


def test_relu_and_hardtanh_values():
    x = np.array([[-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]])
    relu, ht = ReLU(), HardTanh()
    np.testing.assert_array_equal(relu.forward(x), [[0, 0, 0, 0, 0.5, 1, 2]])
    np.testing.assert_array_equal(relu.backward(np.ones_like(x)), [[0, 0, 0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(ht.forward(x), [[-1, -1, -0.5, 0, 0.5, 1, 1]])
    np.testing.assert_array_equal(ht.backward(np.ones_like(x)), [[0, 0, 1, 1, 1, 0, 0]])
    assert relu.forward(x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("shape", SHAPES)
def test_sign_clipped_ste_surrogate_gradcheck(grad_ok, data_tools, rng, shape):
    x = data_tools.away_from(rng, shape, kinks=(-1.0, 1.0), scale=2.0)
    assert np.any(np.abs(x) < 1), "some entries must pass the gradient"
    model = surrogate_model(Sign("clipped_ste"))
    np.testing.assert_array_equal(model.forward(x), np.clip(x, -1, 1))
    grad_ok(model, x)


def test_sign_ste_surrogate_gradcheck(grad_ok, rng):
    x = rng.normal(size=(3, 4)) * 2
    model = surrogate_model(Sign("ste"))
    np.testing.assert_array_equal(model.forward(x), x)
    grad_ok(model, x)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=st.integers(1, 4), d=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_sign_surrogate_gradcheck_shapes(grad_ok, data_tools, n, d, seed):
    x = data_tools.away_from(np.random.default_rng(seed), (n, d), kinks=(-1.0, 1.0), scale=2.0)
    grad_ok(surrogate_model(Sign()), x, generated=True)


def test_sign_forward_and_backward_exact(rng):
    x = np.concatenate([rng.normal(size=20) * 2, [-1.0, 1.0, 0.0, -0.0, 1.0 + 1e-12]])
    x = x.reshape(5, 5)
    dy = rng.normal(size=x.shape)
    layer = Sign()
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y, np.where(x >= 0, 1.0, -1.0))  # sign(0) = sign(-0) = +1
    dx = layer.backward(dy)
    np.testing.assert_array_equal(dx, dy * (np.abs(x) <= 1))  # inclusive at |x| = 1
    assert dx.dtype == x.dtype


def test_sign_ste_backward_is_identity(rng):
    x, dy = rng.normal(size=(3, 4)) * 3, rng.normal(size=(3, 4))
    layer = Sign("ste")
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(dy), dy)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sign_eval_mode_and_dtype(rng, dtype):
    x = rng.normal(size=(4, 3)).astype(dtype)
    x[0, 0] = 0
    for training in (True, False):
        y = Sign().forward(x, training=training)
        assert y.dtype == dtype
        np.testing.assert_array_equal(y, np.where(x >= 0, 1, -1).astype(dtype))


def test_sign_quantizer_is_a_value():
    layer = Sign("hardtanh_ste")
    assert layer.quantizer.name == "clipped_ste"
    assert layer.quantizers() == [layer.quantizer] and layer.parameters() == []
    assert layer.get_config() == {"quantizer": "clipped_ste",
                                  "quantizer_params": {"clip_value": 1.0}}
    pair = quantizers.get("clipped_ste", clip_value=0.5)
    assert Sign(pair).quantizer is pair
    # a wider clip lets more gradient through
    layer = Sign(quantizers.get("clipped_ste", clip_value=2.0))
    layer.forward(np.array([[1.5, 2.5]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2))), [[1.0, 0.0]])


def test_sign_unknown_quantizer():
    with pytest.raises(ValueError, match=r"unknown quantizer 'nope'; available: .*ste"):
        Sign("nope")
    with pytest.raises(TypeError, match="quantizer name must be a str"):
        Sign(3)


@pytest.mark.parametrize("layer", [ReLU(), HardTanh(), Sign()])
def test_bad_input(layer):
    with pytest.raises(ValueError, match="x contains non-finite"):
        layer.forward(np.array([[0.5, np.nan]]))
    with pytest.raises(TypeError, match="x must have a real numeric dtype"):
        layer.forward(np.array([["a"]]))
    with pytest.raises(ValueError, match="x must not be empty"):
        layer.forward(np.zeros((0, 3)))


def test_sign_refuses_a_pair_with_tensor_statistics():
    import pytest

    from bnncore.layers import Sign
    from bnncore.quantizers import get

    with pytest.raises(ValueError, match="dorefa"):
        Sign(get("dorefa", k=1))
    assert Sign(get("dorefa", k=1, scale=1.0)).quantizer.elementwise
