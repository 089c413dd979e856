"""Flatten: shape bookkeeping and its (trivial) gradient."""

import numpy as np
import pytest

from bnncore.layers import Flatten


@pytest.mark.parametrize("shape", [(2, 3, 2, 2), (3, 4), (1, 2, 3)])
def test_gradcheck(grad_ok, rng, shape):
    assert set(grad_ok(Flatten(), rng.normal(size=shape))) == {"x"}


def test_shapes_and_order(rng):
    x = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    layer = Flatten()
    y = layer.forward(x)
    assert y.shape == (2, 48) and y.dtype == np.float32
    np.testing.assert_array_equal(y[1], x[1].ravel())  # C-order within a sample
    dy = rng.normal(size=y.shape)
    np.testing.assert_array_equal(layer.backward(dy), dy.reshape(x.shape))


def test_bad_input():
    with pytest.raises(ValueError, match="x must not be empty"):
        Flatten().forward(np.zeros((0, 3, 2, 2)))
