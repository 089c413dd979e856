"""Packed inference: XNOR-popcount products must reproduce the float path bit for bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnncore as bc
from bnncore.layers import (
    BatchNorm1d,
    BatchNorm2d,
    BinaryConv2d,
    BinaryDense,
    Dense,
    Flatten,
    Sequential,
    Sign,
)


def _randomize_norm(norm, rng):
    """Running statistics and affine parameters with both signs of gamma (and a zero)."""
    c = norm.num_features
    norm.running_mean = rng.normal(0, 5, c).astype(np.float32)
    norm.running_var = rng.uniform(0.1, 20, c).astype(np.float32)
    gamma = rng.normal(0, 1, c).astype(np.float32)
    gamma[0] = 0.0
    norm.weight.data = gamma
    norm.bias.data = rng.normal(0, 1, c).astype(np.float32)


@pytest.fixture(scope="module")
def digits():
    return bc.data.load_digits()


@pytest.mark.parametrize("channel_scale", [False, True])
def test_packed_mlp_predictions_equal_float_on_digits(digits, channel_scale):
    Xtr, ytr, Xte, yte = digits
    model = bc.models.mlp("ste", hidden=(256, 100, 256), channel_scale=channel_scale, rng=0)
    opt = bc.optim.Adam(model.parameters(), lr=1e-3)
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=2, progress=False)
    before = bc.predict(model, Xte)
    model.pack()
    after = bc.predict(model, Xte)
    assert model.packed
    assert np.array_equal(before, after)
    kinds = [kind for kind, _, _ in model._plan]
    assert kinds.count("threshold") == 2          # both binary layers folded BN + Sign


@pytest.mark.slow
def test_packed_cnn_predictions_equal_float_on_digits(digits):
    Xtr, ytr, Xte, yte = (a.reshape(-1, 1, 8, 8) if a.ndim == 2 else a for a in digits)
    model = bc.models.cnn("ste", channel_scale=True, rng=0)
    opt = bc.optim.Adam(model.parameters(), lr=1e-3)
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=1, progress=False)
    before = bc.predict(model, Xte)
    after = bc.predict(model.pack(), Xte)
    assert np.array_equal(before, after)
    assert np.array_equal(before.argmax(1), after.argmax(1))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 9), d=st.integers(1, 150), o=st.integers(1, 40),
       use_norm=st.booleans(), channel_scale=st.booleans(), seed=st.integers(0, 2**31))
def test_threshold_fold_is_exact(n, d, o, use_norm, channel_scale, seed):
    rng = np.random.default_rng(seed)
    layers = [BinaryDense(d, o, channel_scale=channel_scale, rng=rng)]
    layers[0].bias.data = rng.normal(0, 3, o).astype(np.float32)
    if use_norm:
        layers.append(BatchNorm1d(o))
        _randomize_norm(layers[-1], rng)
    layers.append(Sign())
    model = Sequential(*layers)
    x = np.where(rng.random((n, d)) < 0.5, -1.0, 1.0).astype(np.float32)
    ref = model.forward(x, training=False)
    assert np.array_equal(model.pack().forward(x, training=False), ref)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 5), o=st.integers(1, 6), hw=st.integers(3, 7),
       k=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 2),
       seed=st.integers(0, 2**31))
def test_packed_conv_block_is_exact(n, c, o, hw, k, stride, padding, seed):
    rng = np.random.default_rng(seed)
    conv = BinaryConv2d(c, o, k, stride=stride, padding=padding, channel_scale=True, rng=rng)
    norm = BatchNorm2d(o)
    _randomize_norm(norm, rng)
    model = Sequential(conv, norm, Sign(), Flatten())
    x = np.where(rng.random((n, c, hw, hw)) < 0.5, -1.0, 1.0).astype(np.float32)
    ref = model.forward(x, training=False)
    conv_only = conv.forward(x, training=False)
    assert np.array_equal(model.pack().forward(x, training=False), ref)
    assert np.array_equal(conv.forward(x, training=False), conv_only)   # unfused packed conv


def test_packed_layer_refuses_training_and_backward():
    layer = BinaryDense(5, 3, rng=0).pack()
    x = np.ones((2, 5), np.float32)
    layer.forward(x, training=False)
    with pytest.raises(RuntimeError, match="unpack"):
        layer.backward(np.ones((2, 3), np.float32))
    with pytest.raises(RuntimeError, match="unpack"):
        layer.forward(x, training=True)
    model = Sequential(BinaryDense(5, 3, rng=0), Sign()).pack()
    with pytest.raises(RuntimeError, match="unpack"):
        model.forward(x, training=True)
    y = model.unpack().forward(x, training=True)
    assert model.backward(np.ones_like(y)).shape == x.shape


def test_packed_layer_rejects_non_binary_input():
    layer = BinaryDense(4, 2, rng=0).pack()
    with pytest.raises(ValueError, match=r"x .*±1"):
        layer.forward(np.array([[1.0, -1.0, 0.5, 1.0]], np.float32), training=False)


def test_unpack_restores_the_float_path():
    rng = np.random.default_rng(0)
    layer = BinaryDense(70, 3, rng=0)
    x = rng.normal(size=(4, 70)).astype(np.float32)    # float input: only the float path
    ref = layer.forward(x, training=False)
    layer.pack().unpack()
    assert not layer.packed
    assert np.array_equal(layer.forward(x, training=False), ref)


def test_summary_reports_32x_memory_and_padding():
    model = Sequential(Dense(64, 256, rng=0), Sign(), BinaryDense(256, 100, rng=1), Sign(),
                       BinaryDense(100, 10, rng=2))
    text = model.summary()
    rows = {line.split(":")[0]: line for line in text.splitlines() if line[:1].isdigit()}
    assert rows["2"].endswith("32.0x")                       # 256 = 4 words exactly
    row_100 = rows["4"]                                      # fan-in 100
    assert "25.0x (pad 28 bits/row)" in row_100               # 100 bits -> 2 words
    # weight + bias: float32 bytes vs packed words (10 rows x 2 words x 8 B) + float32 bias
    cells = row_100.split()
    assert cells[6] == f"{4 * (100 * 10 + 10):,}"
    assert cells[7] == f"{10 * 2 * 8 + 4 * 10:,}"
    total = text.splitlines()[-1].split()
    float_bytes = 4 * sum(p.size for p in model.parameters())
    assert total[3] == f"{float_bytes:,}"


def test_packed_model_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    model = Sequential(BinaryDense(130, 20, channel_scale=True, rng=1), BatchNorm1d(20), Sign(),
                       BinaryDense(20, 4, rng=2))
    _randomize_norm(model[1], rng)
    model.pack()
    x = np.where(rng.random((6, 130)) < 0.5, -1.0, 1.0).astype(np.float32)
    path = tmp_path / "packed.npz"
    bc.io.save(model, path)
    loaded = bc.io.load(path)
    assert loaded.packed
    for a, b in zip([model[0], model[3]], [loaded[0], loaded[3]]):
        assert np.array_equal(a._packed.bits.words, b._packed.bits.words)
        assert a._packed.bits.n == b._packed.bits.n
    assert np.array_equal(loaded.forward(x, training=False), model.forward(x, training=False))


def test_load_rejects_tampered_packed_words(tmp_path):
    model = Sequential(BinaryDense(70, 5, rng=1), Sign()).pack()
    path = tmp_path / "m.npz"
    bc.io.save(model, path)
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["0/packed_words"] = arrays["0/packed_words"] ^ np.uint64(1)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match="bad.npz"):
        bc.io.load(bad)
