"""Dense: forward/backward formulas, gradient checks, input validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.layers import Dense


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=st.integers(1, 4), d=st.integers(1, 5), o=st.integers(1, 4), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_gradcheck_shapes(grad_ok, data_tools, n, d, o, bias, seed):
    g = np.random.default_rng(seed)
    layer = Dense(d, o, bias=bias, rng=seed)
    layer.weight.data = data_tools.signed(g, (o, d))
    details = grad_ok(layer, data_tools.signed(g, (n, d)), generated=True)
    assert set(details) == ({"x", "weight", "bias"} if bias else {"x", "weight"})


def test_forward_backward_formulas(rng):
    layer = Dense(4, 3, rng=0)
    layer.bias.data = rng.normal(size=3).astype(np.float32)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    w, b = layer.weight.data, layer.bias.data
    y = layer.forward(x)
    np.testing.assert_allclose(y, x @ w.T + b, rtol=1e-6)
    dy = rng.normal(size=(5, 3)).astype(np.float32)
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, dy @ w, rtol=1e-6)
    np.testing.assert_allclose(layer.weight.grad, dy.T @ x, rtol=1e-6)
    np.testing.assert_allclose(layer.bias.grad, dy.sum(axis=0), rtol=1e-6)


def test_gradients_accumulate_until_zero_grad(rng):
    layer = Dense(3, 2, rng=0)
    x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer.forward(x)
    layer.backward(dy)
    once = layer.weight.grad.copy()
    layer.forward(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once, rtol=1e-6)
    layer.zero_grad()
    assert not layer.weight.grad.any() and not layer.bias.grad.any()


def test_dtype_and_init(rng):
    layer = Dense(4, 3, rng=0)
    assert layer.weight.data.dtype == np.float32 and layer.weight.shape == (3, 4)
    assert layer.bias.data.dtype == np.float32 and not layer.bias.data.any()
    assert layer.forward(rng.normal(size=(2, 4)).astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(Dense(4, 3, rng=0).weight.data, layer.weight.data)
    assert not np.array_equal(Dense(4, 3, rng=1).weight.data, layer.weight.data)
    # integer input is accepted and converted
    assert layer.forward(np.ones((2, 4), dtype=np.int64)).dtype.kind == "f"


def test_no_bias():
    layer = Dense(3, 2, bias=False, rng=0)
    assert layer.bias is None and [p.name for p in layer.parameters()] == ["weight"]
    y = layer.forward(np.zeros((2, 3)))
    assert not y.any()


@pytest.mark.parametrize("x, exc, match", [
    (np.ones(4), ValueError, r"x must have 2 dimensions"),
    (np.ones((2, 3, 4)), ValueError, r"x must have 2 dimensions"),
    (np.ones((2, 5)), ValueError, r"x has 5 features.*in_features=4"),
    (np.zeros((0, 4)), ValueError, r"x must not be empty"),
    (np.array([[1.0, np.nan, 0.0, 0.0]]), ValueError, r"x contains non-finite"),
    (np.array([[1.0, np.inf, 0.0, 0.0]]), ValueError, r"x contains non-finite"),
    (np.array([["a", "b", "c", "d"]]), TypeError, r"x must have a real numeric dtype"),
    (np.array([[1, 2, 3, None]], dtype=object), TypeError, r"x must have a real numeric"),
    ("abcd", TypeError, r"x must be a numeric array"),
])
def test_bad_input(x, exc, match):
    with pytest.raises(exc, match=match):
        Dense(4, 3, rng=0).forward(x)


def test_bad_backward():
    layer = Dense(4, 3, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3)))
    layer.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(2, 3\)"):
        layer.backward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="dy contains non-finite"):
        layer.backward(np.full((2, 3), np.nan))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"in_features": 0, "out_features": 2}, ValueError, "in_features must be >= 1"),
    ({"in_features": 2.5, "out_features": 2}, TypeError, "in_features must be an int"),
    ({"in_features": 2, "out_features": -1}, ValueError, "out_features must be >= 1"),
    ({"in_features": 2, "out_features": 2, "rng": -1}, ValueError, "rng"),
    ({"in_features": 2, "out_features": 2, "rng": "seed"}, TypeError, "rng"),
])
def test_bad_constructor(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Dense(**kwargs)
