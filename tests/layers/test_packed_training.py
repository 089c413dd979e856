"""Packed training forward: ±1 products on packed words give the float path's numbers
bit for bit, in a layer, in a whole training run, and only where they are exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnncore as bc
from bnncore.layers import BinaryConv2d, BinaryDense


def _pm1(g, shape, dtype):
    return np.where(g.random(shape) < 0.5, -1.0, 1.0).astype(dtype)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), d=st.sampled_from([1, 5, 63, 64, 65, 127, 130, 200]),
       o=st.integers(1, 20), dtype=st.sampled_from([np.float32, np.float64]),
       bias=st.booleans(), channel_scale=st.booleans(), seed=st.integers(0, 2**31))
def test_dense_packed_forward_is_the_float_forward(n, d, o, dtype, bias, channel_scale, seed):
    g = np.random.default_rng(seed)
    layers = [BinaryDense(d, o, bias=bias, channel_scale=channel_scale, packed_training=p,
                          rng=seed).astype(dtype) for p in (True, False)]
    b = g.normal(size=o)
    for layer in layers:
        if bias:
            layer.bias.data[:] = b
    x = _pm1(g, (n, d), dtype)
    y_packed, y_float = (layer.forward(x, training=True) for layer in layers)
    assert [layer.forward_path for layer in layers] == ["packed", "float"]
    assert y_packed.dtype == y_float.dtype == dtype
    assert y_packed.tobytes() == y_float.tobytes()
    dy = g.normal(size=y_float.shape).astype(dtype)
    dx_packed, dx_float = (layer.backward(dy) for layer in layers)
    assert dx_packed.tobytes() == dx_float.tobytes()
    assert layers[0].weight.grad.tobytes() == layers[1].weight.grad.tobytes()


@pytest.mark.parametrize(("stride", "padding", "k"), [(1, 1, 3), (2, 0, 2), (1, 2, 3)])
def test_conv_packed_forward_is_the_float_forward(stride, padding, k):
    g = np.random.default_rng(k)
    layers = [BinaryConv2d(3, 5, k, stride=stride, padding=padding, packed_training=p,
                           rng=1) for p in (True, False)]
    x = _pm1(g, (2, 3, 7, 6), np.float32)
    y_packed, y_float = (layer.forward(x) for layer in layers)
    assert [layer.forward_path for layer in layers] == ["packed", "float"]
    assert y_packed.tobytes() == y_float.tobytes()
    dy = g.normal(size=y_float.shape).astype(np.float32)
    assert layers[0].backward(dy).tobytes() == layers[1].backward(dy).tobytes()
    assert layers[0].weight.grad.tobytes() == layers[1].weight.grad.tobytes()


def test_float_path_where_packing_would_not_be_exact():
    """A real-valued input, a soft forward quantizer, and evaluation mode take the float
    product; the layer says so."""
    g = np.random.default_rng(0)
    layer = BinaryDense(70, 4, rng=0)
    x = _pm1(g, (3, 70), np.float32)
    layer.forward(x)
    assert layer.forward_path == "packed"
    x[1, 69] = 0.5
    y = layer.forward(x)
    assert layer.forward_path == "float"
    np.testing.assert_array_equal(y, x @ np.where(layer.weight.data >= 0, 1.0, -1.0).T
                                  .astype(np.float32))
    soft = BinaryDense(70, 4, weight_quantizer="proxconnect", rng=0)
    soft.forward(_pm1(g, (3, 70), np.float32))
    assert soft.forward_path == "float"


def test_packed_training_flag_is_checked_and_saved(tmp_path):
    with pytest.raises(TypeError, match="packed_training"):
        BinaryDense(4, 2, packed_training="yes")
    model = bc.models.mlp("ste", packed_training=False, rng=0)
    path = tmp_path / "m.npz"
    bc.io.save(model, path)
    assert bc.io.load(path)[3].packed_training is False


@pytest.mark.parametrize("builder", ["mlp", "cnn"])
def test_digits_history_is_the_same_with_and_without_packed_training(builder):
    """Two epochs on the digits, same seed: every History field but the wall time, and
    every final parameter, are equal bit for bit."""
    Xtr, ytr, Xte, yte = bc.data.load_digits()
    if builder == "cnn":
        Xtr, Xte = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    runs = []
    for packed in (True, False):
        model = getattr(bc.models, builder)("ste", packed_training=packed, rng=0)
        opt = bc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        history = bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), (Xte, yte),
                         epochs=2, batch_size=64, seed=3, progress=False)
        assert model[3].forward_path == ("packed" if packed else "float")
        runs.append((history, model))
    (h_packed, m_packed), (h_float, m_float) = runs
    fields = [f for f in h_float.to_dict() if f != "seconds"]
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy"} <= set(fields)
    for field in fields:
        assert getattr(h_packed, field) == getattr(h_float, field), field
    for p, q in zip(m_packed.parameters(), m_float.parameters()):
        assert p.data.tobytes() == q.data.tobytes(), p.name
    assert h_float.val_accuracy[-1] > 0.8   # it did learn
