"""DoReFa-Net weight quantizer: golden values, levels, statistics (docs/quantizers.md, dorefa)."""

import numpy as np
import pytest

from bnncore.quantizers import DoReFa, get, sign
from bnncore.quantizers.dorefa import levels

W = np.array([-1.0, -0.2, 0.0, 0.3, 2.0])


def test_golden_k1_tensor():
    q = get("dorefa")
    np.testing.assert_allclose(q.forward(W), [-0.7, -0.7, 0.7, 0.7, 0.7], rtol=1e-12)
    np.testing.assert_allclose(q.deploy(W), [-0.7, -0.7, 0.7, 0.7, 0.7], rtol=1e-12)
    np.testing.assert_array_equal(q.B(W), W)
    np.testing.assert_array_equal(q.dB(W), np.ones(5))          # multiplier 1, not E
    np.testing.assert_array_equal(q.prox(q.B(W)), q.forward(W))
    assert q.binary and q.binary_target and not q.elementwise and q.forward_bound is None


def test_golden_k2():
    q = get("dorefa", k=2)
    M = 0.9640275800758169
    np.testing.assert_allclose(np.tanh(np.abs(W)).max(), M, rtol=1e-12)
    np.testing.assert_allclose(q.B(W), [-0.7900128291929869, -0.20474032517760668, 0.0,
                                        0.30218286122963445, 1.0], rtol=1e-12)
    np.testing.assert_allclose(q.dB(W), [0.4356455668840894, 0.996904033482667,
                                         1.0373147207275482, 0.9492850419846467,
                                         0.07328714065173117], rtol=1e-12)
    np.testing.assert_allclose(q.forward(W), [-1.0, -1 / 3, 1 / 3, 1 / 3, 1.0], rtol=1e-12)
    np.testing.assert_array_equal(q.deploy(W), q.forward(W))
    assert not q.binary and not q.binary_target and not q.elementwise


def test_golden_k3():
    np.testing.assert_allclose(get("dorefa", k=3).forward(W), [-5 / 7, -1 / 7, 1 / 7, 3 / 7, 1.0],
                               rtol=1e-12)


@pytest.mark.parametrize("k", [2, 3, 4, 8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_levels_are_the_k_bit_grid(k, dtype, rng):
    n = 2 ** k - 1
    w = rng.normal(scale=2.0, size=(16, 9)).astype(dtype)
    f = get("dorefa", k=k).forward(w)
    grid = ((2 * np.arange(n + 1) - n) / n).astype(dtype)     # {2j/n - 1}
    assert np.isin(f, grid).all()
    np.testing.assert_array_equal(sign(f), sign(w))
    # the literal definition 2 q_k(tanh(W)/(2M) + 1/2) - 1, for comparison
    t = np.tanh(w.astype(np.float64))
    literal = 2 * (np.floor(n * (t / (2 * np.abs(t).max()) + 0.5) + 0.5) / n) - 1
    np.testing.assert_allclose(f, literal, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=0)


def test_levels_function_keeps_sign_of_tiny_negatives():
    u = np.array([-1e-300, -1e-17, 0.0, -0.0, 1e-300])
    np.testing.assert_array_equal(levels(u, 3), [-1 / 3, -1 / 3, 1 / 3, 1 / 3, 1 / 3])
    big = np.array([3e38, -3e38], np.float32)
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_array_equal(levels(big, 65535), big)


def test_all_zero_and_empty_tensors():
    z = np.zeros((3, 4))
    np.testing.assert_array_equal(get("dorefa").forward(z), np.zeros((3, 4)))
    np.testing.assert_array_equal(get("dorefa", scale="channel").forward(z), np.zeros((3, 4)))
    np.testing.assert_array_equal(get("dorefa", k=2).forward(z), np.full((3, 4), 1 / 3))
    np.testing.assert_array_equal(get("dorefa", k=3).dB(z), np.ones((3, 4)))   # M = 1
    assert get("dorefa").forward(np.zeros((0, 5))).shape == (0, 5)
    assert get("dorefa", scale="channel").forward(np.zeros((2, 0))).shape == (2, 0)


def test_channel_scale_matches_rows(rng):
    w = rng.normal(size=(4, 3, 2, 2))
    f = get("dorefa", scale="channel").forward(w)
    for c in range(4):
        np.testing.assert_allclose(f[c], np.abs(w[c]).mean() * sign(w[c]), rtol=1e-12)
    f32 = get("dorefa", scale="channel").forward(w.astype(np.float32))
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32, f, rtol=1e-6)


def test_fixed_scale_and_m_make_it_elementwise():
    q = get("dorefa", scale=0.7)
    assert q.elementwise and q.forward_bound == 0.7
    np.testing.assert_array_equal(q.forward(np.array([-3.0, 0.0, 1e-9])), [-0.7, 0.7, 0.7])
    q = get("dorefa", k=2, m=0.5)
    assert q.elementwise and q.backward_bound == 2.0 and q.forward_bound is None
    np.testing.assert_allclose(q.dB(np.array([0.0, 1.0])), [2.0, (1 - np.tanh(1.0) ** 2) / 0.5])


def test_huge_values_are_not_errors():
    w = np.array([1e308, -1e308, 1.0])
    with np.errstate(over="raise", invalid="raise"):
        f = get("dorefa").forward(w)
    np.testing.assert_allclose(np.abs(f), (1e308 / 3 * 2 + 1 / 3) * np.ones(3), rtol=1e-12)


def test_hyperparams_round_trip():
    for kwargs in ({}, {"k": 3}, {"scale": "channel"}, {"scale": 0.25}, {"k": 2, "m": 0.9}):
        q = DoReFa(**kwargs)
        again = get("dorefa", **q.hyperparams())
        assert again.hyperparams() == q.hyperparams()
