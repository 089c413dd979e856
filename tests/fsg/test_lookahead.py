"""The DoReFa tanh chain and the look-ahead combination (docs/fsg.md, "One training iteration")."""

from __future__ import annotations

import numpy as np
import pytest
from fsg_helpers import assert_close_grads

from bnncore.fsg import J, combine, combine_backward, wpre, wq
from bnncore.fsg.lookahead import M
from bnncore.quantizers import get


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wq_wpre_and_J(dtype):
    X = np.random.default_rng(0).normal(size=(7, 5)).astype(dtype)
    X[0, 0] = 0
    np.testing.assert_array_equal(wq(X), np.where(X >= 0, 1, -1))
    assert wq(np.zeros(1, dtype))[0] == 1
    p = wpre(X)
    assert p.dtype == dtype and p.min() >= 0 and p.max() <= 1 and p[0, 0] == 0.5
    assert np.array_equal(J(X), get("dorefa", k=2).dB(X))               # bitwise
    assert J(X).dtype == dtype


def test_J_of_zero_tensor_uses_M_1():
    Z = np.zeros((2, 3))
    assert float(M(Z)) == 1.0
    np.testing.assert_array_equal(J(Z), np.ones((2, 3)))
    np.testing.assert_array_equal(wpre(Z), np.full((2, 3), 0.5))


def test_J_is_the_derivative_of_tanh_over_frozen_M():
    X = np.random.default_rng(1).normal(size=(6, 4))
    M0, eps = float(M(X)), 1e-6
    numeric = (np.tanh(X + eps) - np.tanh(X - eps)) / (2 * eps) / M0
    assert np.abs(numeric - J(X)).max() / np.abs(J(X)).max() < 1e-8


def test_combine_and_its_backward():
    g = np.random.default_rng(2)
    W, S, cal, g_prev = (g.normal(size=(3, 4)) for _ in range(4))
    f = g.normal(size=(12, 1))
    R = g.normal(size=(3, 4))
    eta, alpha = 0.3, 0.4

    def obj():
        F = g_prev * f.reshape(3, 4)
        return float(np.sum(R * (W - eta * (alpha * S + (1 - alpha) * cal * F))))

    Wm = combine(W, S, g_prev * f.reshape(3, 4), cal, eta, alpha)
    np.testing.assert_allclose(Wm, W - eta * (alpha * S + (1 - alpha) * (cal * g_prev *
                                                                         f.reshape(3, 4))))
    # combine_backward with g = R / J(Wm) gives delta = R exactly up to rounding
    dS, df = combine_backward(R / J(Wm), Wm, cal, g_prev, eta, alpha)
    assert df.shape == (12, 1)
    assert_close_grads(obj, {"S": (S, dS), "f": (f, df)})
    delta = R / J(Wm) * J(Wm)
    np.testing.assert_array_equal(dS, -eta * alpha * delta)
    np.testing.assert_array_equal(df, (g_prev * (-eta * (1 - alpha) * cal * delta)).reshape(-1, 1))


def test_combine_keeps_float32():
    a = np.ones(3, np.float32)
    assert combine(a, a, a, a, 0.01, 0.9).dtype == np.float32
    dS, df = combine_backward(a, a, a, a, 0.01, 0.9)
    assert dS.dtype == np.float32 and df.dtype == np.float32
