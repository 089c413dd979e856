"""Conv2d: a loop reference, gradient checks over stride/padding/kernel, validation."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.layers import Conv2d
from bnncore.layers.im2col import col2im, im2col


def conv_reference(x, w, b, stride, padding):
    """Direct cross-correlation with zero padding, one output pixel at a time."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1
    y = np.zeros((n, o, ho, wo))
    for i, j in itertools.product(range(ho), range(wo)):
        patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
        y[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return y if b is None else y + b[None, :, None, None]


STRIDES, PADDINGS, KERNELS = (1, 2), (0, 1, 2), (1, 2, 3)
GRID = list(itertools.product(STRIDES, PADDINGS, KERNELS))


@pytest.mark.parametrize("stride, padding, k", GRID)
def test_gradcheck_stride_padding_kernel(grad_ok, rng, stride, padding, k):
    layer = Conv2d(2, 2, k, stride=stride, padding=padding, rng=0)
    x = rng.normal(size=(2, 2, 4, 5))
    details = grad_ok(layer, x)
    assert set(details) == {"x", "weight", "bias"}


@settings(max_examples=20, deadline=None, derandomize=True)
@given(n=st.integers(1, 2), c=st.integers(1, 2), o=st.integers(1, 2),
       k=st.integers(1, 3), stride=st.sampled_from(STRIDES), padding=st.sampled_from(PADDINGS),
       extra_h=st.integers(0, 2), extra_w=st.integers(0, 2), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_gradcheck_shapes(grad_ok, data_tools, n, c, o, k, stride, padding, extra_h, extra_w,
                          bias, seed):
    g = np.random.default_rng(seed)
    layer = Conv2d(c, o, k, stride=stride, padding=padding, bias=bias, rng=seed)
    layer.weight.data = data_tools.signed(g, layer.weight.shape)
    x = data_tools.signed(g, (n, c, k + extra_h, k + extra_w))
    grad_ok(layer, x, generated=True)


@pytest.mark.parametrize("stride, padding, k", [(1, 0, 3), (2, 1, 3), (2, 2, 2), (1, 1, 1)])
def test_forward_matches_loop_reference(rng, stride, padding, k):
    layer = Conv2d(3, 4, k, stride=stride, padding=padding, rng=0).astype(np.float64)
    layer.bias.data = rng.normal(size=4)
    x = rng.normal(size=(2, 3, 6, 5))
    y = layer.forward(x)
    ref = conv_reference(x, layer.weight.data, layer.bias.data, stride, padding)
    assert y.shape == ref.shape == (2, 4, (6 + 2 * padding - k) // stride + 1,
                                    (5 + 2 * padding - k) // stride + 1)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_backward_is_adjoint_of_forward(rng):
    # <dy, conv(x)> = <conv^T(dy), x> with zero bias: the input gradient is the adjoint.
    layer = Conv2d(2, 3, 3, stride=2, padding=1, bias=False, rng=0).astype(np.float64)
    x = rng.normal(size=(2, 2, 5, 5))
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    dx = layer.backward(dy)
    np.testing.assert_allclose(np.sum(dy * y), np.sum(dx * x), rtol=1e-12)


def test_im2col_col2im_adjoint(rng):
    x = rng.normal(size=(2, 3, 5, 4))
    cols = im2col(x, 3, 2, 2, 1)
    d = rng.normal(size=cols.shape)
    back = col2im(d, x.shape, 3, 2, 2, 1)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * d), np.sum(back * x), rtol=1e-12)


def test_float32_preserved_and_init(rng):
    layer = Conv2d(1, 4, 3, padding=1, rng=0)
    assert layer.weight.shape == (4, 1, 3, 3) and layer.weight.data.dtype == np.float32
    y = layer.forward(rng.normal(size=(2, 1, 8, 8)).astype(np.float32))
    assert y.shape == (2, 4, 8, 8) and y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32


@pytest.mark.parametrize("x, exc, match", [
    (np.ones((2, 2, 5)), ValueError, r"x must have 4 dimensions"),
    (np.ones((2, 3, 5, 5)), ValueError, r"x has 3 channels.*in_channels=2"),
    (np.ones((2, 2, 2, 5)), ValueError, r"x of spatial size \(2, 5\) is smaller than the kernel"),
    (np.ones((0, 2, 5, 5)), ValueError, r"x must not be empty"),
    (np.full((1, 2, 5, 5), np.nan), ValueError, r"x contains non-finite"),
    (np.full((1, 2, 5, 5), "a"), TypeError, r"x must have a real numeric dtype"),
])
def test_bad_input(x, exc, match):
    with pytest.raises(exc, match=match):
        Conv2d(2, 3, 3, rng=0).forward(x)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"kernel_size": 0}, ValueError, "kernel_size must be >= 1"),
    ({"kernel_size": 3, "stride": 0}, ValueError, "stride must be >= 1"),
    ({"kernel_size": 3, "padding": -1}, ValueError, "padding must be >= 0"),
    ({"kernel_size": 3.0}, TypeError, "kernel_size must be an int"),
])
def test_bad_constructor(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Conv2d(2, 3, **kwargs)
