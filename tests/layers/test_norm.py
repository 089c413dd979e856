"""BatchNorm1d / BatchNorm2d: gradient checks in both modes, running statistics."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bnncore.layers import BatchNorm1d, BatchNorm2d


def _randomize(layer, g):
    """Non-trivial affine parameters and running statistics (float64)."""
    c = layer.num_features
    layer.astype(np.float64)
    layer.weight.data = g.uniform(0.5, 2.0, c) * g.choice([-1.0, 1.0], c)
    layer.bias.data = g.normal(size=c)
    layer.running_mean = g.normal(size=c)
    layer.running_var = g.uniform(0.5, 2.0, c)
    return layer


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (7, 1)])
def test_gradcheck_1d(grad_ok, rng, training, shape):
    layer = _randomize(BatchNorm1d(shape[1]), rng)
    details = grad_ok(layer, rng.normal(size=shape), training=training)
    assert set(details) == {"x", "weight", "bias"}


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 2, 2), (1, 2, 3, 2), (3, 1, 1, 2)])
def test_gradcheck_2d(grad_ok, rng, training, shape):
    layer = _randomize(BatchNorm2d(shape[1]), rng)
    grad_ok(layer, rng.normal(size=shape), training=training)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(two_d=st.booleans(), training=st.booleans(), n=st.integers(2, 4),
       c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 2),
       seed=st.integers(0, 2**16))
def test_gradcheck_shapes(grad_ok, two_d, training, n, c, h, w, seed):
    # Two values per channel normalise to exactly -+1: the x-gradient is then ~0 (a
    # degenerate check, not a property of interest), so keep >= 3 values per channel.
    assume(n * (h * w if two_d else 1) >= 3)
    g = np.random.default_rng(seed)
    layer = _randomize(BatchNorm2d(c) if two_d else BatchNorm1d(c), g)
    x = g.normal(size=(n, c, h, w) if two_d else (n, c)) * 2 + 0.5
    grad_ok(layer, x, training=training, generated=True)


def test_training_normalizes_and_updates_running_stats(rng):
    bn = BatchNorm1d(3, momentum=0.25).astype(np.float64)
    x = rng.normal(size=(6, 3)) * 3 + 2
    y = bn.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5),
                               rtol=1e-12)
    # running statistics: PyTorch's convention (unbiased variance in the running average)
    np.testing.assert_allclose(bn.running_mean, 0.25 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * x.var(axis=0, ddof=1),
                               rtol=1e-12)


def test_2d_statistics_are_per_channel(rng):
    bn = BatchNorm2d(2, momentum=1.0).astype(np.float64)
    x = rng.normal(size=(3, 2, 4, 4)) + np.array([5.0, -5.0])[None, :, None, None]
    y = bn.forward(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, x.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)


def test_eval_uses_running_stats_and_leaves_them(rng):
    bn = _randomize(BatchNorm1d(3), rng)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.normal(size=(4, 3))
    y = bn.forward(x, training=False)
    expected = bn.weight.data * (x - mean) / np.sqrt(var + bn.eps) + bn.bias.data
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, mean)
    np.testing.assert_array_equal(bn.running_var, var)
    # a batch of one is fine in evaluation mode
    assert bn.forward(x[:1], training=False).shape == (1, 3)


def test_float32_state_stays_float32(rng):
    bn = BatchNorm2d(2)
    y = bn.forward(rng.normal(size=(2, 2, 3, 3)).astype(np.float32))
    assert y.dtype == np.float32
    assert bn.running_mean.dtype == bn.running_var.dtype == np.float32
    bn.astype(np.float64)
    assert bn.running_mean.dtype == bn.weight.data.dtype == np.float64


@pytest.mark.parametrize("layer, x, match", [
    (BatchNorm1d(3), np.ones((1, 3)), "more than one value per channel"),
    (BatchNorm2d(3), np.ones((1, 3, 1, 1)), "more than one value per channel"),
    (BatchNorm1d(3), np.ones((4, 2)), r"x has 2 features/channels.*num_features=3"),
    (BatchNorm2d(3), np.ones((4, 3)), r"x must have 4 dimensions"),
    (BatchNorm1d(3), np.ones((4, 3, 1, 1)), r"x must have 2 dimensions"),
    (BatchNorm1d(3), np.full((4, 3), np.inf), r"x contains non-finite"),
])
def test_bad_input(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer.forward(x, training=True)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_features": 0}, "num_features must be >= 1"),
    ({"num_features": 3, "eps": 0.0}, "eps must be finite and > 0"),
    ({"num_features": 3, "momentum": 1.5}, r"momentum must be in \(0, 1\]"),
    ({"num_features": 3, "momentum": -0.1}, "momentum must be finite and > 0"),
])
def test_bad_constructor(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNorm1d(**kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "c"), [(2, 1), (7, 5), (64, 33), (512, 256)])
def test_fused_1d_training_path_matches_the_numpy_formulas(dtype, n, c):
    """BatchNorm1d's fused kernels give what the NumPy lines of the docstring give, bit
    for bit."""
    g = np.random.default_rng(n + c)
    bn = BatchNorm1d(c).astype(dtype)
    bn.weight.data[:] = g.normal(size=c)
    bn.bias.data[:] = g.normal(size=c)
    x = (3 * g.normal(size=(n, c)) + 1).astype(dtype)
    dy = g.normal(size=(n, c)).astype(dtype)
    y = bn._forward(x, True).copy()
    dx = bn._backward(dy).copy()
    mean = x.mean(axis=0)
    xc = x - mean
    var = (xc * xc).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + dtype(bn.eps))
    xhat = xc * inv_std
    gamma = bn.weight.data
    assert y.tobytes() == (gamma * xhat + bn.bias.data).tobytes()
    dgamma, dbeta = (dy * xhat).sum(axis=0), dy.sum(axis=0)
    assert bn.weight.grad.tobytes() == dgamma.tobytes()
    assert bn.bias.grad.tobytes() == dbeta.tobytes()
    expected = gamma * inv_std * (dy - dbeta / n - xhat * (dgamma / n))
    assert dx.tobytes() == expected.tobytes()
    assert y.dtype == dx.dtype == dtype
