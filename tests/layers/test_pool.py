"""MaxPool2d / AvgPool2d: loop references, gradient checks (no ties), validation."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.layers import AvgPool2d, MaxPool2d


def pool_reference(x, k, stride, padding, op):
    """Direct pooling; padding is -inf for max and 0 (counted) for average."""
    fill = -np.inf if op is np.max else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)),
                constant_values=fill)
    n, c, h, w = x.shape
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    y = np.zeros((n, c, ho, wo))
    for i, j in itertools.product(range(ho), range(wo)):
        win = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
        y[:, :, i, j] = op(win, axis=(2, 3))
    return y


# (kernel, stride, padding): non-overlapping, overlapping, padded
CONFIGS = [(2, None, 0), (2, 1, 0), (3, 1, 1), (3, 2, 1), (2, 2, 1), (1, 1, 0), (3, 3, 0)]


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("k, stride, padding", CONFIGS)
def test_gradcheck(grad_ok, data_tools, rng, cls, k, stride, padding):
    x = data_tools.distinct(rng, (2, 2, 5, 4))
    details = grad_ok(cls(k, stride=stride, padding=padding), x)
    assert set(details) == {"x"}


@settings(max_examples=25, deadline=None, derandomize=True)
@given(max_pool=st.booleans(), k=st.integers(1, 3), stride=st.integers(1, 3),
       pad=st.integers(0, 1), n=st.integers(1, 2), c=st.integers(1, 2),
       extra=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_gradcheck_shapes(grad_ok, data_tools, max_pool, k, stride, pad, n, c, extra, seed):
    padding = min(pad, k // 2)
    layer = (MaxPool2d if max_pool else AvgPool2d)(k, stride=stride, padding=padding)
    x = data_tools.distinct(np.random.default_rng(seed), (n, c, k + extra, k + 1))
    grad_ok(layer, x, generated=True)


@pytest.mark.parametrize("k, stride, padding", CONFIGS)
def test_forward_matches_reference(rng, k, stride, padding):
    x = rng.normal(size=(2, 3, 6, 5))
    s = k if stride is None else stride
    np.testing.assert_array_equal(MaxPool2d(k, stride, padding).forward(x),
                                  pool_reference(x, k, s, padding, np.max))
    np.testing.assert_allclose(AvgPool2d(k, stride, padding).forward(x),
                               pool_reference(x, k, s, padding, np.mean), rtol=1e-12)


def test_max_backward_routes_to_the_maximum():
    x = np.array([[[[1.0, 4.0], [3.0, 2.0]]]])
    pool = MaxPool2d(2)
    assert pool.forward(x).item() == 4.0
    np.testing.assert_array_equal(pool.backward(np.array([[[[5.0]]]])),
                                  [[[[0.0, 5.0], [0.0, 0.0]]]])


def test_max_backward_on_ties_picks_one_position():
    pool = MaxPool2d(2)
    pool.forward(np.ones((1, 1, 2, 2)))
    dx = pool.backward(np.array([[[[3.0]]]]))
    assert dx.sum() == 3.0 and np.count_nonzero(dx) == 1
    assert dx[0, 0, 0, 0] == 3.0  # the first one, as documented


def test_avg_counts_zero_padding():
    # PyTorch's default count_include_pad=True: a corner window sees 1 pixel out of 4
    y = AvgPool2d(2, stride=2, padding=1).forward(np.full((1, 1, 2, 2), 4.0))
    np.testing.assert_array_equal(y, np.ones((1, 1, 2, 2)))


def test_default_stride_is_kernel_and_dtype(rng):
    x = rng.normal(size=(1, 2, 6, 6)).astype(np.float32)
    for cls in (MaxPool2d, AvgPool2d):
        pool = cls(3)
        assert pool.stride == 3
        y = pool.forward(x)
        assert y.shape == (1, 2, 2, 2) and y.dtype == np.float32
        assert pool.backward(np.ones_like(y)).dtype == np.float32


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_bad_arguments(cls):
    with pytest.raises(ValueError, match="padding must be at most kernel_size / 2"):
        cls(2, padding=2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        cls(0)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        cls(2, stride=0)
    with pytest.raises(ValueError, match=r"x of spatial size \(1, 4\) is smaller"):
        cls(2).forward(np.ones((1, 1, 1, 4)))
    with pytest.raises(ValueError, match="x must have 4 dimensions"):
        cls(2).forward(np.ones((1, 4, 4)))
