"""FullyBinaryMLP: initialisation, exact forwards (packed / int32 / float64), inputs, I/O."""

from __future__ import annotations

import io

import numpy as np
import pytest
from gft_cases import float_forward_all, pm1
from hypothesis import given, settings
from hypothesis import strategies as st

import bnncore as bc
from bnncore.flips import binary_tensors
from bnncore.gft import FullyBinaryMLP, binarize, flip_bits_packed
from bnncore.kernels import pack_bits, unpack_bits


def test_binary_weights_are_the_current_int8_arrays():
    net = FullyBinaryMLP((5, 4, 3), rng=0)
    pairs = net.binary_weights()
    assert [n for n, _ in pairs] == ["weights.0", "weights.1"]
    assert all(a is w for (_, a), w in zip(pairs, net.weights))
    net.flip(1, np.array([2]))
    assert binary_tensors(net)[1][1].ravel()[2] == net.weights[1].ravel()[2]


def test_forward_accepts_training_and_the_default_path_is_the_packed_flag():
    net = FullyBinaryMLP((70, 6, 3), rng=1)
    x = pm1((9, 70), 2)
    assert net.packed is True
    v = net.forward(x)
    np.testing.assert_array_equal(net.forward(x, training=True), v)
    np.testing.assert_array_equal(bc.predict(net, x.astype(np.float32)), v)
    assert net.unpack() is net and net.packed is False
    np.testing.assert_array_equal(net.forward(x), v)
    np.testing.assert_array_equal(net.predict(x, packed=True), v.argmax(axis=1))
    assert net.pack() is net and net.packed is True
    xs, vs = net.forward_all(x.astype(np.int8), validate=False)
    np.testing.assert_array_equal(vs[-1], v)


def test_nbytes_packed_words_and_float32_equivalent():
    net = FullyBinaryMLP((64, 256, 10), rng=0)
    assert net.nbytes(True) == 256 * 1 * 8 + 10 * 4 * 8 == 2368      # 2.3 KiB
    assert net.nbytes(False) == 4 * net.n_weights()
    b = FullyBinaryMLP((65, 3), bias=True, rng=0)
    assert b.nbytes(True) == 3 * 2 * 8 + 4 * 3 and b.nbytes(False) == 4 * 195 + 4 * 3


def test_initialisation_is_deterministic_int8_pm1():
    a = FullyBinaryMLP((7, 5, 3), rng=3)
    b = FullyBinaryMLP((7, 5, 3), rng=3)
    c = FullyBinaryMLP((7, 5, 3), rng=4)
    for wa, wb in zip(a.weights, b.weights):
        assert wa.dtype == np.int8
        assert set(np.unique(wa).tolist()) == {-1, 1}
        np.testing.assert_array_equal(wa, wb)
    assert any((wa != wc).any() for wa, wc in zip(a.weights, c.weights))
    assert [w.shape for w in a.weights] == [(5, 7), (3, 5)]
    assert a.biases is None and a.n_weights() == 35 + 15


def test_initialisation_follows_the_documented_draw():
    g = np.random.default_rng(11)
    expected = [(2 * g.integers(0, 2, size=(o, i)) - 1) for i, o in [(4, 6), (6, 2)]]
    net = FullyBinaryMLP((4, 6, 2), rng=11)
    for w, e in zip(net.weights, expected):
        np.testing.assert_array_equal(w, e)


def test_biases_start_at_zero_int32():
    net = FullyBinaryMLP((4, 3, 2), bias=True, rng=0)
    assert [b.dtype for b in net.biases] == [np.int32, np.int32]
    assert all((b == 0).all() for b in net.biases)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.sampled_from([1, 63, 64, 65, 130]), st.integers(1, 9), st.integers(1, 5),
       st.integers(1, 6), st.booleans(), st.integers(0, 10**6))
def test_packed_equals_int32_equals_float64(n_in, n_hidden, n_out, batch, bias, seed):
    net = FullyBinaryMLP((n_in, n_hidden, max(2, n_out)), bias=bias, rng=seed)
    if bias:  # nonzero thresholds, even, within [-I, I]
        g = np.random.default_rng(seed)
        for layer, b in enumerate(net.biases):
            fan = net.sizes[layer]
            net.biases[layer] = 2 * g.integers(-(fan // 2), fan // 2 + 1, b.shape,
                                               dtype=np.int32)
    x = pm1((batch, n_in), seed + 1)
    xs_p, vs_p = net.forward_all(x, packed=True)
    xs_i, vs_i = net.forward_all(x, packed=False)
    xs_f, vs_f = float_forward_all(net, x)
    for a, b, c in zip(vs_p, vs_i, vs_f):
        assert a.dtype == np.int32 and b.dtype == np.int32
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a.astype(np.float64), c)
    for a, b, c in zip(xs_p, xs_i, xs_f):
        assert a.dtype == np.int8
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a.astype(np.float64), c)


@pytest.mark.parametrize("fill", [1, -1])
@pytest.mark.parametrize("n_in", [1, 63, 64, 65, 130])
def test_constant_inputs_and_batch_of_one(fill, n_in):
    net = FullyBinaryMLP((n_in, 3, 2), rng=n_in)
    x = np.full((1, n_in), fill, np.int8)
    np.testing.assert_array_equal(net.forward(x), float_forward_all(net, x)[1][-1])
    np.testing.assert_array_equal(net.forward(x), net.forward(x, packed=False))
    np.testing.assert_array_equal(net.forward(x[0]), net.forward(x))  # 1-D = batch of one


def test_large_fan_in_does_not_overflow():
    net = FullyBinaryMLP((300, 2), rng=0)
    net.weights[0] = np.ones((2, 300), np.int8)
    v = net.forward(np.ones((1, 300)), packed=False)
    assert v.tolist() == [[300, 300]]
    assert net.forward(np.ones((1, 300))).tolist() == [[300, 300]]


def test_sign_of_zero_is_plus_one_in_forward():
    net = FullyBinaryMLP((2, 1, 2), rng=0)
    net.weights[0] = np.array([[1, -1]], np.int8)   # v1 = x0 - x1 = 0 for x = (1, 1)
    net.weights[1] = np.array([[1], [-1]], np.int8)
    xs, vs = net.forward_all(np.array([[1, 1]]))
    assert vs[0].tolist() == [[0]]
    assert xs[1].tolist() == [[1]]
    assert vs[1].tolist() == [[1, -1]]


@pytest.mark.parametrize("bad", [0, 2, np.nan, 0.5])
def test_non_pm1_inputs_raise_naming_x(bad):
    net = FullyBinaryMLP((3, 2), rng=0)
    x = np.ones((2, 3))
    x[1, 2] = bad
    with pytest.raises(ValueError, match=r"x must be ±1, found .* at \(1, 2\)"):
        net.forward(x)


@pytest.mark.parametrize("x", [np.ones((2, 4)), np.ones(5), np.ones((2, 3, 1)),
                               np.ones((0, 3))])
def test_wrong_shapes_raise(x):
    with pytest.raises(ValueError, match="x"):
        FullyBinaryMLP((3, 2), rng=0).forward(x)


def test_integer_and_float_pm1_inputs_are_accepted():
    net = FullyBinaryMLP((3, 2), rng=0)
    x = np.array([[1, -1, 1]])
    for dtype in (np.int8, np.int16, np.int64, np.float32, np.float64):
        np.testing.assert_array_equal(net.forward(x.astype(dtype)), net.forward(x))


def test_binary_mode_score_zero_predicts_plus_one():
    net = FullyBinaryMLP((2, 1), output="binary", rng=0)
    net.weights[0] = np.array([[1, -1]], np.int8)
    x = np.array([[1, 1], [1, -1], [-1, 1]])
    assert net.forward(x)[:, 0].tolist() == [0, 2, -2]
    assert net.predict(x).tolist() == [1, 1, -1]


def test_multiclass_tie_goes_to_lowest_index():
    net = FullyBinaryMLP((2, 3), rng=0)
    net.weights[0] = np.array([[1, -1], [1, -1], [1, 1]], np.int8)
    x = np.array([[1, -1], [-1, 1]])
    assert net.forward(x).tolist() == [[2, 2, 0], [-2, -2, 0]]
    assert net.predict(x).tolist() == [0, 2]


def test_output_modes_check_the_last_size():
    with pytest.raises(ValueError, match="output='binary'"):
        FullyBinaryMLP((3, 2), output="binary")
    with pytest.raises(ValueError, match="output='multiclass'"):
        FullyBinaryMLP((3, 1))
    with pytest.raises(ValueError, match="output"):
        FullyBinaryMLP((3, 2), output="softmax")
    with pytest.raises(ValueError, match="sizes"):
        FullyBinaryMLP((3,))
    with pytest.raises(ValueError, match="sizes"):
        FullyBinaryMLP((3, 0, 2))


@pytest.mark.parametrize("bias", [False, True])
def test_to_dict_from_dict_round_trip_through_npz(bias):
    net = FullyBinaryMLP((9, 4, 3), bias=bias, rng=5)
    if bias:
        net.add_bias(0, np.array([1, 3]), np.array([2, -4]))
    buf = io.BytesIO()
    np.savez(buf, **net.to_dict())
    buf.seek(0)
    back = FullyBinaryMLP.from_dict(np.load(buf, allow_pickle=False))
    assert back.sizes == net.sizes and back.output == net.output and back.bias == bias
    assert back.packed is True
    for a, b in zip(back.weights, net.weights):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    if bias:
        for a, b in zip(back.biases, net.biases):
            np.testing.assert_array_equal(a, b)
    x = pm1((4, 9), 1)
    np.testing.assert_array_equal(back.forward(x), net.forward(x))


@pytest.mark.parametrize("output", ["multiclass", "binary"])
def test_from_dict_of_to_dict_is_exact(output):
    sizes = (6, 5, 3) if output == "multiclass" else (6, 5, 1)
    net = FullyBinaryMLP(sizes, output=output, bias=True, rng=2).unpack()
    net.add_bias(1, np.array([0]), np.array([-2]))
    back = FullyBinaryMLP.from_dict(net.to_dict())
    assert (back.sizes, back.output, back.bias, back.packed) == (sizes, output, True, False)
    for a, b in zip(back.weights + back.biases, net.weights + net.biases):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    x = pm1((7, 6), 3)
    np.testing.assert_array_equal(back.predict(x), net.predict(x))
    old = {k: v for k, v in net.to_dict().items() if k != "packed"}
    old["version"] = np.array(1)                      # version 1 had no packed flag
    assert FullyBinaryMLP.from_dict(old).packed is True


def test_from_dict_rejects_bad_content():
    d = FullyBinaryMLP((3, 2), bias=True, rng=0).to_dict()
    bad = dict(d, W0=np.zeros((2, 3), np.int8))
    with pytest.raises(ValueError, match="W0 must be ±1"):
        FullyBinaryMLP.from_dict(bad)
    with pytest.raises(ValueError, match="lacks key 'W0'"):
        FullyBinaryMLP.from_dict({k: v for k, v in d.items() if k != "W0"})
    with pytest.raises(ValueError, match="lacks key 'b0'"):
        FullyBinaryMLP.from_dict({k: v for k, v in d.items() if k != "b0"})
    with pytest.raises(ValueError, match="format"):
        FullyBinaryMLP.from_dict(dict(d, format=np.array("other")))
    with pytest.raises(ValueError, match="version 3"):
        FullyBinaryMLP.from_dict(dict(d, version=np.array(3)))
    with pytest.raises(ValueError, match="W0 has dtype float64"):
        FullyBinaryMLP.from_dict(dict(d, W0=d["W0"].astype(np.float64)))
    with pytest.raises(ValueError, match="W0 has dtype int8 and shape \\(3, 2\\)"):
        FullyBinaryMLP.from_dict(dict(d, W0=d["W0"].T.copy()))
    with pytest.raises(ValueError, match="b0 has dtype int32 and shape \\(3,\\)"):
        FullyBinaryMLP.from_dict(dict(d, b0=np.zeros(3, np.int32)))
    with pytest.raises(ValueError, match="b0 must lie in"):
        FullyBinaryMLP.from_dict(dict(d, b0=np.array([4, 0], np.int32)))
    with pytest.raises(ValueError, match="bias has dtype"):
        FullyBinaryMLP.from_dict(dict(d, bias=np.array(1)))
    with pytest.raises(ValueError, match="packed has dtype"):
        FullyBinaryMLP.from_dict(dict(d, packed=np.array("yes")))
    with pytest.raises(ValueError, match="sizes has dtype"):
        FullyBinaryMLP.from_dict(dict(d, sizes=np.array([3.0, 2.0])))
    with pytest.raises(ValueError, match="output"):
        FullyBinaryMLP.from_dict(dict(d, output=np.array("regression")))


def test_copy_is_independent():
    net = FullyBinaryMLP((4, 3), rng=0)
    twin = net.copy()
    twin.flip(0, np.array([0]))
    assert net.weights[0].ravel()[0] == -twin.weights[0].ravel()[0]


def test_weights_are_read_only_and_assignment_is_validated():
    net = FullyBinaryMLP((4, 3), rng=0)
    with pytest.raises(ValueError, match="read-only"):
        net.weights[0][0, 0] = 1
    net.weights[0] = -net.weights[0]              # a new array: adopted and repacked
    x = pm1((5, 4), 0)
    np.testing.assert_array_equal(net.forward(x), net.forward(x, packed=False))
    net.weights[0] = np.zeros((3, 4))
    with pytest.raises(ValueError, match="weights\\[0\\] must be ±1"):
        net.forward(x)


def test_flip_keeps_packed_cache_in_step():
    net = FullyBinaryMLP((70, 5), rng=0)
    x = pm1((8, 70), 2)
    net.forward(x)                                # builds the cache
    net.flip(0, np.array([0, 64, 65, 69, 70, 349]))
    np.testing.assert_array_equal(unpack_bits(net.packed_weights(0)), net.weights[0])
    np.testing.assert_array_equal(net.forward(x), net.forward(x, packed=False))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 6), st.integers(1, 140), st.integers(0, 10**6))
def test_flip_bits_packed_equals_repack(n_out, n_in, seed):
    g = np.random.default_rng(seed)
    W = pm1((n_out, n_in), seed)
    bits = pack_bits(W)
    idx = g.choice(W.size, size=g.integers(0, W.size + 1), replace=False)
    flip_bits_packed(bits, idx, n_in)
    flipped = W.copy().reshape(-1)
    flipped[idx] *= -1
    np.testing.assert_array_equal(bits.words, pack_bits(flipped.reshape(W.shape)).words)


def test_flip_bits_packed_rejects_bad_indices():
    bits = pack_bits(pm1((2, 3), 0))
    with pytest.raises(ValueError, match="flat_idx"):
        flip_bits_packed(bits, np.array([6]), 3)
    with pytest.raises(ValueError, match="repeat"):
        flip_bits_packed(bits, np.array([1, 1]), 3)


def test_binarize_rule():
    x = np.array([[0.0, 0.4999, 0.5, 1.0]])
    assert binarize(x, 0.5).tolist() == [[-1, -1, 1, 1]]
    assert binarize(x, 0.5).dtype == np.int8
    with pytest.raises(ValueError, match="x"):
        binarize(np.array([np.nan]))
    with pytest.raises(TypeError, match="threshold"):
        binarize(x, "0.5")
